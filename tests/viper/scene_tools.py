"""Fake model tools that answer from a :class:`~tests.viper.scene.Scene`.

``scene_registry(scene)`` gives a :class:`visprog.Registry` whose ``detect``, ``vqa``,
``caption``, ``classify``, ``classify_image``, ``select``, ``similarity`` and ``depth`` have the same
names, parameters and return types as the real tools in ``tools/`` (a test compares
them), but answer from the scene instead of a model. ``scene_chat_model(scene)`` is a
langchain-core chat model that answers from ``scene.llm``. ``render(scene)`` draws the
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

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import PIL.Image
import PIL.ImageColor
import PIL.ImageDraw
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field
from visprog_tools.image_ops import half_box
from visprog_tools.vision.depth import DepthMap

from tests.viper.scene import Scene, Thing
from visprog import Box, Detections, Image, Registry, Tool, ToolError, tool

__all__ = [
    "SUBJECT_IOU", "SceneChatModel", "answer", "depth_array", "render", "scene_chat_model", "scene_registry", "scene_tools",
    "subject", "text_score",
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

class SceneChatModel(BaseChatModel):
    """Replies from a table: the reply whose key occurs in the prompt (longest key wins).
    A prompt that contains no key raises ValueError: a fake never guesses."""

    replies: dict[str, str]
    model_name: str
    asked: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "visprog-scene"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt = "\n".join(m.content if isinstance(m.content, str) else str(m.content) for m in messages)
        self.asked.append(prompt)
        lowered = prompt.lower()
        keys = [k for k in self.replies if k.lower() in lowered]
        if not keys:
            raise ValueError(f"{self.model_name} has no reply for the prompt {prompt[-200:]!r}")
        reply = self.replies[max(keys, key=len)]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


def scene_chat_model(scene: Scene) -> SceneChatModel:
    """A chat model answering from ``scene.llm``; its name differs per table, so the LLM
    reply cache never mixes scenes."""
    digest = hashlib.sha256(repr(sorted(scene.llm.items())).encode()).hexdigest()[:12]
    return SceneChatModel(replies=dict(scene.llm), model_name=f"scene-{scene.name}-{digest}")


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


def scene_tools(scene: Scene) -> list[Tool]:
    """Fake ``detect``, ``vqa``, ``caption``, ``classify``, ``classify_image``, ``select``
    and ``depth`` for ``scene``, with the real tools' signatures."""

    @tool(name="detect", family="vision")
    def detect(image: Image, query: str | list[str], threshold: float = 0.1, nms_iou: float = 0.5) -> Detections:
        """Find objects described in words (the scene's objects), best first.

        Args:
            image: where to look; may be a crop (boxes still come back in root coordinates).
            query: what to find, e.g. "dog", or several queries.
            threshold: minimum score in [0, 1] for a box to be kept.
            nms_iou: unused by the fake (scene objects do not overlap as duplicates).

        Returns:
            Detections in root-image pixels, sorted by score, each labelled with its query.
        """
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
        return Detections([box for _, _, box in sorted(found, key=lambda f: (f[0], f[1]))])

    @tool(name="vqa", family="vision")
    def vqa(image: Image | list[Image], question: str | list[str]) -> str | list[str]:
        """Answer a question about an image in a word or two (from the scene's tables).

        Args:
            image: an image, or a list of images (e.g. crops) answered in one batch.
            question: one question for every image, or one question per image.

        Returns:
            The short answer, or a list of answers when a list of images was given.
        """
        images = _images(image)
        questions = [question] * len(images) if isinstance(question, str) else list(question)
        if len(questions) != len(images):
            raise ToolError(f"got {len(questions)} questions for {len(images)} images", argument="question")
        out = [answer(scene, im, q) for im, q in zip(images, questions)]
        return out if isinstance(image, list) else out[0]

    @tool(name="caption", family="vision")
    def caption(image: Image | list[Image]) -> str | list[str]:
        """Describe an image in one sentence (from the scene).

        Args:
            image: an image, or a list of images captioned in one batch.

        Returns:
            The caption, or a list of captions in the order of the images.
        """
        out = []
        for im in _images(image):
            thing = subject(scene, im)
            if thing is None:
                out.append("a picture of " + ", ".join(sorted({t.label for t in scene.things})))
            else:
                out.append(" ".join(w for w in ("a", thing.color, thing.label) if w))
        return out if isinstance(image, list) else out[0]

    @tool(name="classify_image", family="vision")
    def classify_image(image: Image, categories: list[str]) -> str:
        """The category that best describes the whole image (scene word matching).

        Args:
            image: the image (or a crop).
            categories: class names to choose from.

        Returns:
            The best category name.
        """
        classes = [c.strip() for c in categories if c.strip()]
        if len(classes) < 2:
            raise ToolError("give at least two categories to choose from", argument="categories")
        thing = subject(scene, image)
        scores = [(text_score(scene, thing, c), c) for c in classes]
        return classes[_best(scores, f"which of {classes} describes {thing.id if thing else 'the picture'}")]

    @tool(name="classify", family="vision")
    def classify(image: Image, categories: list[str], objects: Detections | None = None) -> Detections:
        """Name objects (VisProg's CLASSIFY semantics, scene word matching).

        Args:
            image: the image the objects are in (root or crop).
            categories: class names, e.g. ["heron", "egret", "stork"].
            objects: boxes to classify; default: the whole image as one object.

        Returns:
            Detections labelled with their category and a score, best first.
        """
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

    @tool(name="select", family="vision")
    def select(image: Image, objects: Detections, query: str, category: str | None = None) -> Detections:
        """Pick the objects that match a description (VisProg's SELECT, scene word matching).

        Args:
            image: the image the objects are in.
            objects: candidate objects (e.g. from detect).
            query: what to select; several descriptions separated by commas pick one each.
            category: optional label; only objects with this label are considered when any have it.

        Returns:
            The selected objects, one per description, labelled with it.
        """
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

    @tool(name="similarity", family="vision")
    def similarity(image: Image, objects: Detections, text: str) -> Detections:
        """CLIP's cosine similarity between each object's crop and one text (the scene's
        word score, see :func:`text_score`).

        Args:
            image: the image the objects are in.
            objects: the boxes to score (root pixels).
            text: the text, e.g. "photo of red car".

        Returns:
            The objects in the order given, each with its similarity as its score.
        """
        if not text.strip():
            raise ToolError("text must be non-empty", argument="text")
        boxes = list(objects)
        return Detections([b.with_label(b.label, float(text_score(scene, subject(scene, _crop(image, b)), text))) for b in boxes])

    full_depth = depth_array(scene)

    @tool(name="depth", family="vision")
    def depth(image: Image) -> DepthMap:
        """Estimate how far from the camera each pixel is (the scene's depths), as a depth map.

        Args:
            image: the image, or a crop of it; the map covers exactly its pixels.

        Returns:
            A DepthMap over the image's place in the root image (root pixels).
        """
        _check_image(scene, image)
        x1, y1, x2, y2 = (int(v) for v in image.root_box.as_tuple())
        return DepthMap(full_depth[y1:y2, x1:x2].copy(), image.root_box, kind="relative")

    return [detect, vqa, caption, classify_image, classify, select, similarity, depth]


def scene_registry(scene: Scene, base: Registry | None = None) -> Registry:
    """``base`` (default: no other tools) with the scene's fakes replacing the model tools
    of the same names; aliases such as ``LOC`` then reach the fakes."""
    fakes = Registry(scene_tools(scene))
    return fakes if base is None else base.merged(fakes, override=True)
