"""ViperGPT's API as tools: ``ImagePatch(image)``, the patch methods that ask models
(``find``, ``exists``, ``verify_property``, ``best_text_match``, ``simple_query``,
``compute_depth``, ``llm_query``) and the free helpers (``best_image_match``,
``distance``, ``bool_to_yesno``, ``llm_query``, ``process_guesses``, ``coerce_to_numeric``),
and video: ``VideoSegment(video)`` over a list of frames (:func:`load_video` reads a file)
with ``select_answer`` through the chat model.

A program's ``patch.find('cup')`` runs the tool ``patch_find(patch, 'cup')`` (the
value-type protocol routes :class:`~visprog.values.patch.ImagePatch`'s tool methods
here), and each of these tools calls the *registered* model tools by name through
:func:`visprog.runtime.execution.call_registered_tool`: ``detect``, ``vqa``,
``classify``, ``classify_image``, ``depth`` and ``llm_query``. So a run's registry
decides which models answer (a registry of fakes is honoured), and every inner call is
validated, availability-checked, cached, cost-checked against the run's budgets, run
under its deadline and recorded in the trace, right after the method's own call, with
the patch's crop as its image argument.

Which tool answers which method (ViperGPT's models in brackets):

==========================  =====================================================
``find(name)``              ``detect(crop, name)`` [GLIP]; boxes clipped to the patch
``exists(name)``            ``find(name)``, then ``vqa(found crops, "Is this a {name}?")``,
                            true when an answer contains "yes"; a number ("17",
                            "number 5") is read with ``vqa(crop, "What number is
                            written in the image (in digits)?")`` [as ViperGPT]
``verify_property(o, p)``   ``vqa(crop, "Is the {o} {p}?")`` read as yes/no [X-VLM]
``best_text_match(opts)``   ``classify_image(crop, opts)`` [X-VLM / CLIP]
``simple_query(q)``         ``vqa(crop, q)`` [BLIP-2]
``compute_depth()``         ``depth(image).median(patch box)`` [MiDaS]
``llm_query(q)``            the run's chat model [GPT-3]
``best_image_match``        ``similarity(image, patch boxes, "photo of {text}")`` per
                            text, averaged over the texts, argmax [CLIP, as ViperGPT]
``forward(model, ...)``     ``'glip'``: ``detect``; any other model name is refused with
                            the method to write instead
==========================  =====================================================

ViperGPT's semantics are those of its implementation, ``image_patch.py`` in
cvlab-columbia/viper (commit 09fe346): ``exists``, digit names and ``best_image_match``
follow it line by line (see each tool's docstring); ``docs/viper_api.md`` lists where
visprog still differs (no 10-pixel crop margin, no "person" -> "people" rewrite for GLIP,
``verify_property`` through VQA rather than X-VLM).

Each patch tool declares the models its default inner tools load (``models=``), so
``visprog tools`` shows it "needs download" exactly when those do; a registry that
replaces the inner tools (fakes, say) still decides what answers.

Coordinates: ViperGPT's ``left, lower, right, upper`` count **up** from the bottom of
the patch's frame; see :mod:`visprog.values.patch` and ``docs/viper_api.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from visprog_tools.vision.depth import DEPTH, DepthMap
from visprog_tools.vision.specs import CLIP, DETECTOR, VQA

from visprog.errors import ToolError
from visprog.runtime.execution import call_registered_tool
from visprog.toolkit.context import note
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image
from visprog.values.patch import ImagePatch, VideoSegment

__all__ = [
    "SELECT_ANSWER_PROMPT", "SHORT_ANSWER_PROMPT", "GUESSES_PROMPT", "TOOLS", "best_image_match", "load_video", "video_segment",
    "video_select_answer", "bool_to_yesno", "coerce_to_numeric", "distance",
    "image_patch", "llm_query", "patch_best_text_match", "patch_compute_depth", "patch_exists", "patch_find", "patch_forward",
    "patch_llm_query", "patch_simple_query", "patch_verify_property", "process_guesses",
]

#: ``llm_query(q, long_answer=False)``: a short-answer prompt (ViperGPT's gpt3_qa, in our words).
SHORT_ANSWER_PROMPT = (
    "Answer the question the way a typical person would, in one or two words: no ranges, no doubt, no explanation.\n"
    "Question: {question}\nAnswer:"
)
#: ``process_guesses``: pick one short answer from guesses (ViperGPT's gpt3_process_guess, in our words).
GUESSES_PROMPT = (
    "Answer the question using the guesses below. If they disagree, choose the most likely one. "
    "Reply in one word, two at most.\n\nQuestion: {question}\n{guesses}\nAnswer:"
)
_DEFAULT_QUESTION = "What is this?"

_PATCH_TOOL: dict[str, Any] = {"family": "viper", "preempt": "inline", "version": "2"}
_TORCH = ("torch", "transformers")
_LLM_COST = {"llm_calls": 1}


def _text(value: str, argument: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ToolError(f"{argument} must be non-empty text", argument=argument)
    return text


def _called(name: str, arguments: dict[str, Any], kind: type, what: str) -> Any:
    """Call the registered tool ``name`` and check that it returned a ``kind``."""
    value = call_registered_tool(name, arguments)
    if type(value) is not kind:
        raise ToolError(f"the {name} tool returned {type(value).__name__}, not {what}")
    return value


# -- making patches ---------------------------------------------------------------

@tool(name="ImagePatch", **_PATCH_TOOL)
def image_patch(
    image: Image, left: float | None = None, lower: float | None = None, right: float | None = None, upper: float | None = None
) -> ImagePatch:
    """ViperGPT's ImagePatch(image): the whole image as a patch, or the rectangle with the
    given edges.

    Edges count from the image's bottom-left corner, with y pointing **up** (ViperGPT's
    convention): ``lower``/``upper`` are the bottom and top edges, ``0 <= lower <= upper
    <= image height``. For the program's input image this is the whole picture; visprog's
    root pixels (y down) map as ``lower = H - y2``, ``upper = H - y1``.

    Args:
        image: the image.
        left: x of the left edge (give all four edges or none).
        lower: y of the bottom edge, counted up from the bottom.
        right: x of the right edge.
        upper: y of the top edge, counted up from the bottom.

    Returns:
        The patch.
    """
    whole = ImagePatch(image)
    edges = (left, lower, right, upper)
    if all(e is None for e in edges):
        return whole
    missing = [n for n, e in zip(("left", "lower", "right", "upper"), edges) if e is None]
    if missing:
        raise ToolError(f"give all four edges (left, lower, right, upper) or none; {', '.join(missing)} missing", argument=missing[0])
    return whole.crop(left, lower, right, upper)


def _found_patches(patch: ImagePatch, object_name: str) -> list[ImagePatch]:
    name = _text(object_name, "object_name")
    found = _called("detect", {"image": patch.cropped_image, "query": name}, Detections, "Detections")
    px1, py1, px2, py2 = patch.box.as_tuple()
    patches: list[ImagePatch] = []
    for box in found:
        x1, y1 = round(max(box.x1, px1)), round(max(box.y1, py1))
        x2, y2 = round(min(box.x2, px2)), round(min(box.y2, py2))
        if x1 < x2 and y1 < y2:
            patches.append(ImagePatch(patch.image, Box(x1, y1, x2, y2, label=box.label or name, score=box.score), patch.frame))
    if len(patches) < len(found):
        note(f"{len(found) - len(patches)} detection(s) had no whole pixel inside the patch and were dropped")
    return patches


@tool(name="patch_find", requires=_TORCH, models=[DETECTOR], **_PATCH_TOOL)
def patch_find(patch: ImagePatch, object_name: str) -> list[ImagePatch]:
    """ImagePatch.find: every object called object_name inside the patch, one patch each.

    Asks the registered ``detect`` tool on the patch's pixels; boxes are clipped to the
    patch and rounded to whole pixels. Patches come in the detector's order (best score
    first), not by position: sort them yourself.

    Args:
        patch: the patch to look in.
        object_name: what to find, e.g. "cup" or "red car".

    Returns:
        The patches found (an empty list when there is none).
    """
    return _found_patches(patch, object_name)


#: ``exists`` asks this of a patch to read a number (ViperGPT's own question).
NUMBER_QUESTION = "What number is written in the image (in digits)?"
#: ``exists`` asks this of each found patch (ViperGPT's own question, article and all).
IS_THIS_QUESTION = "Is this a {}?"


def _number_in(text: str) -> int | float | None:
    """The first number in ``text``, in digits or words up to twenty; None if none."""
    lowered = text.strip().lower().replace(",", "")
    match = _NUMBER.search(lowered)
    if match is not None:
        found = match.group(0)
        return float(found) if "." in found else int(found)
    for word in re.findall(r"[a-z]+", lowered):
        if word in _WORD_NUMBERS:
            return _WORD_NUMBERS[word]
    return None


@tool(name="patch_exists", requires=_TORCH, models=[DETECTOR, VQA], **_PATCH_TOOL)
def patch_exists(patch: ImagePatch, object_name: str) -> bool:
    """ImagePatch.exists: whether an object called object_name is in the patch, as
    ViperGPT's implementation decides it (``image_patch.py``, ``ImagePatch.exists``).

    * A number (``"17"``, ``"number 5"``, ``"number five"``): the registered ``vqa``
      tool reads the patch with "What number is written in the image (in digits)?";
      true when its answer is that number. (ViperGPT reads both with ``word2number``;
      here digits and number words up to twenty. An answer with no number is false,
      and the trace says so.)
    * Anything else: ``find(object_name)``, then ``vqa`` asks each found patch "Is this
      a {object_name}?" (one batched call); true when at least one answer contains
      "yes". This is ViperGPT's check against detector false positives; ViperGPT's
      prompt documents only ``len(find(object_name)) > 0``, which programs can write.

    Args:
        patch: the patch to look in.
        object_name: what to look for.

    Returns:
        True when such an object is there.
    """
    name = _text(object_name, "object_name")
    lowered = name.lower()
    if name.isdigit() or lowered.startswith("number"):
        wanted = _number_in(lowered.replace("number", "").strip())
        if wanted is None:
            raise ToolError(f"{object_name!r} starts with 'number' but names no number", argument="object_name")
        reply = _called("vqa", {"image": patch.cropped_image, "question": NUMBER_QUESTION}, str, "text")
        read = _number_in(reply)
        if read is None:
            note(f"the answer to {NUMBER_QUESTION!r} was {reply!r}, which holds no number: read as not {wanted}")
            return False
        return read == wanted
    found = _found_patches(patch, name)
    if not found:
        return False
    question = IS_THIS_QUESTION.replace("{}", name)
    crops = [p.cropped_image for p in found]
    answers = _called("vqa", {"image": crops, "question": question}, list, "a list of answers")
    if len(answers) != len(crops) or not all(isinstance(a, str) for a in answers):
        raise ToolError(f"the vqa tool gave {len(answers)} answers for {len(crops)} images")
    confirmed = sum("yes" in a for a in answers)
    if confirmed < len(found):
        note(f"exists({name!r}): {len(found) - confirmed} of {len(found)} found patch(es) not confirmed by {question!r}")
    return confirmed > 0


def _yes(answer: str, question: str) -> bool:
    reply = answer.strip().lower()
    if reply.startswith("yes") or reply in ("true", "y"):
        return True
    if reply.startswith("no") or reply in ("false", "n"):
        return False
    note(f"the answer to {question!r} was {answer!r}, neither yes nor no: read as no")
    return False


@tool(name="patch_verify_property", requires=_TORCH, models=[VQA], **_PATCH_TOOL)
def patch_verify_property(patch: ImagePatch, object_name: str, property: str) -> bool:
    """ImagePatch.verify_property: whether the object in the patch has a visual property.

    Asks the registered ``vqa`` tool "Is the {object_name} {property}?" about the patch's
    pixels. An answer that is neither yes nor no counts as no, and the trace says so.

    Args:
        patch: the patch showing the object (assumed to be there).
        object_name: the object, e.g. "mug".
        property: a simple visual property: colour, material, shape or state, e.g. "red".

    Returns:
        True when the answer is yes.
    """
    question = f"Is the {_text(object_name, 'object_name')} {_text(property, 'property')}?"
    answer = _called("vqa", {"image": patch.cropped_image, "question": question}, str, "text")
    return _yes(answer, question)


@tool(name="patch_best_text_match", requires=("torch", "open_clip"), models=[CLIP], **_PATCH_TOOL)
def patch_best_text_match(patch: ImagePatch, option_list: list[str], prefix: str | None = None) -> str:
    """ImagePatch.best_text_match: the option that describes the patch best.

    Asks the registered ``classify_image`` tool (CLIP) on the patch's pixels. ``prefix``
    is put before every option while comparing; the option itself is returned.

    Args:
        patch: the patch.
        option_list: the options, e.g. ["wooden", "metal"].
        prefix: text put before each option for scoring, e.g. "a photo of a".

    Returns:
        One of the options.
    """
    options = [_text(o, "option_list") for o in option_list]
    if not options:
        raise ToolError("option_list must hold at least one option", argument="option_list")
    if len(set(options)) == 1:
        return options[0]
    lead = " ".join(prefix.split()) if prefix else ""
    texts = [f"{lead} {o}" if lead else o for o in options]
    chosen = _called("classify_image", {"image": patch.cropped_image, "categories": texts}, str, "text")
    if chosen not in texts:
        raise ToolError(f"classify_image chose {chosen!r}, which is not one of the options")
    return options[texts.index(chosen)]


@tool(name="patch_simple_query", requires=_TORCH, models=[VQA], **_PATCH_TOOL)
def patch_simple_query(patch: ImagePatch, question: str | None = None) -> str:
    """ImagePatch.simple_query: a short answer to a simple question about the patch.

    Asks the registered ``vqa`` tool about the patch's pixels. For perception only
    (colour, what is it, what is written), not for reasoning or knowledge.

    Args:
        patch: the patch.
        question: the question; default "What is this?".

    Returns:
        The answer, a word or two.
    """
    asked = _text(question, "question") if question is not None else _DEFAULT_QUESTION
    answer: str = _called("vqa", {"image": patch.cropped_image, "question": asked}, str, "text")
    return answer


@tool(name="patch_compute_depth", requires=_TORCH, models=[DEPTH], **_PATCH_TOOL)
def patch_compute_depth(patch: ImagePatch) -> float:
    """ImagePatch.compute_depth: the median depth of the patch; larger means farther.

    As ViperGPT does, depth is estimated on the whole image the patch was cut from (the
    registered ``depth`` tool), then the median is taken over the patch's pixels (the
    lower middle value for an even count). Values are only comparable within one image.

    Args:
        patch: the patch.

    Returns:
        The median depth.
    """
    depth_map: DepthMap = _called("depth", {"image": patch.image}, DepthMap, "a DepthMap")
    return depth_map.median(patch.box)


#: What to write in place of ``forward(model_name, ...)`` for ViperGPT's model names.
FORWARD_METHODS = {
    "glip": "find(object_name)", "maskrcnn": "find('object')", "blip": "simple_query(question)",
    "blip2": "simple_query(question)", "clip": "best_text_match(options) or best_image_match(patches, texts)",
    "xvlm": "verify_property(object_name, property) or best_text_match(options)", "tcl": "best_text_match(options)",
    "depth": "compute_depth()", "gpt3": "llm_query(question)", "codex": "llm_query(question)",
}


@tool(name="patch_forward", requires=_TORCH, models=[DETECTOR], **_PATCH_TOOL)
def patch_forward(patch: ImagePatch, model_name: str, image: Image | None = None, query: str | None = None) -> list[list[int]]:
    """ImagePatch.forward(model_name, image, query): one of ViperGPT's models by name, as
    its ``fixed_code`` prompts call it (``glip.prompt``:
    ``bbox = image_patch.forward('glip', image_patch.cropped_image, query)[0]``).

    Only ``'glip'`` is supported: the registered ``detect`` tool on the patch's pixels,
    each box as ``[left, lower, right, upper]`` in the patch's frame (y up, whole
    pixels), best first, so ``patch.crop(*bbox)`` cuts it out as ViperGPT's program
    expects. Other model names are refused with the method to write instead (e.g.
    ``simple_query(question)`` for ``'blip'``): visprog's tools are chosen by the registry,
    not by model name.

    Args:
        patch: the patch.
        model_name: ViperGPT's model name, "glip".
        image: the patch's own ``cropped_image`` (what ViperGPT passes); default: it.
        query: what to detect.

    Returns:
        The boxes, ``[[left, lower, right, upper], ...]``.
    """
    name = _text(model_name, "model_name").lower()
    if name != "glip":
        instead = FORWARD_METHODS.get(name)
        hint = f"write patch.{instead} instead" if instead else f"use the patch methods ({', '.join(sorted(set(FORWARD_METHODS.values())))})"
        raise ToolError(f"forward({model_name!r}, ...) calls a ViperGPT model by name, which visprog does not do: {hint}",
                        argument="model_name")
    if image is not None and image.root_box.as_tuple() != patch.box.as_tuple():
        raise ToolError("forward('glip', image, query) looks at the patch's own pixels: pass patch.cropped_image", argument="image")
    if query is None:
        raise ToolError("forward('glip', image, query) needs the query: what to find", argument="query")
    found = _found_patches(patch, query)
    return [[p.left, p.lower, p.right, p.upper] for p in found]


@tool(name="patch_llm_query", **_PATCH_TOOL)
def patch_llm_query(patch: ImagePatch, question: str, long_answer: bool = True) -> str:
    """ImagePatch.llm_query: the same as llm_query(question, long_answer); the patch is not used.

    Args:
        patch: the patch (not looked at).
        question: a question that stands on its own.
        long_answer: False for one or two words.

    Returns:
        The chat model's answer.
    """
    answer: str = _called("llm_query", {"query": question, "long_answer": long_answer}, str, "text")
    return answer


# -- free helpers -----------------------------------------------------------------

@tool(family="viper", cost=lambda arguments: _LLM_COST)
def llm_query(query: str, long_answer: bool = True) -> str:
    """Ask the run's chat model a question of general knowledge (ViperGPT's llm_query).

    The question must stand on its own: the model never sees the image. Replies are
    cached by (model, prompt).

    Args:
        query: the question, e.g. "Which country is Paris in?".
        long_answer: True (default) for a free answer; False for one or two words.

    Returns:
        The answer (for a short answer, its first line).
    """
    from visprog.toolkit.llm import complete

    question = _text(query, "query")
    if long_answer:
        return complete(question, purpose="llm_query").strip()
    reply = complete(SHORT_ANSWER_PROMPT.replace("{question}", question), purpose="llm_query")
    return _first_line(reply)


def _first_line(reply: str) -> str:
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    return lines[0].removeprefix("Answer:").strip() if lines else ""


@tool(family="viper", cost=lambda arguments: _LLM_COST)
def process_guesses(prompt: str, guess1: str | list[str], guess2: str | None = None) -> str:
    """Pick one short answer to a question from guesses (ViperGPT's process_guesses).

    Takes the guesses as ``guess1, guess2`` or as a list in ``guess1``
    (``process_guesses(question, [guess_a, guess_b])``, as ViperGPT's own prompts call it).

    Args:
        prompt: the question.
        guess1: the first guess, or a list of guesses.
        guess2: the second guess.

    Returns:
        The chat model's answer, a word or two.
    """
    from visprog.toolkit.llm import complete

    question = _text(prompt, "prompt")
    if isinstance(guess1, list):
        if guess2 is not None:
            raise ToolError("give the guesses as a list in guess1 or as guess1 and guess2, not both", argument="guess2")
        guesses = [str(g) for g in guess1]
    else:
        guesses = [g for g in (guess1, guess2) if g is not None]
    guesses = [" ".join(g.split()) for g in guesses if g.strip()]
    if not guesses:
        raise ToolError("give at least one non-empty guess", argument="guess1")
    listed = "\n".join(f"Guess {i}: {g}" for i, g in enumerate(guesses, 1))
    reply = complete(GUESSES_PROMPT.replace("{question}", question).replace("{guesses}", listed), purpose="process_guesses")
    return _first_line(reply)


@tool(family="viper", preempt="inline")
def bool_to_yesno(bool_answer: Any) -> str:
    """'yes' when bool_answer is true, else 'no' (ViperGPT's bool_to_yesno).

    Args:
        bool_answer: the value to turn into yes or no (usually a bool).

    Returns:
        "yes" or "no".
    """
    return "yes" if bool_answer else "no"


def _gap(a: Box, b: Box) -> float:
    dx = max(0.0, a.x1 - b.x2, b.x1 - a.x2)
    dy = max(0.0, a.y1 - b.y2, b.y1 - a.y2)
    return math.hypot(dx, dy)


@tool(family="viper", preempt="inline")
def distance(patch_a: ImagePatch | float, patch_b: ImagePatch | float) -> float:
    """The distance between two patches' edges, or between two numbers (ViperGPT's distance).

    For patches: the Euclidean gap between their rectangles in pixels (0 when they
    touch); when they overlap, minus their intersection over union. The gap does not
    depend on which way y points. For two numbers: ``abs(a - b)``.

    Args:
        patch_a: a patch, or a number.
        patch_b: a patch, or a number (the same kind as patch_a).

    Returns:
        The distance.
    """
    if isinstance(patch_a, ImagePatch) and isinstance(patch_b, ImagePatch):
        gap = _gap(patch_a.box, patch_b.box)
        return gap if gap > 0 else -patch_a.box.iou(patch_b.box)
    if isinstance(patch_a, ImagePatch) or isinstance(patch_b, ImagePatch):
        raise ToolError("distance takes two patches or two numbers, not one of each", argument="patch_b")
    return float(abs(patch_a - patch_b))


#: ``best_image_match`` puts each text in ViperGPT's CLIP prompt ("photo of " + text).
IMAGE_MATCH_PROMPT = "photo of {}"


@tool(family="viper", preempt="inline", requires=("torch", "open_clip"), models=[CLIP])
def best_image_match(list_patches: list[ImagePatch], content: str | list[str], return_index: bool = False) -> Any:
    """The patch that best matches descriptions (ViperGPT's best_image_match).

    As ViperGPT's implementation (``image_patch.py``, ``best_image_match`` with CLIP's
    ``compare``): for each text, the registered ``similarity`` tool gives every patch's
    CLIP cosine similarity to "photo of {text}"; the scores are averaged over the texts
    and the patch with the highest average wins (the first on a tie). An empty list
    gives None, as in ViperGPT.

    Args:
        list_patches: the candidate patches (of one image).
        content: the description(s), e.g. ["red car"].
        return_index: return the winner's index in list_patches instead of the patch.

    Returns:
        The best patch, its index with return_index=True, or None for an empty list.
    """
    texts = [_text(content, "content")] if isinstance(content, str) else [_text(c, "content") for c in content]
    if not texts:
        raise ToolError("content must hold at least one description", argument="content")
    if not list_patches:
        note("best_image_match got no patches: returned None, as ViperGPT does")
        return None
    image = list_patches[0].image
    if any(p.image is not image and p.image.content_hash != image.content_hash for p in list_patches):
        raise ToolError("best_image_match compares patches of one image; these come from different images", argument="list_patches")
    index = 0 if len(list_patches) == 1 else _mean_best(image, list_patches, texts)
    return index if return_index else list_patches[index]


def _mean_best(image: Image, patches: Sequence[ImagePatch], texts: Sequence[str]) -> int:
    boxes = Detections([p.box for p in patches])
    totals = [0.0] * len(patches)
    for text in texts:
        scored = _called("similarity", {"image": image, "objects": boxes, "text": IMAGE_MATCH_PROMPT.replace("{}", text)},
                         Detections, "Detections")
        if len(scored) != len(patches):
            raise ToolError(f"similarity scored {len(scored)} boxes for {len(patches)} patches")
        for i, box in enumerate(scored):
            totals[i] += float(box.score or 0.0)
    best = max(range(len(patches)), key=lambda i: (totals[i], -i))
    return best


_WORD_NUMBERS = {
    word: value for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@tool(family="viper", preempt="inline")
def coerce_to_numeric(string: str) -> int | float | str:
    """The first number in a text (ViperGPT's coerce_to_numeric): "10-15" gives 10,
    "3.5 cm" gives 3.5, "seven" gives 7 (number words up to twenty). Text with no
    number is returned as it is, and the trace says so.

    Args:
        string: the text, e.g. an answer from simple_query.

    Returns:
        The number (int, or float with a decimal point), or the text itself.
    """
    found = _number_in(string)
    if found is not None:
        return found
    note(f"{string!r} holds no number: returned as text")
    return string


# -- video ---------------------------------------------------------------------------

#: ``VideoSegment.select_answer``: pick one option from facts gathered about a video.
SELECT_ANSWER_PROMPT = (
    "Facts gathered from a video:\n{facts}\n\nQuestion: {question}\nOptions: {options}\n"
    "Reply with the one option that answers the question best, exactly as written.\nAnswer:"
)


def load_video(path: str, *, max_frames: int = 32, max_pixels: int = 50_000_000) -> list[Image]:
    """Frames of a video file, evenly spaced, as Images (the input of a ViperGPT video
    program: ``run_program(source, inputs={"video": load_video("clip.mp4")})``).

    Read with OpenCV (opencv-python-headless). Each frame is its own root image.

    Args:
        path: the video file.
        max_frames: at most this many frames, evenly spaced over the video (the first
            and the last included).
        max_pixels: pixels of all frames together (the run's ``max_image_pixels`` is per image).

    Raises:
        InputError: the file cannot be read as a video, holds no frame, or the frames
            exceed ``max_pixels``.
    """
    import cv2
    import PIL.Image

    from visprog.errors import InputError

    if max_frames < 1:
        raise InputError(f"max_frames must be at least 1, got {max_frames}")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InputError(f"cannot read {path} as a video")
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if count < 1:
            raise InputError(f"{path} holds no frames")
        wanted = sorted({round(i * (count - 1) / max(max_frames - 1, 1)) for i in range(min(max_frames, count))})
        if len(wanted) * width * height > max_pixels:
            raise InputError(f"{len(wanted)} frames of {width}x{height} exceed max_pixels={max_pixels}; lower max_frames")
        frames: list[Image] = []
        for index in wanted:
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, bgr = capture.read()
            if not ok:
                raise InputError(f"cannot read frame {index} of {path}")
            frames.append(Image(PIL.Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))))
        return frames
    finally:
        capture.release()


@tool(name="VideoSegment", family="viper", preempt="inline")
def video_segment(video: list[Image], start: int | None = None, end: int | None = None) -> VideoSegment:
    """ViperGPT's VideoSegment(video[, start, end]): frames start .. end-1 of a video.

    Args:
        video: the video, as a list of frames (Images).
        start: the first frame's index (default 0).
        end: one past the last frame's index (default: the end of the video).

    Returns:
        The segment; its frames come out as ImagePatches (frame_iterator, frame_from_index).
    """
    if not video:
        raise ToolError("the video has no frames", argument="video")
    first = 0 if start is None else start
    last = len(video) if end is None else end
    if not 0 <= first <= last <= len(video):
        raise ToolError(f"frames {first}..{last} are not within the video's {len(video)} frames", argument="start")
    return VideoSegment(video, first, last)


def _fact(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 500 else text[:500] + "..."


@tool(name="video_select_answer", family="viper", cost=lambda arguments: _LLM_COST)
def video_select_answer(segment: VideoSegment, info: dict[str, Any], question: str, options: list[str]) -> str:
    """VideoSegment.select_answer: the option that answers the question, chosen by the
    run's chat model from facts gathered about the video.

    Args:
        segment: the video segment (the facts are about it; its frames are not shown).
        info: facts, name -> value, e.g. {"Caption of the middle frame": "a dog on grass"}.
        question: the question.
        options: the possible answers.

    Returns:
        One of the options; if the reply names none, the reply itself, and the trace says so.
    """
    from visprog.toolkit.llm import complete

    choices = [_text(o, "options") for o in options]
    if not choices:
        raise ToolError("options must hold at least one possible answer", argument="options")
    facts = "\n".join(f"- {_fact(k)}: {_fact(v)}" for k, v in info.items()) or "- (none)"
    prompt = (SELECT_ANSWER_PROMPT.replace("{facts}", facts).replace("{question}", _text(question, "question"))
              .replace("{options}", "; ".join(choices)))
    reply = _first_line(complete(prompt, purpose="select_answer"))
    lowered = reply.lower().strip(" .\"'")
    exact = [c for c in choices if c.lower() == lowered]
    named = exact or [c for c in sorted(choices, key=len, reverse=True) if c.lower() in lowered]
    if named:
        return named[0]
    note(f"the chat model's reply {reply!r} names none of the options: returned as it is")
    return reply


#: Every tool of this module, for the registry.
TOOLS = [
    image_patch, patch_find, patch_exists, patch_verify_property, patch_best_text_match, patch_simple_query,
    patch_compute_depth, patch_forward, patch_llm_query, llm_query, process_guesses, bool_to_yesno, distance, best_image_match,
    coerce_to_numeric, video_segment, video_select_answer,
]
