"""A test oracle for the corpus: ViperGPT's ``ImagePatch`` semantics in plain Python
over a scene's fake tools.

This is **not** visprog's ImagePatch (that one belongs in the core, runs in the
sandbox and traces each method as a step). It exists to check the corpus: every
program runs here, unsandboxed, with ``exec`` on trusted test data, and must give the
answer written by hand. Each method calls the scene's registered fake tools (so the
tools are exercised the way an implementation would call them; see section 6 of
``docs/viper_api.md``). Variants cover the choices an implementation may make (the
10 px crop margin of ViperGPT's implementation, ``verify_property`` through VQA or
CLIP, ``exists`` with ViperGPT's extra VQA check); the corpus must answer the same in
all of them. *Mutants* implement known mistakes (y axis pointing down, depth read as
inverse depth, ``sort``'s ``key=`` ignored); the corpus must catch each of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import HumanMessage

from tests.viper.scene import Case, Expected, Scene, ThingRef
from tests.viper.scene_tools import render, scene_chat_model, scene_registry
from visprog import Box, Detections, Image, Registry

BoxF = tuple[float, float, float, float]


@dataclass(frozen=True)
class Variant:
    """How the oracle implements the choices ViperGPT leaves open.

    Attributes:
        margin: pixels added on each side of every crop and found patch, clipped to the
            parent patch (ViperGPT's implementation: 10; its prompt: 0).
        verify: ``verify_property`` through ``vqa`` ("Is the cup red?") or through
            ``classify_image`` (["red cup", "cup"]).
        exists: ``"documented"`` (``len(find(name)) > 0``) or ``"implementation"``
            (also asks ``vqa(patch, "Is this a {name}?")``, as ViperGPT's code does).
        first_on_tie: ``best_image_match`` takes the first of tied patches (ViperGPT's
            ``argmax``) instead of refusing (the corpus's answers must not rest on ties).
        y_down: a mutant: ``lower``/``upper`` read as visprog's y-down ``y1``/``y2``.
        depth_inverted: a mutant: ``compute_depth`` grows as objects come nearer.
        sort_ignores_key: a mutant: ``list.sort`` and ``sorted`` drop ``key=``.
    """

    name: str
    margin: int = 0
    verify: Literal["vqa", "clip"] = "vqa"
    exists: Literal["documented", "implementation"] = "documented"
    first_on_tie: bool = False
    y_down: bool = False
    depth_inverted: bool = False
    sort_ignores_key: bool = False


VARIANTS = (
    Variant("documented"),
    Variant("implementation", margin=10, verify="clip", exists="implementation"),
    Variant("margin-vqa", margin=10, verify="vqa"),
    Variant("clip-documented", verify="clip", exists="implementation"),
)
MUTANTS = (
    Variant("mutant-y-down", y_down=True),
    Variant("mutant-depth-inverted", depth_inverted=True),
    Variant("mutant-sort-ignores-key", sort_ignores_key=True),
)

SHORT_ANSWER = "Answer the question in one or two words.\nQuestion: {}\nAnswer:"
GUESSES = "Question: {}\nGuess 1: {}\nGuess 2: {}\nPick the better answer, in one or two words:"


@dataclass
class Env:
    """One run: the scene, its picture and fake tools, the chat model, the variant."""

    scene: Scene
    variant: Variant
    image: Image
    registry: Registry
    chat: Any
    calls: list[str] = field(default_factory=list)

    def call(self, name: str, **kwargs: Any) -> Any:
        self.calls.append(name)
        found = self.registry[name]
        if name == "depth":
            # Until DepthMap is a registered value type, visprog's one tool-call path
            # refuses it as a result; validate the arguments and call the function.
            return found.func(**found.bind(kwargs))
        return found(**kwargs)

    @property
    def height(self) -> int:
        return self.scene.size[1]


class Patch:
    """ViperGPT's ImagePatch over a root-pixel box (visprog coordinates inside)."""

    def __init__(self, env: Env, box: BoxF) -> None:
        x1, y1, x2, y2 = box
        if not (x2 > x1 and y2 > y1):
            raise ValueError(f"ImagePatch has no area: {box}")
        self._env = env
        self._box = box

    # -- coordinates: y up, from the bottom of the original image ------------------
    @property
    def left(self) -> float:
        return self._box[0]

    @property
    def right(self) -> float:
        return self._box[2]

    @property
    def lower(self) -> float:
        return self._box[3] if self._env.variant.y_down else self._env.height - self._box[3]

    @property
    def upper(self) -> float:
        return self._box[1] if self._env.variant.y_down else self._env.height - self._box[1]

    @property
    def width(self) -> float:
        return self._box[2] - self._box[0]

    @property
    def height(self) -> float:
        return self._box[3] - self._box[1]

    @property
    def horizontal_center(self) -> float:
        return (self.left + self.right) / 2

    @property
    def vertical_center(self) -> float:
        return (self.lower + self.upper) / 2

    @property
    def cropped_image(self) -> Image:
        return self._env.image.crop(Box(*self._box))

    def _grown(self, box: BoxF) -> BoxF:
        m = self._env.variant.margin
        px1, py1, px2, py2 = self._box
        x1, y1, x2, y2 = box
        return (max(px1, x1 - m), max(py1, y1 - m), min(px2, x2 + m), min(py2, y2 + m))

    # -- methods ------------------------------------------------------------------
    def find(self, object_name: str) -> list[Patch]:
        found = self._env.call("detect", image=self.cropped_image, query=object_name)
        patches = [Patch(self._env, self._grown(b.as_tuple())) for b in found]
        return _KeylessList(patches) if self._env.variant.sort_ignores_key else patches

    def exists(self, object_name: str) -> bool:
        if self._env.variant.exists == "implementation" and (object_name.isdigit() or object_name.lower().startswith("number")):
            wanted = _coerce_to_numeric(object_name.lower().replace("number", "").strip())
            read = _coerce_to_numeric(self.simple_query("What number is written in the image (in digits)?"))
            return bool(read == wanted)
        patches = self.find(object_name)
        if self._env.variant.exists == "implementation":
            patches = [p for p in patches if "yes" in p.simple_query(f"Is this a {object_name}?")]
        return len(patches) > 0

    def verify_property(self, object_name: str, property: str) -> bool:
        if self._env.variant.verify == "vqa":
            return self.simple_query(f"Is the {object_name} {property}?") == "yes"
        named = f"{property} {object_name}"
        return bool(self._env.call("classify_image", image=self.cropped_image, categories=[named, object_name]) == named)

    def best_text_match(self, option_list: list[str], prefix: str | None = None) -> str:
        if len(option_list) == 1:
            return option_list[0]
        texts = [f"{prefix} {o}" if prefix else o for o in option_list]
        chosen = self._env.call("classify_image", image=self.cropped_image, categories=texts)
        return option_list[texts.index(chosen)]

    def simple_query(self, question: str | None = None) -> str:
        return str(self._env.call("vqa", image=self.cropped_image, question=question or "What is this?"))

    def compute_depth(self) -> float:
        value = float(self._env.call("depth", image=self._env.image).median(Box(*self._box)))
        return -value if self._env.variant.depth_inverted else value

    def crop(self, left: float, lower: float, right: float, upper: float) -> Patch:
        """Original-image coordinates, y up (the documented meaning)."""
        h = self._env.height
        box = (left, lower, right, upper) if self._env.variant.y_down else (left, h - upper, right, h - lower)
        px1, py1, px2, py2 = self._box
        if not (px1 <= box[0] and px2 >= box[2] and py1 <= box[1] and py2 >= box[3]):
            raise ValueError(f"crop {(left, lower, right, upper)} is not inside the patch {(self.left, self.lower, self.right, self.upper)}")
        return Patch(self._env, self._grown(box))

    def overlaps_with(self, left: float, lower: float, right: float, upper: float) -> bool:
        return self.left <= right and self.right >= left and self.lower <= upper and self.upper >= lower

    def llm_query(self, question: str, long_answer: bool = True) -> str:
        return _llm_query(self._env, question, long_answer)

    def __repr__(self) -> str:
        return f"ImagePatch({self.left}, {self.lower}, {self.right}, {self.upper})"


def _llm_query(env: Env, query: str, long_answer: bool = True) -> str:
    prompt = query if long_answer else SHORT_ANSWER.format(query)
    return str(env.chat.invoke([HumanMessage(content=prompt)]).content).strip()


def _process_guesses(env: Env, prompt: str, guess1: Any = None, guess2: Any = None) -> str:
    guesses = list(guess1) if isinstance(guess1, (list, tuple)) else [g for g in (guess1, guess2) if g is not None]
    if not guesses:
        raise ValueError("process_guesses needs at least one guess")
    if len(guesses) == 1:
        guesses = guesses * 2
    return str(env.chat.invoke([HumanMessage(content=GUESSES.format(prompt, guesses[0], guesses[1]))]).content).strip()


def _best_image_match(env: Env, list_patches: Sequence[Patch], content: Sequence[str], return_index: bool = False) -> Any:
    if not list_patches:
        return None
    boxes = Detections([Box(*p._box) for p in list_patches])
    totals = [0.0] * len(boxes)
    for text in [content] if isinstance(content, str) else content:
        for i, scored in enumerate(env.call("similarity", image=env.image, objects=boxes, text=f"photo of {text}")):
            totals[i] += float(scored.score or 0.0)
    index = max(range(len(totals)), key=lambda i: (totals[i], -i))
    if totals.count(totals[index]) > 1 and not env.variant.first_on_tie:
        raise ValueError(f"the texts {content!r} tie between patches {[i for i, t in enumerate(totals) if t == totals[index]]}")
    return index if return_index else list_patches[index]


def _distance(a: Any, b: Any) -> float:
    if isinstance(a, Patch) and isinstance(b, Patch):
        u = [max(0.0, a.left - b.right), max(0.0, a.lower - b.upper)]
        v = [max(0.0, b.left - a.right), max(0.0, b.lower - a.upper)]
        dist = float(sum(x * x for x in u + v) ** 0.5)
        if dist == 0:
            return -Box(a.left, a.lower, a.right, a.upper).iou(Box(b.left, b.lower, b.right, b.upper))
        return dist
    return float(abs(a - b))


def _coerce_to_numeric(string: str) -> Any:
    """The first number in the text (ranges give their first value), else the text."""
    import re

    found = re.search(r"-?\d+(?:\.\d+)?", string.replace(",", ""))
    if found is None:
        return string
    return float(found.group(0)) if "." in found.group(0) else int(found.group(0))


class _KeylessList(list):  # type: ignore[type-arg]
    """A mutant list whose sort() ignores key=."""

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        super().sort(reverse=reverse)


def namespace(env: Env) -> dict[str, Any]:
    """The names a ViperGPT program sees."""

    def image_patch(image: Image, left: float | None = None, lower: float | None = None,
                    right: float | None = None, upper: float | None = None) -> Patch:
        root = Patch(env, image.root_box.as_tuple())
        if left is None and lower is None and right is None and upper is None:
            return root
        return root.crop(left, lower, right, upper)  # type: ignore[arg-type]

    names: dict[str, Any] = {
        "ImagePatch": image_patch,
        "best_image_match": lambda list_patches, content, return_index=False: _best_image_match(env, list_patches, content, return_index),
        "distance": _distance,
        "bool_to_yesno": lambda bool_answer: "yes" if bool_answer else "no",
        "llm_query": lambda query, long_answer=True: _llm_query(env, query, long_answer),
        "process_guesses": lambda prompt, guess1=None, guess2=None: _process_guesses(env, prompt, guess1, guess2),
        "coerce_to_numeric": _coerce_to_numeric,
    }
    if env.variant.sort_ignores_key:
        def keyless_sorted(items: Any, *, key: Any = None, reverse: bool = False) -> list[Any]:
            return sorted(items, reverse=reverse)

        names["sorted"] = keyless_sorted
    return names


def make_env(scene: Scene, variant: Variant) -> Env:
    return Env(scene, variant, render(scene), scene_registry(scene), scene_chat_model(scene))


def run_reference(case: Case, variant: Variant = VARIANTS[0]) -> tuple[Any, Env]:
    """Run ``case``'s program in the oracle; returns (result, env)."""
    env = make_env(case.scene, variant)
    names = namespace(env)
    exec(compile(case.source, f"<case {case.name}>", "exec"), names)  # noqa: S102 - trusted test data
    entry: Callable[[Image], Any] = names["execute_command"]
    return entry(env.image), env


# -- comparing results ------------------------------------------------------------

def result_box(result: Any, scene: Scene) -> BoxF | None:
    """The root-pixel box of a returned patch (anything with ViperGPT's ``left, lower,
    right, upper``) or image (``root_box``), else None."""
    if isinstance(result, Image):
        return result.root_box.as_tuple()
    if all(hasattr(result, a) for a in ("left", "lower", "right", "upper")):
        h = scene.size[1]
        return (float(result.left), h - float(result.upper), float(result.right), h - float(result.lower))
    return None


def matches(result: Any, expected: Expected, scene: Scene) -> str | None:
    """None when ``result`` is the expected answer, else why not (one line)."""
    if isinstance(expected, ThingRef):
        box = result_box(result, scene)
        if box is None:
            return f"expected a patch over {expected.id}, got {type(result).__name__} {result!r}"
        if not (box[0] < box[2] and box[1] < box[3]):
            return f"expected a patch over {expected.id}, got a patch with no area {box}"
        thing = max(scene.things, key=lambda t: Box(*t.box).iou(Box(*box)))
        overlap = Box(*thing.box).iou(Box(*box))
        if thing.id != expected.id or overlap < 0.25:
            return f"expected a patch over {expected.id}, got {box}, which best covers {thing.id} (IoU {overlap:.2f})"
        return None
    if isinstance(expected, bool):
        return None if result is expected else f"expected {expected!r}, got {result!r}"
    if isinstance(expected, float):
        ok = isinstance(result, (int, float)) and not isinstance(result, bool) and abs(result - expected) <= 1e-6 * max(1.0, abs(expected))
        return None if ok else f"expected {expected!r}, got {result!r}"
    if type(result) is not type(expected) or result != expected:
        return f"expected {expected!r} ({type(expected).__name__}), got {result!r} ({type(result).__name__})"
    return None

