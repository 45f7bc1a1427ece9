"""Captioning and visual question answering with BLIP through transformers.

Both take one image or a list (crops, say) and run one batched, greedy (deterministic)
generation; a list in gives a list out, in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from visprog_tools.vision.specs import CAPTIONER, VQA

from visprog.errors import ToolError
from visprog.models.manager import ModelSpec, model_manager
from visprog.toolkit.tool import tool
from visprog.values.core import Image

_REQUIRES = ("torch", "transformers")


def _generate(spec: ModelSpec, images: Sequence[Image], texts: Sequence[str] | None, max_new_tokens: int) -> list[str]:
    import torch

    processor, model = model_manager().load(spec)
    kwargs: dict[str, Any] = {"images": [im.pil for im in images], "return_tensors": "pt"}
    if texts is not None:
        kwargs.update(text=list(texts), padding=True)
    inputs = processor(**kwargs)
    inputs = {k: v.to(model.device) for k, v in inputs.items()}
    inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
    with torch.inference_mode():
        tokens = model.generate(**inputs, max_new_tokens=max_new_tokens, num_beams=1, do_sample=False)
    return [t.strip() for t in processor.batch_decode(tokens, skip_special_tokens=True)]


@tool(family="vision", requires=_REQUIRES, cacheable=True, models=[CAPTIONER])
def caption(image: Image | list[Image]) -> str | list[str]:
    """Describe an image in one sentence (BLIP).

    Args:
        image: an image, or a list of images captioned in one batch.

    Returns:
        The caption, or a list of captions in the order of the images.
    """
    images = image if isinstance(image, list) else [image]
    if not images or not all(isinstance(im, Image) for im in images):
        raise ToolError("expects an Image or a non-empty list of Images", argument="image")
    out = _generate(CAPTIONER, images, None, max_new_tokens=30)
    return out if isinstance(image, list) else out[0]


@tool(family="vision", requires=_REQUIRES, cacheable=True, models=[VQA])
def vqa(image: Image | list[Image], question: str | list[str]) -> str | list[str]:
    """Answer a question about an image in a word or two (VisProg's VQA, BLIP).

    Args:
        image: an image, or a list of images (e.g. crops) answered in one batch.
        question: one question for every image, or one question per image.

    Returns:
        The short answer, or a list of answers when a list of images was given.
    """
    images = image if isinstance(image, list) else [image]
    if not images or not all(isinstance(im, Image) for im in images):
        raise ToolError("expects an Image or a non-empty list of Images", argument="image")
    questions = [question] * len(images) if isinstance(question, str) else list(question)
    if len(questions) != len(images):
        raise ToolError(f"got {len(questions)} questions for {len(images)} images", argument="question")
    if not all(q.strip() for q in questions):
        raise ToolError("questions must be non-empty", argument="question")
    out = _generate(VQA, images, questions, max_new_tokens=10)
    return out if isinstance(image, list) else out[0]
