"""The models behind the vision tools: ids, loaders, presence checks and downloads.

Model ids, per library:

* transformers: a hub id (``google/owlv2-base-patch16-ensemble``) or a local folder
  written by ``save_pretrained``.
* open_clip: ``ARCH:PRETRAINED`` where PRETRAINED is an open_clip tag
  (``ViT-B-32:laion2b_s34b_b79k``) or a checkpoint file; or ``hf-hub:org/name``.
* segment-anything: ``VARIANT:CHECKPOINT`` where VARIANT is a key of
  ``segment_anything.sam_model_registry`` and CHECKPOINT a file or an https URL
  (downloaded once into the cache folder).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from visprog.errors import ModelUnavailable
from visprog.models import ModelSpec


def _torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)


# -- transformers -------------------------------------------------------------

def _hf_present(model_id: str, cache_dir: Path) -> bool:
    if Path(model_id).is_dir():
        return (Path(model_id) / "config.json").is_file()
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model_id, "config.json"), str)


def _hf_fetch(model_id: str, cache_dir: Path) -> None:
    if Path(model_id).is_dir():
        return
    from huggingface_hub import snapshot_download

    snapshot_download(model_id)  # tqdm progress bars on the terminal


def _hf_loader(model_class: str) -> Any:
    def load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
        import transformers

        local = Path(model_id).is_dir()
        processor = transformers.AutoProcessor.from_pretrained(model_id, local_files_only=local)
        model = getattr(transformers, model_class).from_pretrained(
            model_id, dtype=_torch_dtype(dtype), local_files_only=local
        )
        return processor, model.to(device).eval()

    return load


DETECTOR = ModelSpec(
    key="detector", default="google/owlv2-base-patch16-ensemble", library="transformers",
    description="open-vocabulary detector (OWLv2; OWL-ViT ids work too)",
    load=_hf_loader("AutoModelForZeroShotObjectDetection"), present=_hf_present, fetch=_hf_fetch,
)
CAPTIONER = ModelSpec(
    key="captioner", default="Salesforce/blip-image-captioning-base", library="transformers",
    description="BLIP image captioning",
    load=_hf_loader("BlipForConditionalGeneration"), present=_hf_present, fetch=_hf_fetch,
)
VQA = ModelSpec(
    key="vqa", default="Salesforce/blip-vqa-base", library="transformers",
    description="BLIP visual question answering",
    load=_hf_loader("BlipForQuestionAnswering"), present=_hf_present, fetch=_hf_fetch,
)


# -- open_clip ------------------------------------------------------------------

def split_clip_id(model_id: str) -> tuple[str, str | None]:
    """``ARCH:PRETRAINED`` -> (ARCH, PRETRAINED); ``hf-hub:org/name`` stays whole."""
    if model_id.startswith("hf-hub:"):
        return model_id, None
    arch, sep, pretrained = model_id.partition(":")
    return arch, (pretrained or None) if sep else None


def _clip_load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    import open_clip

    arch, pretrained = split_clip_id(model_id)
    precision = "fp16" if dtype == "float16" else "fp32"
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=pretrained, device=device, precision=precision)
    tokenizer = open_clip.get_tokenizer(arch)
    return model.eval(), preprocess, tokenizer


def _clip_present(model_id: str, cache_dir: Path) -> bool:
    arch, pretrained = split_clip_id(model_id)
    if pretrained is None:
        return False
    if Path(pretrained).is_file():
        return True
    import open_clip
    from huggingface_hub import try_to_load_from_cache

    cfg = open_clip.get_pretrained_cfg(arch, pretrained)
    hub = cfg.get("hf_hub", "").rstrip("/")
    if not hub:
        return False
    return any(
        isinstance(try_to_load_from_cache(hub, name), str)
        for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
    )


def _clip_fetch(model_id: str, cache_dir: Path) -> None:
    import open_clip

    arch, pretrained = split_clip_id(model_id)
    if pretrained is not None and Path(pretrained).is_file():
        return
    open_clip.create_model_and_transforms(arch, pretrained=pretrained)


CLIP = ModelSpec(
    key="clip", default="ViT-B-32:laion2b_s34b_b79k", library="open_clip",
    description="CLIP for zero-shot classification and selection",
    load=_clip_load, present=_clip_present, fetch=_clip_fetch,
)


# -- segment-anything ----------------------------------------------------------

def split_sam_id(model_id: str) -> tuple[str, str]:
    variant, sep, checkpoint = model_id.partition(":")
    if not sep or not checkpoint:
        raise ModelUnavailable(f"segmenter id {model_id!r} must look like 'vit_b:/path/or/https-url.pth'")
    return variant, checkpoint


def _sam_checkpoint(checkpoint: str, cache_dir: Path) -> Path:
    if checkpoint.startswith(("http://", "https://")):
        return cache_dir / "sam" / os.path.basename(checkpoint)
    return Path(checkpoint).expanduser()


def _sam_load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    from segment_anything import sam_model_registry

    variant, checkpoint = split_sam_id(model_id)
    if variant not in sam_model_registry:
        raise ModelUnavailable(f"unknown SAM variant {variant!r}; known: {', '.join(sorted(sam_model_registry))}")
    path = _sam_checkpoint(checkpoint, cache_dir)
    if not path.is_file():
        raise FileNotFoundError(f"SAM checkpoint not found at {path}")
    sam = sam_model_registry[variant](checkpoint=str(path))
    # SAM's mask decoder is numerically fragile in half precision; keep float32.
    return sam.to(device).eval()


def _sam_present(model_id: str, cache_dir: Path) -> bool:
    _, checkpoint = split_sam_id(model_id)
    return _sam_checkpoint(checkpoint, cache_dir).is_file()


def _sam_fetch(model_id: str, cache_dir: Path) -> None:
    _, checkpoint = split_sam_id(model_id)
    path = _sam_checkpoint(checkpoint, cache_dir)
    if path.is_file() or not checkpoint.startswith(("http://", "https://")):
        return
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(checkpoint, str(path), progress=True)


SEGMENTER = ModelSpec(
    key="segmenter", default="vit_b:https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
    library="segment_anything", description="Segment Anything (box/point prompts and automatic masks)",
    load=_sam_load, present=_sam_present, fetch=_sam_fetch,
)


# -- weights shipped inside packages ------------------------------------------

def _package_present(module: str) -> Any:
    def present(model_id: str, cache_dir: Path) -> bool:
        import importlib.util

        return importlib.util.find_spec(module) is not None

    return present


def _package_fetch(package: str) -> Any:
    def fetch(model_id: str, cache_dir: Path) -> None:
        raise ModelUnavailable(f"weights ship inside the '{package}' package: pip install {package}")

    return fetch


def _face_load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    import cv2

    path = Path(model_id) if Path(model_id).is_file() else Path(cv2.data.haarcascades) / model_id
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise FileNotFoundError(f"face cascade not found or unreadable: {path}")
    return cascade


FACES = ModelSpec(
    key="faces", default="haarcascade_frontalface_default.xml", library="opencv",
    description="OpenCV Haar face cascade (ships in opencv-python-headless 4.x)",
    load=_face_load, present=_package_present("cv2"), fetch=_package_fetch("opencv-python-headless<5"),
)


def _ocr_load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


OCR = ModelSpec(
    key="ocr", default="rapidocr-pp-ocr", library="rapidocr",
    description="PP-OCR text detection and recognition (ships in rapidocr-onnxruntime)",
    load=_ocr_load, present=_package_present("rapidocr_onnxruntime"), fetch=_package_fetch("rapidocr-onnxruntime"),
)

ALL_SPECS = [DETECTOR, SEGMENTER, CLIP, CAPTIONER, VQA, FACES, OCR]
