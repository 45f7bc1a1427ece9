"""Monocular depth (ViperGPT's ``compute_depth``) with Depth Anything or DPT through
transformers, and :class:`DepthMap`, the depth of every pixel of an image region.

Direction: **larger means farther**, as in ViperGPT. Depth Anything (relative) and DPT
(MiDaS) predict *relative inverse depth* (disparity: larger = nearer, unknown scale and
shift); like ViperGPT's ``DepthEstimationModel`` (``vision_models.py``, which returns
``1 / prediction`` of MiDaS DPT_Large), this tool returns ``1 / prediction`` after
resizing the prediction to the image with bicubic interpolation. Such values are
unitless and only comparable within one map, which is how ViperGPT programs use them
(sorting patches of one image by ``compute_depth()``).

What a checkpoint predicts is read from its config, ``depth_estimation_type``:
``"metric"`` (metres: returned as they are) or ``"relative"`` (relative inverse depth:
inverted). Depth Anything configs always declare it. DPT configs have no such field in
transformers; a DPT checkpoint that predicts metric depth (a KITTI or NYU fine-tune, say)
must declare ``"depth_estimation_type": "metric"`` in its ``config.json``, and one that
declares nothing is read as MiDaS-style relative inverse depth (``Intel/dpt-large``,
``Intel/dpt-hybrid-midas``, the ``Intel/dpt-beit-*`` and ``dpt-swinv2-*`` families, all
MiDaS). Any other declared value is refused.

Where the prediction is not positive (sky in MiDaS-style models, bicubic undershoot),
``1 / prediction`` is undefined; the tool raises those pixels to a floor of
``1e-6 * max(prediction)`` first, so they read as very far, and counts them in
:attr:`DepthMap.clamped` (ViperGPT would return infinite or negative depth there).

Coordinates: a DepthMap covers one rectangle of the *root* image (see
``visprog.values``): ``array[r, c]`` is the depth at root pixel
``(box.x1 + c, box.y1 + r)``. Given a crop, the tool predicts on the crop's pixels and
the map covers the crop's place in the root image. ViperGPT predicts on the whole
original image and takes the median under the patch: ``depth(root).median(patch_box)``.

``DepthMap`` is a registered value type (this module registers it on import, as
``visprog.values.builtin`` registers Image and Box): programs may hold one, read its
``kind``, ``clamped``, ``box`` and ``shape`` and call ``median(box)``; traces and the
result cache store it exactly (float32 pixels).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import PIL.Image
from visprog_tools.vision.specs import _hf_fetch, _hf_present

from visprog.errors import InputError, ToolError
from visprog.models import ModelSpec, model_manager
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Image
from visprog.values.protocol import ValueType, register_value_type

__all__ = [
    "DEPTH", "DEPTH_MAP", "DepthMap", "decode_depth_map", "depth", "depth_from_prediction", "depth_map_picture", "depth_map_token",
    "encode_depth_map",
]

DepthKind = Literal["relative", "metric"]

CLAMP_FRACTION = 1e-6
"""Inverse-depth values below ``CLAMP_FRACTION * max(prediction)`` are raised to it."""


class DepthMap:
    """Depth of every pixel of a rectangle of the root image; larger values are farther.

    Args:
        array: ``(h, w)`` depths; stored as float32. ``array[r, c]`` is the depth at root
            pixel ``(box.x1 + c, box.y1 + r)``.
        box: the rectangle covered, in root pixels with integer corners, ``x2``/``y2``
            exclusive (visprog's convention), so ``(box.width, box.height) == (w, h)``.
        kind: ``"relative"`` (``1 / relative inverse depth``: unitless, comparable
            within one map only, as ViperGPT's) or ``"metric"`` (metres).
        clamped: how many pixels had a non-positive inverse depth raised to the floor.

    Raises:
        InputError: the array is not 2-D, or its shape does not match the box.
    """

    __slots__ = ("array", "box", "clamped", "kind")

    def __init__(self, array: np.ndarray, box: Box, *, kind: DepthKind = "relative", clamped: int = 0) -> None:
        if array.ndim != 2:
            raise InputError(f"a depth map is a 2-D (h, w) array, got shape {array.shape}")
        corners = box.as_tuple()
        if any(v != int(v) for v in corners):
            raise InputError(f"a depth map's box needs integer corners, got {corners}")
        if (int(box.height), int(box.width)) != array.shape:
            raise InputError(
                f"depth array of shape {array.shape} does not match its box {corners} "
                f"(expected ({int(box.height)}, {int(box.width)}))"
            )
        if kind not in ("relative", "metric"):
            raise InputError(f"depth kind must be 'relative' or 'metric', got {kind!r}")
        self.array: np.ndarray = np.array(array, dtype=np.float32)
        self.array.flags.writeable = False
        self.box = Box(*corners)
        self.kind: DepthKind = kind
        self.clamped = int(clamped)

    @property
    def shape(self) -> tuple[int, int]:
        """``(h, w)`` of :attr:`array`."""
        return (int(self.array.shape[0]), int(self.array.shape[1]))

    def values(self, box: Box | None = None) -> np.ndarray:
        """Depths under ``box`` (root pixels; default: the whole map), flattened.

        A pixel ``(x, y)`` is under the box when ``x1 <= x < x2`` and ``y1 <= y < y2``
        after rounding the box's corners to whole pixels (as ``Image.crop`` does); the
        part of the box outside the map is ignored.

        Raises:
            InputError: the box does not cover any pixel of the map.
        """
        if box is None:
            return self.array.reshape(-1)
        if type(box) is not Box:
            raise InputError(f"a depth map's values are read under a Box, not {type(box).__name__}")
        ox, oy = int(self.box.x1), int(self.box.y1)
        h, w = self.shape
        x1 = min(max(round(box.x1) - ox, 0), w)
        y1 = min(max(round(box.y1) - oy, 0), h)
        x2 = min(max(round(box.x2) - ox, x1), w)
        y2 = min(max(round(box.y2) - oy, y1), h)
        if x2 <= x1 or y2 <= y1:
            raise InputError(f"box {box.as_tuple()} covers no pixel of the depth map over {self.box.as_tuple()}")
        return self.array[y1:y2, x1:x2].reshape(-1)

    def median(self, box: Box | None = None) -> float:
        """Median depth under ``box`` (root pixels; default: the whole map).

        For an even number of pixels this is the *lower* of the two middle values,
        exactly what ViperGPT's ``depth_map.median()`` (``torch.Tensor.median``) returns.

        Raises:
            InputError: the box does not cover any pixel of the map.
        """
        flat = self.values(box)
        k = (flat.size - 1) // 2
        return float(np.partition(flat, k)[k])

    def __repr__(self) -> str:
        h, w = self.shape
        where = f" at {tuple(int(v) for v in self.box.as_tuple()[:2])}" if (self.box.x1, self.box.y1) != (0, 0) else ""
        clamped = f", clamped={self.clamped}" if self.clamped else ""
        return f"DepthMap({w}x{h}{where}, {self.kind}{clamped})"


# -- for the value-type protocol (the lead registers DepthMap with these) -------------

def encode_depth_map(value: DepthMap, nested: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """JSON for traces and the result cache: box, kind, clamped and the float32 pixels
    (little-endian, base64), so a decoded map gives exactly the same medians."""
    return {
        "box": [int(v) for v in value.box.as_tuple()], "kind": value.kind, "clamped": value.clamped,
        "float32": base64.b64encode(value.array.astype("<f4").tobytes()).decode("ascii"),
    }


def decode_depth_map(data: Mapping[str, Any], nested: Callable[[Any], Any] | None = None) -> DepthMap:
    """Inverse of :func:`encode_depth_map`.

    Raises:
        InputError: the data is not an encoded depth map.
    """
    try:
        x1, y1, x2, y2 = (int(v) for v in data["box"])
        array = np.frombuffer(base64.b64decode(data["float32"]), dtype="<f4").reshape(y2 - y1, x2 - x1)
        return DepthMap(array.astype(np.float32), Box(x1, y1, x2, y2), kind=data["kind"], clamped=int(data["clamped"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"not an encoded depth map: {exc}") from None


def depth_map_token(value: DepthMap) -> list[Any]:
    """What identifies a depth map in a result-cache key."""
    digest = hashlib.sha256(value.array.astype("<f4").tobytes()).hexdigest()
    return ["DepthMap", [int(v) for v in value.box.as_tuple()], value.kind, digest]


def depth_map_picture(value: DepthMap, base: Any = None) -> PIL.Image.Image:
    """A grey picture of the map's region for traces: near is bright, far is dark.

    Grey levels follow the 2nd..98th percentiles, so a few clamped (very far) pixels do
    not wash out the rest. ``base`` is unused: the map is drawn on its own.
    """
    values = value.array
    low, high = (float(v) for v in np.percentile(values, [2, 98]))
    scaled = (high - np.clip(values, low, high)) / (high - low) if high > low else np.ones_like(values)
    return PIL.Image.fromarray((scaled * 255).round().astype(np.uint8))


DEPTH_MAP = register_value_type(ValueType(
    DepthMap, "DepthMap",
    attributes=frozenset({"kind", "clamped", "box", "shape"}),
    methods=frozenset({"median"}),
    attribute_kinds={"kind": "str", "clamped": "int", "box": "Box", "shape": "list"},
    encode=encode_depth_map, decode=decode_depth_map, token=depth_map_token, picture=depth_map_picture,
    prefix="DEPTH", description="depth of every pixel of an image region (larger = farther), in root pixels",
))


def depth_from_prediction(prediction: np.ndarray, output: Literal["inverse", "metric"]) -> tuple[np.ndarray, int]:
    """Turn a model's ``(h, w)`` prediction into depth (larger = farther).

    Args:
        prediction: the model output resized to the image, ``(h, w)``.
        output: ``"inverse"`` (relative inverse depth, inverted here) or ``"metric"``
            (already depth, kept).

    Returns:
        ``(depth, clamped)``: float32 depth, and how many inverse-depth values were
        raised to the floor ``CLAMP_FRACTION * max(prediction)`` before inverting.
    """
    values = np.asarray(prediction, dtype=np.float32)
    if output == "metric":
        return values.copy(), 0
    peak = float(values.max()) if values.size else 0.0
    floor = max(peak * CLAMP_FRACTION, float(np.finfo(np.float32).tiny))
    low = values < floor
    return (1.0 / np.where(low, np.float32(floor), values)).astype(np.float32), int(low.sum())


def _output_of(config: Any) -> tuple[Literal["inverse", "metric"], DepthKind]:
    """What a transformers depth model predicts, from its config."""
    model_type = getattr(config, "model_type", None)
    if model_type in ("depth_anything", "dpt"):
        declared = getattr(config, "depth_estimation_type", None) or "relative"
        if declared == "metric":
            return "metric", "metric"
        if declared == "relative":
            return "inverse", "relative"
        raise ToolError(
            f"depth model declares depth_estimation_type {declared!r}; expected 'relative' (inverse depth) or 'metric' (metres)"
        )
    raise ToolError(
        f"depth model type {model_type!r} is not supported: use a Depth Anything or DPT checkpoint "
        "(VISPROG_MODEL_DEPTH)"
    )


def _load_depth(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    import torch
    import transformers

    local = Path(model_id).is_dir()
    processor_class: Any = transformers.AutoImageProcessor
    model_class: Any = transformers.AutoModelForDepthEstimation
    processor = processor_class.from_pretrained(model_id, local_files_only=local)
    model = model_class.from_pretrained(model_id, dtype=getattr(torch, dtype), local_files_only=local)
    return processor, model.to(device).eval()


DEPTH = ModelSpec(
    key="depth", default="depth-anything/Depth-Anything-V2-Small-hf", library="transformers",
    description="monocular depth (Depth Anything or DPT; relative inverse depth inverted: larger = farther)",
    load=_load_depth, present=_hf_present, fetch=_hf_fetch,
)


# Cacheable: DepthMap is a registered value type, stored exactly by encode_depth_map.
# compute_depth() on many patches of one image asks for the same map again and again.
@tool(name="depth", family="vision", requires=("torch", "transformers"), cacheable=True, models=[DEPTH])
def depth(image: Image) -> DepthMap:
    """Estimate how far from the camera each pixel is (monocular depth), as a depth map.

    Larger values are farther. With the default (relative) models the values are
    ``1 / relative inverse depth``, as in ViperGPT: unitless, compare them within one
    image only.

    Args:
        image: the image, or a crop of it; the map covers exactly its pixels.

    Returns:
        A DepthMap over the image's place in the root image (root pixels).
    """
    import torch

    processor, model = model_manager().load(DEPTH)
    output, kind = _output_of(model.config)
    if getattr(processor, "do_pad", False):
        raise ToolError("depth model's image processor pads its input (do_pad); padded predictions cannot be aligned to the image")
    inputs = processor(images=image.pil, return_tensors="pt")
    inputs = {k: v.to(model.device) for k, v in inputs.items()}
    inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
    with torch.inference_mode():
        outputs = model(**inputs)
    outputs.predicted_depth = outputs.predicted_depth.float()
    width, height = image.size
    resized = processor.post_process_depth_estimation(outputs, target_sizes=[(height, width)])[0]["predicted_depth"]
    prediction = resized.reshape(height, width).cpu().numpy()
    values, clamped = depth_from_prediction(prediction, output)
    return DepthMap(values, image.root_box, kind=kind, clamped=clamped)

