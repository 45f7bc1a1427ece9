"""Captioning and visual question answering with BLIP through transformers.

Both take one image or a list (crops, say) and run batched, greedy (deterministic)
generation; a list in gives a list out, in the same order. Each answer is the one the
model card's recipe gives for that image and question alone
(``processor(image, question)`` then ``model.generate``, as on the
``Salesforce/blip-vqa-base`` card):

* ``BlipForQuestionAnswering.generate`` gives its answer decoder an all-ones mask over
  the question's encoding, so padding a short question in a batch changes its answer.
  Questions are therefore batched only with questions of the same token length (no
  padding at all); a batch of mixed lengths runs as one batch per length.
* Deviation from the cards, deliberate: greedy decoding capped at 30 new tokens for a
  caption (the card's ``generate()`` stops at the generation config's ``max_length``,
  20 tokens in all, which cuts some captions) and 10 for an answer (VisProg's answers
  are a word or two).

Both declare their batch path (``@tool(batch=...)``): a lockstep block's calls (one
image, one question each) go to the model as one call, with the answers each call gets
alone (no padding, as above).
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


CAPTION_TOKENS = 30
"""New tokens a caption may take (the card's generation config allows 20 in all)."""
ANSWER_TOKENS = 10
"""New tokens an answer may take."""


def _run(processor: Any, model: Any, images: Sequence[Image], texts: Sequence[str] | None, max_new_tokens: int) -> list[str]:
    import torch

    kwargs: dict[str, Any] = {"images": [im.pil for im in images], "return_tensors": "pt"}
    if texts is not None:
        kwargs["text"] = list(texts)
    inputs = processor(**kwargs)
    inputs = {k: v.to(model.device) for k, v in inputs.items()}
    inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
    with torch.inference_mode():
        tokens = model.generate(**inputs, max_new_tokens=max_new_tokens, num_beams=1, do_sample=False)
    return [t.strip() for t in processor.batch_decode(tokens, skip_special_tokens=True)]


def _generate(spec: ModelSpec, images: Sequence[Image], texts: Sequence[str] | None, max_new_tokens: int) -> list[str]:
    """One generation per image, in order; questions are grouped by token length so none
    is padded (see the module docstring)."""
    processor, model = model_manager().load(spec)
    if texts is None:
        return _run(processor, model, images, None, max_new_tokens)
    lengths = [len(ids) for ids in processor.tokenizer(list(texts))["input_ids"]]
    groups: dict[int, list[int]] = {}
    for index, length in enumerate(lengths):
        groups.setdefault(length, []).append(index)
    out = [""] * len(images)
    for indices in groups.values():
        answers = _run(processor, model, [images[i] for i in indices], [texts[i] for i in indices], max_new_tokens)
        for i, answer in zip(indices, answers):
            out[i] = answer
    return out


@tool(family="vision", requires=_REQUIRES, cacheable=True, models=[CAPTIONER], batch=("image",))
def caption(image: Image | list[Image]) -> str | list[str]:
    """Describe an image in one sentence (BLIP), greedy, up to 30 new tokens.

    Args:
        image: an image, or a list of images captioned in one batch.

    Returns:
        The caption, or a list of captions in the order of the images.
    """
    images = image if isinstance(image, list) else [image]
    if not images or not all(isinstance(im, Image) for im in images):
        raise ToolError("expects an Image or a non-empty list of Images", argument="image")
    out = _generate(CAPTIONER, images, None, max_new_tokens=CAPTION_TOKENS)
    return out if isinstance(image, list) else out[0]


@tool(family="vision", requires=_REQUIRES, cacheable=True, models=[VQA], batch=("image", "question"))
def vqa(image: Image | list[Image], question: str | list[str]) -> str | list[str]:
    """Answer a question about an image in a word or two (VisProg's VQA, BLIP).

    Args:
        image: an image, or a list of images (e.g. crops), batched; each answer is the
            one the image and its question get alone (questions of different token
            lengths go in separate batches, never padded).
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
    out = _generate(VQA, images, questions, max_new_tokens=ANSWER_TOKENS)
    return out if isinstance(image, list) else out[0]
