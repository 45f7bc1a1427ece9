"""Fake model tools that answer from a :class:`~tests.viper.scene.Scene`.

``scene_registry(scene)`` gives a :class:`visprog.Registry` whose ``detect``, ``vqa``,
``caption``, ``classify``, ``classify_image``, ``select``, ``similarity`` and ``depth`` are
:func:`visprog.testing.fake_tool` fakes of the real tools in ``tools/`` (same names,
parameters, types, defaults and docstrings, generated from them) that answer from the
scene instead of a model (``scene_behaviours``). ``scene_chat_model(scene)`` is a
:class:`visprog.testing.FunctionChatModel` that answers from ``scene.llm``. ``render(scene)`` draws the
scene (one filled rectangle per object, farthest first), so tools get real pixels.

How the fakes read a scene:

* **Which object an image shows.** An image is a crop of the root picture (visprog's
  ``Image`` remembers its offset). The root picture itself shows no single object (its
  questions go to ``scene.answers``); a crop shows the object whose box has the largest
  IoU with the crop, if that IoU is at least :data:`SUBJECT_IOU` (a box, a box plus a
  margin of 10 px or a 1.5x crop all qualify), else no object.
* **detect** finds the objects whose label or other names equal the query (optionally
  preceded by their colour or attributes: "red cup") and of which at least half lies in
  the image; boxes are clipped to the image and given in root pixels, best score first,
  as the real detector does. "TOP"/"BOTTOM"/"LEFT"/"RIGHT" give that half, as the real
  tool does.
* **vqa** answers from the object's ``answers`` (or ``scene.answers``), then from a few
  generic questions: "What is this?", "Is this a X?", "Is the X P?", "What color is
  the X?", "What is written on the X?". Anything else raises ToolError: a fake never
  guesses.
* **CLIP-like scoring** (classify, classify_image, select, similarity): a text scores the number of
  its words that describe the object (label, names, colour, attributes, text) minus the
  number that do not. A tie for the best raises ToolError, so corpus answers cannot
  depend on chance.
* **depth**: the scene's depths painted farthest first (nearer objects cover farther
  ones), background ``scene.background_depth``.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import PIL.Image
import PIL.ImageColor
import PIL.ImageDraw
from langchain_core.messages import BaseMessage
from visprog_tools.image_ops import half_box
from visprog_tools.registry import build_registry
from visprog_tools.vision.depth import DepthMap

from tests.viper.scene import Scene, Thing
from visprog import Box, Detections, Image, Registry, Tool, ToolError
from visprog.testing import FunctionChatModel, fake_tool

__all__ = [
    "FAKED", "SUBJECT_IOU", "answer", "depth_array", "prompts", "render", "scene_behaviours", "scene_chat_model",
    "scene_registry", "scene_tools", "subject", "table_chat_model", "text_score",
]

SUBJECT_IOU = 0.25
"""A crop shows an object when their IoU is at least this."""

_FUNCTION_WORDS = frozenset({"a", "an", "the", "of", "this", "that", "it", "its", "is", "photo", "picture", "image", "with", "and"})
_SPECIAL_QUERIES = ("TOP", "BOTTOM", "LEFT", "RIGHT")


# -- geometry --------------------------------------------------------------------

def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _clipped(thing: Thing, region: tuple[float, float, float, float]) -> tuple[float, float, float, float] | None:
    """The part of ``thing`` inside ``region`` when at least half of it is, else None."""
    x1, y1, x2, y2 = _float_box(thing)
    cx1, cy1, cx2, cy2 = max(x1, region[0]), max(y1, region[1]), min(x2, region[2]), min(y2, region[3])
    if cx2 <= cx1 or cy2 <= cy1 or (cx2 - cx1) * (cy2 - cy1) < 0.5 * thing.area:
        return None
    return (cx1, cy1, cx2, cy2)


def subject(scene: Scene, image: Image) -> Thing | None:
    """The object ``image`` shows (see the module docstring), or None for the whole picture."""
    _check_image(scene, image)
    if image.is_root:
        return None
    region = image.root_box.as_tuple()
    best = max(scene.things, key=lambda t: _iou(_float_box(t), region), default=None)
    if best is None or _iou(_float_box(best), region) < SUBJECT_IOU:
        return None
    return best


def _float_box(thing: Thing) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = thing.box
    return (float(x1), float(y1), float(x2), float(y2))


def _check_image(scene: Scene, image: Image) -> None:
    if tuple(image.root_size) != scene.size:
        raise ToolError(f"image of root size {image.root_size} is not from scene {scene.name!r} of size {scene.size}")


# -- words -------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    out = []
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


def _norm(question: str) -> str:
    return " ".join(question.lower().strip().rstrip("?").split())


def _properties(thing: Thing) -> set[str]:
    return {p.lower() for p in (*thing.attributes, *((thing.color,) if thing.color else ()))}


def _names_match(query: str, thing: Thing) -> bool:
    """``query`` is one of the thing's names, optionally after some of its properties."""
    q = " ".join(query.lower().split())
    for name in thing.all_names:
        name = name.lower()
        if q == name:
            return True
        if q.endswith(" " + name):
            prefix = q[: -len(name) - 1].split()
            if prefix and all(word in _properties(thing) for word in prefix):
                return True
    return False


