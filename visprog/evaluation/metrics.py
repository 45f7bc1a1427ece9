"""Answer normalisation and per-item scores for each dataset's official metric.

Every scorer takes the program's answer (any program value, or None when the run gave
none) and the item's gold data, and returns a :class:`Score`: a value in ``[0, 1]``
(VQA accuracy can be fractional), whether it counts as correct, the answer as the
metric saw it, and extra figures (``top1``/``top5`` for classification, ``iou`` for
grounding).

Coordinates: boxes are visprog's ``(x1, y1, x2, y2)`` in root-image pixels, ``x2``/``y2``
exclusive (a PIL crop box). COCO's ``[x, y, w, h]`` becomes ``(x, y, x + w, y + h)``
(:func:`coco_to_xyxy`).
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from visprog import Box, Detections, InputError

__all__ = [
    "METRICS",
    "Score",
    "answer_text",
    "coco_to_xyxy",
    "gqa_normalize",
    "iou_xyxy",
    "ranked_labels",
    "score_boolean",
    "score_exact",
    "score_iou",
    "score_topk",
    "score_vqa",
    "vqa_accuracy",
    "vqa_normalize",
]


@dataclass(frozen=True)
class Score:
    """One item's score.

    Attributes:
        value: the metric's value for this item, in ``[0, 1]``.
        correct: whether the item counts as answered correctly (``value >= 1`` for
            exact metrics, ``value > 0`` is not enough; for VQA ``value == 1``; for
            grounding ``iou >= 0.5``; for classification top-1).
        answer: the answer as the metric compared it (text, or a box as a list).
        extra: more figures, e.g. ``{"top1": 1.0, "top5": 1.0}`` or ``{"iou": 0.62}``.
        note: why the answer could not be compared, when it could not (e.g. a box
            where text was expected); empty otherwise.
    """

    value: float
    correct: bool
    answer: Any
    extra: dict[str, float] = field(default_factory=dict)
    note: str = ""


# -- turning program values into text ---------------------------------------

def answer_text(value: Any) -> str | None:
    """The text form of a program's answer, or None when it has none.

    Strings are kept as they are; booleans become ``"yes"``/``"no"`` (VisProg's EVAL
    convention); integers and integral floats become digits (``2.0`` -> ``"2"``); other
    floats ``repr``; a one-element list or tuple is its element's text. Images, boxes,
    detections, dicts and longer lists have no text form (None).
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return answer_text(value[0])
    return None


# -- VQA (VQAv2, OK-VQA): the official evaluation ---------------------------
# Ported from GT-Vision-Lab/VQA, PythonEvaluationTools/vqaEvaluation/vqaEval.py
# (commit a013f00, "Fixed processing answers bug"), quirks included, so that figures
# match published ones.

