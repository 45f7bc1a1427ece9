"""Tiny random-weight depth models (Depth Anything and DPT), built from small configs and
saved with ``save_pretrained``, so the depth tool's real loader reads them back offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal


def build_depth_anything(
    folder: Path, *, kind: Literal["relative", "metric"] = "relative", constant: float | None = None
) -> Path:
    """A Depth Anything model of about 140k parameters with a Dinov2 backbone.

    Args:
        folder: where to write it (a sub-folder is created).
        kind: the config's ``depth_estimation_type``.
        constant: if given, the head's last convolution predicts this value everywhere
            before its final activation (zero weights, constant bias), so the expected
            output is known: ReLU(constant) for relative models (max_depth 1, as in the
            published relative checkpoints), sigmoid(constant) * 20 for metric ones
            (max_depth 20, as in the published indoor metric checkpoints).
    """
    import torch
    from transformers import (
        DepthAnythingConfig,
        DepthAnythingForDepthEstimation,
        Dinov2Config,
        DPTImageProcessor,
    )

    # Depth Anything reads the backbone's token sequences (reshape_hidden_states=False),
    # as the published checkpoints' configs say.
    backbone: dict[str, Any] = {
        "hidden_size": 32, "num_hidden_layers": 4, "num_attention_heads": 2, "intermediate_size": 37, "image_size": 56,
        "patch_size": 14, "out_indices": [1, 2, 3, 4], "reshape_hidden_states": False, "apply_layernorm": True,
    }
    head: dict[str, Any] = {
        "reassemble_hidden_size": 32, "neck_hidden_sizes": [8, 16, 32, 32], "fusion_hidden_size": 16, "head_hidden_size": 8,
        "patch_size": 14, "depth_estimation_type": kind, "max_depth": 1 if kind == "relative" else 20,
    }
    config = DepthAnythingConfig(backbone_config=Dinov2Config(**backbone), **head)
    torch.manual_seed(0)
    model: Any = DepthAnythingForDepthEstimation(config)
    model.eval()
    if constant is not None:
        with torch.no_grad():
            model.head.conv3.weight.zero_()
            model.head.conv3.bias.fill_(constant)
    target = folder / f"depth-anything-{kind}{'' if constant is None else '-constant'}"
    model.save_pretrained(target)
    # Depth Anything's own preprocessing: keep the aspect ratio, sides a multiple of the patch size.
    DPTImageProcessor(
        size={"height": 56, "width": 56}, keep_aspect_ratio=True, ensure_multiple_of=14, resample=3,
    ).save_pretrained(target)
    return target


def build_dpt(folder: Path, *, declared: str | None = None) -> Path:
    """A DPT (MiDaS-style, ViT backbone) model of about 110k parameters; ``declared``, if
    given, is written to its config as ``depth_estimation_type`` (as a metric DPT
    fine-tune must declare)."""
    import torch
    from transformers import DPTConfig, DPTForDepthEstimation, DPTImageProcessor

    settings: dict[str, Any] = {
        "hidden_size": 32, "num_hidden_layers": 4, "num_attention_heads": 2, "intermediate_size": 37, "image_size": 32, "patch_size": 8,
        "backbone_out_indices": [0, 1, 2, 3], "neck_hidden_sizes": [8, 16, 32, 32], "fusion_hidden_size": 16, "head_hidden_size": 8,
        "reassemble_factors": [4, 2, 1, 0.5],
    }
    torch.manual_seed(0)
    config: Any = DPTConfig(**settings)
    if declared is not None:
        config.depth_estimation_type = declared
    model: Any = DPTForDepthEstimation(config)
    model.eval()
    target = folder / ("dpt" if declared is None else f"dpt-{declared}")
    model.save_pretrained(target)
    DPTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(target)
    return target
