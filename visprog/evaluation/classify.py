"""``class_scores``: CLIP scores of every class for a whole image, for top-k evaluation
of ImageNet-style folders (CuPL: class embeddings from LLM descriptions, a published
CuPL file, or templates; see :mod:`visprog_tools.vision.clip`).

The default tools name one class per image (``classify_image``) or per object
(``classify``); top-5 needs every class's score, so the evaluation adds this tool to
the registry for ``imagenet`` datasets. Imported only then (it imports visprog_tools).
"""

from __future__ import annotations

import importlib

from visprog import Image, Tool, ToolError, tool

__all__ = ["class_scores"]

# visprog_tools is the tools package (the folder tools/); imported by name, lazily.
_CLIP_SPEC = importlib.import_module("visprog_tools.vision.specs").CLIP


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

    clip = importlib.import_module("visprog_tools.vision.clip")
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


class_scores: Tool = tool(name="class_scores", family="vision", requires=("torch", "open_clip"), models=[_CLIP_SPEC])(_class_scores)