def _descriptor(scene: Scene, thing: Thing | None) -> set[str]:
    if thing is None:
        return {w for tag in scene.tags for w in _words(tag)}
    parts = [*thing.all_names, *thing.attributes, thing.color or "", thing.text or ""]
    return {w for part in parts for w in _words(part)}


def text_score(scene: Scene, thing: Thing | None, text: str) -> int:
    """CLIP stand-in: words of ``text`` that describe the thing minus words that do not."""
    described = _descriptor(scene, thing)
    words = [w for w in _words(text) if w not in _FUNCTION_WORDS]
    return sum(1 if w in described else -1 for w in words)


def _best(scores: Sequence[tuple[int, str]], what: str) -> int:
    """Index of the single best score; a tie raises ToolError."""
    top = max(s for s, _ in scores)
    winners = [i for i, (s, _) in enumerate(scores) if s == top]
    if len(winners) > 1:
        tied = ", ".join(repr(scores[i][1]) for i in winners)
        raise ToolError(f"the scene cannot decide {what}: {tied} tie")
    return winners[0]


# -- VQA ---------------------------------------------------------------------------

_WHAT_IS = re.compile(r"^what is (this|it|that)( object| thing)?$")
_IS_A = re.compile(r"^is (this|that|it|there) (an? )?(?P<x>.+)$")
_COLOR = re.compile(r"^(what colou?r is (this|it|the (?P<n>.+))|what is the colou?r( of (this|it|the (?P<m>.+)))?)$")
_IS_THE = re.compile(r"^is (the|this) (?P<rest>.+)$")
_WRITTEN = re.compile(r"^(what is written on (this|it|the (?P<n>.+))|what does (it|this|the (?P<m>.+)) say|what text is (this|on it))$")


def answer(scene: Scene, image: Image, question: str) -> str:
    """The scene's VQA answer to ``question`` about ``image``; ToolError when it has none."""
    if not question.strip():
        raise ToolError("questions must be non-empty", argument="question")
    thing = subject(scene, image)
    q = _norm(question)
    table = scene.answers if thing is None else thing.answers
    for key, value in table.items():
        if _norm(key) == q:
            return value
    if thing is not None:
        found = _generic_answer(thing, q)
        if found is not None:
            return found
    about = "the whole picture" if thing is None else f"{thing.id} ({thing.label})"
    raise ToolError(f"scene {scene.name!r} has no answer to {question!r} about {about}", argument="question")


def _generic_answer(thing: Thing, q: str) -> str | None:
    if _WHAT_IS.match(q):
        return thing.label
    match = _COLOR.match(q)
    if match:
        named = match.group("n") or match.group("m")
        if named and not _names_match(named, thing):
            return None
        return thing.color
    match = _WRITTEN.match(q)
    if match:
        named = match.group("n") or match.group("m")
        if named and not _names_match(named, thing):
            return None
        return thing.text if thing.text is not None else "nothing"
    match = _IS_THE.match(q)  # "is the cup red?": before "is this a cup?", which it does not match
    if match:
        rest = match.group("rest")
        for name in sorted(thing.all_names, key=len, reverse=True):
            if rest.startswith(name.lower() + " "):
                prop = rest[len(name) + 1 :].removeprefix("made of ")
                return "yes" if prop in _properties(thing) else "no"
    match = _IS_A.match(q)
    if match:
        x = match.group("x")
        return "yes" if _names_match(x, thing) or x in _properties(thing) else "no"
    return None


# -- depth and pictures ---------------------------------------------------------

def _paint_order(scene: Scene) -> list[Thing]:
    return sorted(scene.things, key=lambda t: -t.depth)


def depth_array(scene: Scene) -> np.ndarray:
    """``(H, W)`` float32 depth of the whole picture: background, then objects far to near."""
    width, height = scene.size
    array = np.full((height, width), scene.background_depth, dtype=np.float32)
    for t in _paint_order(scene):
        x1, y1, x2, y2 = t.box
        array[y1:y2, x1:x2] = t.depth
    return array


def _rgb(name: str | None) -> tuple[int, int, int]:
    try:
        return PIL.ImageColor.getrgb(name or "gray")[:3]
    except ValueError:
        return (128, 128, 128)