_CONTRACTIONS = {
    "aint": "ain't", "arent": "aren't", "cant": "can't", "couldve": "could've", "couldnt": "couldn't",
    "couldn'tve": "couldn't've", "couldnt've": "couldn't've", "didnt": "didn't", "doesnt": "doesn't", "dont": "don't",
    "hadnt": "hadn't", "hadnt've": "hadn't've", "hadn'tve": "hadn't've", "hasnt": "hasn't", "havent": "haven't",
    "hed": "he'd", "hed've": "he'd've", "he'dve": "he'd've", "hes": "he's", "howd": "how'd", "howll": "how'll",
    "hows": "how's", "Id've": "I'd've", "I'dve": "I'd've", "Im": "I'm", "Ive": "I've", "isnt": "isn't", "itd": "it'd",
    "itd've": "it'd've", "it'dve": "it'd've", "itll": "it'll", "let's": "let's", "maam": "ma'am", "mightnt": "mightn't",
    "mightnt've": "mightn't've", "mightn'tve": "mightn't've", "mightve": "might've", "mustnt": "mustn't",
    "mustve": "must've", "neednt": "needn't", "notve": "not've", "oclock": "o'clock", "oughtnt": "oughtn't",
    "ow's'at": "'ow's'at", "'ows'at": "'ow's'at", "'ow'sat": "'ow's'at", "shant": "shan't", "shed've": "she'd've",
    "she'dve": "she'd've", "she's": "she's", "shouldve": "should've", "shouldnt": "shouldn't",
    "shouldnt've": "shouldn't've", "shouldn'tve": "shouldn't've", "somebody'd": "somebodyd",
    "somebodyd've": "somebody'd've", "somebody'dve": "somebody'd've", "somebodyll": "somebody'll",
    "somebodys": "somebody's", "someoned": "someone'd", "someoned've": "someone'd've", "someone'dve": "someone'd've",
    "someonell": "someone'll", "someones": "someone's", "somethingd": "something'd", "somethingd've": "something'd've",
    "something'dve": "something'd've", "somethingll": "something'll", "thats": "that's", "thered": "there'd",
    "thered've": "there'd've", "there'dve": "there'd've", "therere": "there're", "theres": "there's", "theyd": "they'd",
    "theyd've": "they'd've", "they'dve": "they'd've", "theyll": "they'll", "theyre": "they're", "theyve": "they've",
    "twas": "'twas", "wasnt": "wasn't", "wed've": "we'd've", "we'dve": "we'd've", "weve": "we've", "werent": "weren't",
    "whatll": "what'll", "whatre": "what're", "whats": "what's", "whatve": "what've", "whens": "when's",
    "whered": "where'd", "wheres": "where's", "whereve": "where've", "whod": "who'd", "whod've": "who'd've",
    "who'dve": "who'd've", "wholl": "who'll", "whos": "who's", "whove": "who've", "whyll": "why'll",
    "whyre": "why're", "whys": "why's", "wont": "won't", "wouldve": "would've", "wouldnt": "wouldn't",
    "wouldnt've": "wouldn't've", "wouldn'tve": "wouldn't've", "yall": "y'all", "yall'll": "y'all'll",
    "y'allll": "y'all'll", "yall'd've": "y'all'd've", "y'alld've": "y'all'd've", "y'all'dve": "y'all'd've",
    "youd": "you'd", "youd've": "you'd've", "you'dve": "you'd've", "youll": "you'll", "youre": "you're",
    "youve": "you've",
}
_NUMBERS = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}
_ARTICLES = frozenset({"a", "an", "the"})
# The official pattern, typo included: "(?!<=\d)" is a look-ahead, not a look-behind.
_PERIOD_STRIP = re.compile(r"(?!<=\d)(\.)(?!\d)")
_COMMA_STRIP = re.compile(r"(\d)(\,)(\d)")
_PUNCT = [";", r"/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"]


def _process_punctuation(text: str) -> str:
    out = text
    for p in _PUNCT:
        if (p + " " in text or " " + p in text) or _COMMA_STRIP.search(text) is not None:
            out = out.replace(p, "")
        else:
            out = out.replace(p, " ")
    # The official call passes re.UNICODE (32) as the *count* argument: at most 32 periods go.
    return _PERIOD_STRIP.sub("", out, count=int(re.UNICODE))


def _process_digit_article(text: str) -> str:
    words = [_NUMBERS.get(w, w) for w in text.lower().split()]
    words = [w for w in words if w not in _ARTICLES]
    return " ".join(_CONTRACTIONS.get(w, w) for w in words)


def vqa_normalize(text: str) -> str:
    """The official VQA answer processing: punctuation, then number words to digits,
    articles dropped, contractions restored, lower case."""
    return _process_digit_article(_process_punctuation(text))


def _clean(text: str) -> str:
    return text.replace("\n", " ").replace("\t", " ").strip()


def vqa_accuracy(prediction: str, answers: Sequence[str]) -> float:
    """The official VQA accuracy of one prediction against the human answers (10 in VQA).

    For each human answer, the prediction scores ``min(1, matches among the *other*
    answers / 3)``; the item's accuracy is the mean over the answers (the 10-choose-9
    subsets). As in the official script, answers and prediction are normalised
    (:func:`vqa_normalize`) only when the humans disagree; when all answers are the
    same, the stripped prediction must equal them exactly (``"Yes"`` does not match
    ``"yes"`` then).

    Raises:
        InputError: no human answers.
    """
    if not answers:
        raise InputError("VQA accuracy needs at least one human answer")
    gold = [_clean(a) for a in answers]
    pred = _clean(prediction)
    if len(set(gold)) > 1:
        gold = [vqa_normalize(a) for a in gold]
        pred = vqa_normalize(pred)
    total = 0.0
    for i in range(len(gold)):
        matches = sum(1 for j, other in enumerate(gold) if j != i and other == pred)
        total += min(1.0, matches / 3.0)
    return total / len(gold)


