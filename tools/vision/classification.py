"""Whole-image classification for evaluations (ImageNet-style top-k): the
``class_scores`` tool and the class-description switches an evaluation needs, offered
to :mod:`visprog.evaluation` through the ``visprog.evaluation`` entry point (the core
never imports this package by name).

``class_scores`` gives CLIP scores of every class for a whole image (CuPL: class
embeddings from LLM descriptions, a published CuPL file, or templates; see
:mod:`visprog_tools.vision.clip`). The default tools name one class per image
(``classify_image``) or per object (``classify``); top-5 needs every class's score, so
the evaluation adds this tool to the registry for ``imagenet`` datasets.
"""

from __future__ import annotations

from visprog_tools.vision import clip
from visprog_tools.vision.specs import CLIP

from visprog.errors import ToolError
from visprog.toolkit.discovery import EvaluationSupport
from visprog.toolkit.tool import Tool, tool
from visprog.values.core import Image

__all__ = ["EVALUATION", "class_scores"]


def _class_scores(image: Image, categories: list[str]) -> dict[str, float]:
    """CLIP probability of each category for the whole image.

    Softmax over ``100 * cosine(image embedding, class embedding)``, as in CLIP and
    CuPL zero-shot classification; class embeddings come from the loaded CuPL file,
    the run's chat model (CuPL descriptions) or templates, in that order.

    Args:
        image: the image (root or crop); the whole of it is scored.
        categories: class names, at least two, no repeats.

    Returns:
        Category -> probability in [0, 1], summing to 1, in the order given.
    """
    import numpy as np

    classes = [c.strip() for c in categories]
    if len(classes) < 2 or not all(classes):
        raise ToolError("give at least two non-empty categories", argument="categories")
    if len(set(classes)) != len(classes):
        raise ToolError("categories must not repeat", argument="categories")
    logits = 100.0 * clip.embed_images([image]) @ clip.class_embeddings(classes).T
    logits = logits[0] - logits[0].max()
    probs = np.exp(logits)
    probs /= probs.sum()
    return {c: float(p) for c, p in zip(classes, probs)}


class_scores: Tool = tool(name="class_scores", family="vision", requires=("torch", "open_clip"), models=[CLIP])(_class_scores)


#: What this package offers evaluations (entry point ``visprog.evaluation``).
EVALUATION = EvaluationSupport(
    tools=(class_scores,),
    load_class_descriptions=clip.load_class_descriptions,
    clear_class_descriptions=clip.clear_class_descriptions,
)