def render(scene: Scene) -> Image:
    """The scene as a picture: background, then one filled rectangle per object, far to near."""
    pil = PIL.Image.new("RGB", scene.size, _rgb(scene.background))
    draw = PIL.ImageDraw.Draw(pil)
    for t in _paint_order(scene):
        x1, y1, x2, y2 = t.box
        draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=_rgb(t.color), outline=(0, 0, 0))
    return Image(pil)


# -- chat model -----------------------------------------------------------------

def _prompt(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(m.content if isinstance(m.content, str) else str(m.content) for m in messages)


def table_chat_model(replies: Mapping[str, str], model_name: str) -> FunctionChatModel:
    """A :class:`visprog.testing.FunctionChatModel` replying from a table: the reply whose
    key occurs in the prompt (longest key wins). A prompt that contains no key raises
    ValueError: a fake never guesses. :func:`prompts` gives what it was asked."""
    table = dict(replies)

    def reply(messages: list[BaseMessage]) -> str:
        prompt = _prompt(messages)
        lowered = prompt.lower()
        keys = [k for k in table if k.lower() in lowered]
        if not keys:
            raise ValueError(f"{model_name} has no reply for the prompt {prompt[-200:]!r}")
        return table[max(keys, key=len)]

    return FunctionChatModel(function=reply, model_name=model_name)


def prompts(chat: FunctionChatModel) -> list[str]:
    """The prompt of each call ``chat`` answered (its messages' texts, one per line)."""
    return [_prompt(messages) for messages in chat.calls]


def scene_chat_model(scene: Scene) -> FunctionChatModel:
    """A chat model answering from ``scene.llm``; its name differs per table, so the LLM
    reply cache never mixes scenes."""
    digest = hashlib.sha256(repr(sorted(scene.llm.items())).encode()).hexdigest()[:12]
    return table_chat_model(scene.llm, f"scene-{scene.name}-{digest}")


# -- the tools ----------------------------------------------------------------------

def _images(image: Image | list[Image]) -> list[Image]:
    images = image if isinstance(image, list) else [image]
    if not images or not all(isinstance(im, Image) for im in images):
        raise ToolError("expects an Image or a non-empty list of Images", argument="image")
    return images


def _crop(image: Image, box: Box) -> Image:
    try:
        return image.crop(box)
    except ValueError as exc:
        raise ToolError(str(exc), argument="objects") from None


def _probability(score: int) -> float:
    return 1.0 / (1.0 + math.exp(-score))


@functools.cache
def _real_tools() -> dict[str, Tool]:
    """The real tools the scene stands in for (building the registry loads no model)."""
    real = build_registry()
    return {name: real[name] for name in FAKED}


#: The model tools the scene fakes.
FAKED = ("detect", "vqa", "caption", "classify_image", "classify", "select", "similarity", "depth")


def scene_behaviours(scene: Scene) -> dict[str, Any]:
    """What each faked tool does in ``scene``: tool name -> a function of the tool's
    arguments by name (defaults filled in by the tool, as for the real one)."""

    def detect(image: Image, query: str | list[str], threshold: float, nms_iou: float) -> Detections:
        _check_image(scene, image)
        queries = [query] if isinstance(query, str) else list(query)
        if not queries or not all(q.strip() for q in queries):
            raise ToolError("query must be non-empty text", argument="query")
        if len(queries) == 1 and queries[0] in _SPECIAL_QUERIES:
            return Detections([half_box(image, queries[0])])
        if not 0.0 <= threshold <= 1.0:
            raise ToolError("threshold must be in [0, 1]", argument="threshold")
        region = image.root_box.as_tuple()
        found: list[tuple[float, int, Box]] = []
        for order, thing in enumerate(scene.things):
            if thing.score < threshold:
                continue
            for q in queries:
                if _names_match(q, thing):
                    clipped = _clipped(thing, region)
                    if clipped is not None:
                        found.append((-thing.score, order, Box(*clipped, label=q, score=thing.score)))
                    break
        # nms_iou: scene objects do not overlap as duplicates; nothing to suppress.
        return Detections([box for _, _, box in sorted(found, key=lambda f: (f[0], f[1]))])

    def vqa(image: Image | list[Image], question: str | list[str]) -> str | list[str]:
        images = _images(image)
        questions = [question] * len(images) if isinstance(question, str) else list(question)
        if len(questions) != len(images):
            raise ToolError(f"got {len(questions)} questions for {len(images)} images", argument="question")
        out = [answer(scene, im, q) for im, q in zip(images, questions)]
        return out if isinstance(image, list) else out[0]

    def caption(image: Image | list[Image]) -> str | list[str]:
        out = []
        for im in _images(image):
            thing = subject(scene, im)
            if thing is None:
                out.append("a picture of " + ", ".join(sorted({t.label for t in scene.things})))
            else:
                out.append(" ".join(w for w in ("a", thing.color, thing.label) if w))
        return out if isinstance(image, list) else out[0]

    def classify_image(image: Image, categories: list[str]) -> str:
        classes = [c.strip() for c in categories if c.strip()]
        if len(classes) < 2:
            raise ToolError("give at least two categories to choose from", argument="categories")
        thing = subject(scene, image)
        scores = [(text_score(scene, thing, c), c) for c in classes]
        return classes[_best(scores, f"which of {classes} describes {thing.id if thing else 'the picture'}")]

    def classify(image: Image, categories: list[str], objects: Detections | None) -> Detections:
        classes = [c.strip() for c in categories if c.strip()]
        if not classes:
            raise ToolError("categories must hold at least one name", argument="categories")
        boxes = [image.root_box] if objects is None else list(objects)
        if not boxes:
            return Detections([])
        things = [subject(scene, _crop(image, b)) for b in boxes]
        if len(classes) == 1:
            scores = [(text_score(scene, t, classes[0]), t.id if t else "the picture") for t in things]
            best = _best(scores, f"which object is {classes[0]!r}")
            return Detections([boxes[best].with_label(classes[0], _probability(scores[best][0]))])
        best_per_class: dict[int, tuple[int, int]] = {}
        for i, t in enumerate(things):
            row = [(text_score(scene, t, c), c) for c in classes]
            c = _best(row, f"which of {classes} describes {t.id if t else 'the picture'}")
            if c not in best_per_class or row[c][0] > best_per_class[c][0]:
                best_per_class[c] = (row[c][0], i)
        chosen = sorted(((s, i, c) for c, (s, i) in best_per_class.items()), reverse=True)
        return Detections([boxes[i].with_label(classes[c], _probability(s)) for s, i, c in chosen])

    def select(image: Image, objects: Detections, query: str, category: str | None) -> Detections:
        candidates = list(objects)
        if category:
            same = [b for b in candidates if b.label == category]
            candidates = same or candidates
        queries = [q.strip() for q in query.split(",") if q.strip()]
        if not queries:
            raise ToolError("query must name what to select", argument="query")
        if not candidates:
            return Detections([])
        things = [subject(scene, _crop(image, b)) for b in candidates]
        chosen: list[Box] = []
        for q in queries:
            matches = [b for b in candidates if b.label and b.label.lower() == q.lower()]
            if matches:
                chosen.extend(matches)
                continue
            scores = [(text_score(scene, t, q), t.id if t else "the picture") for t in things]
            best = _best(scores, f"which object is {q!r}")
            chosen.append(candidates[best].with_label(q, _probability(scores[best][0])))
        return Detections(chosen)

    def similarity(image: Image, objects: Detections, text: str) -> Detections:
        if not text.strip():
            raise ToolError("text must be non-empty", argument="text")
        boxes = list(objects)
        return Detections([b.with_label(b.label, float(text_score(scene, subject(scene, _crop(image, b)), text))) for b in boxes])

    full_depth = depth_array(scene)

    def depth(image: Image) -> DepthMap:
        _check_image(scene, image)
        x1, y1, x2, y2 = (int(v) for v in image.root_box.as_tuple())
        return DepthMap(full_depth[y1:y2, x1:x2].copy(), image.root_box, kind="relative")

    return {
        "detect": detect, "vqa": vqa, "caption": caption, "classify_image": classify_image, "classify": classify,
        "select": select, "similarity": similarity, "depth": depth,
    }


#: Each scene's fakes, made once (by the scene object's id; the scene is kept with them,
#: so the id is not reused): building a tool derives its schema from the real signature,
#: ~2 ms, and the corpus, its reference runs and benchmarks/viper.py ask for a scene's
#: fakes hundreds of times. The fakes are inline tools that keep no state between calls.
_SCENE_TOOLS: dict[int, tuple[Scene, tuple[Tool, ...]]] = {}


def scene_tools(scene: Scene) -> list[Tool]:
    """Fakes of the real ``detect``, ``vqa``, ``caption``, ``classify_image``,
    ``classify``, ``select``, ``similarity`` and ``depth`` answering from ``scene``:
    generated by :func:`visprog.testing.fake_tool` from the real tools, so their names,
    parameters, types, defaults and docstrings are the real ones."""
    made = _SCENE_TOOLS.get(id(scene))
    if made is None or made[0] is not scene:
        real = _real_tools()
        made = (scene, tuple(fake_tool(real[name], behaviour) for name, behaviour in scene_behaviours(scene).items()))
        _SCENE_TOOLS[id(scene)] = made
    return list(made[1])


def scene_registry(scene: Scene, base: Registry | None = None) -> Registry:
    """``base`` (default: no other tools) with the scene's fakes replacing the model tools
    of the same names; aliases such as ``LOC`` then reach the fakes."""
    fakes = Registry(scene_tools(scene))
    return fakes if base is None else base.merged(fakes, override=True)