def score_vqa(answer: Any, gold: Any) -> Score:
    """VQA accuracy; ``gold`` is the list of human answers. Correct when accuracy is 1."""
    answers = [str(a) for a in gold] if isinstance(gold, list) else [str(gold)]
    text = answer_text(answer)
    if text is None:
        return Score(0.0, False, None, note=_no_text(answer))
    value = vqa_accuracy(text, answers)
    note = ""
    if value == 0.0 and len({_clean(a) for a in answers}) == 1 and vqa_normalize(_clean(text)) == vqa_normalize(_clean(answers[0])):
        note = (
            f"official VQA rule: the human answers all say {_clean(answers[0])!r}, so the answer is compared "
            f"without normalisation and {_clean(text)!r} scores 0 (it would match after normalisation)"
        )
    return Score(value, value >= 1.0, text, note=note)


# -- exact match (GQA, generic) ----------------------------------------------

_EDGE_PUNCT = " \t\n\r.,;:!?\"'"


def gqa_normalize(text: str) -> str:
    """Lower case, whitespace collapsed, punctuation stripped from both ends
    (``" The Left. "`` -> ``"the left"``)."""
    return " ".join(text.lower().split()).strip(_EDGE_PUNCT)


def score_exact(answer: Any, gold: Any) -> Score:
    """Exact match after :func:`gqa_normalize`; ``gold`` is one answer or a list of
    acceptable answers."""
    accepted = [gqa_normalize(str(g)) for g in (gold if isinstance(gold, list) else [gold])]
    text = answer_text(answer)
    if text is None:
        return Score(0.0, False, None, note=_no_text(answer))
    norm = gqa_normalize(text)
    ok = norm in accepted
    return Score(1.0 if ok else 0.0, ok, norm)


_TRUE = frozenset({"yes", "true", "1"})
_FALSE = frozenset({"no", "false", "0"})


def score_boolean(answer: Any, gold: Any) -> Score:
    """NLVR2-style true/false: the answer (a bool, or text yes/no/true/false) against a
    gold label (bool, or ``"True"``/``"False"``)."""
    want = _as_bool(gold)
    if want is None:
        raise InputError(f"gold label {gold!r} is not true or false")
    text = answer_text(answer)
    got = _as_bool(text) if text is not None else None
    if got is None:
        return Score(0.0, False, text, note="the answer is not yes/no or true/false" if text is not None else _no_text(answer))
    return Score(1.0 if got == want else 0.0, got == want, "yes" if got else "no")


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = gqa_normalize(str(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


# -- grounding (RefCOCO) ------------------------------------------------------

def coco_to_xyxy(bbox: Sequence[float]) -> list[float]:
    """COCO ``[x, y, w, h]`` (top-left corner and size, pixels) to visprog's
    ``[x1, y1, x2, y2]`` with exclusive ``x2 = x + w``, ``y2 = y + h``.

    Raises:
        InputError: not four numbers, or a negative size.
    """
    if len(bbox) != 4:
        raise InputError(f"a COCO box has 4 numbers [x, y, w, h], got {list(bbox)!r}")
    x, y, w, h = (float(v) for v in bbox)
    if w < 0 or h < 0:
        raise InputError(f"COCO box {list(bbox)!r} has a negative size")
    # COCO gives 2 decimals; x + w in binary floating point adds noise (163.91000000000003).
    return [x, y, _round_sum(x, w), _round_sum(y, h)]


def _round_sum(a: float, b: float) -> float:
    """``a + b`` rounded to the decimals the two operands have, as written (at most
    12): the sum in decimal, without binary floating-point noise."""
    places = max(_decimals(a), _decimals(b))
    return round(a + b, places)


def _decimals(value: float) -> int:
    exponent = decimal.Decimal(repr(value)).normalize().as_tuple().exponent
    return min(12, max(0, -exponent)) if isinstance(exponent, int) else 12


def iou_xyxy(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``(x1, y1, x2, y2)`` boxes, in ``[0, 1]``."""
    ax1, ay1, ax2, ay2 = (float(v) for v in a)
    bx1, by1, bx2, by2 = (float(v) for v in b)
    return Box(ax1, ay1, ax2, ay2).iou(Box(bx1, by1, bx2, by2))


def _as_box(answer: Any) -> list[float] | None:
    if isinstance(answer, Detections):
        answer = answer[0] if len(answer) else None
    if isinstance(answer, Box):
        return list(answer.as_tuple())
    if isinstance(answer, (list, tuple)) and len(answer) == 4 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in answer
    ):
        return [float(v) for v in answer]
    return None


def score_iou(answer: Any, gold: Any, *, threshold: float = 0.5) -> Score:
    """Grounding: the answer box (a Box, the first box of Detections, or four numbers
    ``[x1, y1, x2, y2]``) against the gold ``[x1, y1, x2, y2]``; correct when
    IoU >= ``threshold`` (0.5, as RefCOCO papers report)."""
    box = _as_box(answer)
    if box is None:
        note = "no box found" if isinstance(answer, Detections) else f"the answer is not a box ({type(answer).__name__})"
        return Score(0.0, False, None, {"iou": 0.0}, note=note)
    iou = iou_xyxy(box, gold)
    ok = iou >= threshold
    return Score(1.0 if ok else 0.0, ok, [round(v, 2) for v in box], {"iou": iou})


# -- classification (ImageNet folders, CuPL) ------------------------------------

def ranked_labels(answer: Any) -> list[str] | None:
    """Class names, best first, from a classification program's result.

    Accepts a dict ``{class: score}`` (sorted by score, ties in insertion order),
    Detections (sorted by score when every box has one, else in their order), a list
    of names (already ranked) or one name. None when the result is none of these.
    """
    if isinstance(answer, Mapping):
        if not all(isinstance(k, str) and isinstance(v, (int, float)) for k, v in answer.items()):
            return None
        order = sorted(enumerate(answer.items()), key=lambda kv: (-float(kv[1][1]), kv[0]))
        return [name for _, (name, _) in order]
    if isinstance(answer, Detections):
        boxes = list(answer)
        if boxes and all(b.score is not None for b in boxes):
            boxes = sorted(boxes, key=lambda b: -float(b.score or 0.0))
        return [str(b.label) for b in boxes if b.label is not None]
    if isinstance(answer, str):
        return [answer]
    if isinstance(answer, (list, tuple)) and all(isinstance(v, str) for v in answer):
        return list(answer)
    return None


def score_topk(answer: Any, gold: Any, *, ks: tuple[int, ...] = (1, 5)) -> Score:
    """Top-k accuracy: whether the gold class is among the first k ranked labels
    (:func:`ranked_labels`), compared after :func:`gqa_normalize`. A result that names
    fewer than k classes is scored on the ones it names (a single name counts for
    top-5 only if it is right). Correct means top-1."""
    ranking = ranked_labels(answer)
    if ranking is None:
        return Score(0.0, False, None, {f"top{k}": 0.0 for k in ks}, note=f"the answer is not a ranking of classes ({type(answer).__name__})")
    want = gqa_normalize(str(gold))
    names = [gqa_normalize(n) for n in ranking]
    extra = {f"top{k}": 1.0 if want in names[:k] else 0.0 for k in ks}
    top1 = bool(names) and names[0] == want
    note = f"the result ranks only {len(names)} classes" if len(names) < max(ks) else ""
    return Score(1.0 if top1 else 0.0, top1, ranking[: max(ks)], extra, note=note)


def _no_text(answer: Any) -> str:
    if answer is None:
        return "no answer"
    return f"the answer is not text ({type(answer).__name__})"


def score_none(answer: Any, gold: Any) -> Score:
    """No gold answer (``visprog batch``): nothing to compare; never correct."""
    text = answer_text(answer)
    return Score(0.0, False, text if text is not None else None, note="no gold answer")


#: Metric name -> scorer ``(answer, gold) -> Score``.
METRICS: dict[str, Callable[[Any, Any], Score]] = {
    "vqa": score_vqa,
    "exact": score_exact,
    "boolean": score_boolean,
    "iou": score_iou,
    "topk": score_topk,
    "none": score_none,
}
