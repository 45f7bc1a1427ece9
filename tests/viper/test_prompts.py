"""The ViperGPT-style planner data in prompts/viper/: the API stubs parse and name the
whole API, and every in-context example loads like the other examples, stays inside
the allowed language and gives the right answer on a scene of its own (run by the
test oracle)."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from tests.viper.reference import VARIANTS, matches, run_reference
from tests.viper.scene import Case, Expected, Scene, Thing, ThingRef
from tests.viper.test_corpus import HELPERS, PATCH_ATTRIBUTES, PATCH_METHODS, _features
from visprog.language.syntax import parse_tree  # one parse at a time: CPython 3.11 gh-106905
from visprog.planner import load_examples

PROMPTS = Path(__file__).resolve().parents[2] / "prompts" / "viper"


def _scene(name: str, *things: Thing, **kwargs: object) -> Scene:
    return Scene(name, (640, 480), things, **kwargs)  # type: ignore[arg-type]


# One scene and answer per example question.
EXAMPLE_SCENES: dict[str, tuple[Scene, Expected]] = {
    "Is the umbrella above the woman?": (_scene(
        "umbrella", Thing("umbrella", "umbrella", (100, 50, 200, 120), color="black"),
        Thing("woman", "woman", (110, 130, 190, 400), color="red"),
    ), "yes"),
    "What color is the second chair from the left?": (_scene(
        "chairs", Thing("a", "chair", (300, 300, 360, 400), color="blue"), Thing("b", "chair", (50, 300, 110, 400), color="red"),
        Thing("c", "chair", (180, 300, 240, 400), color="green"),
    ), "green"),
    "the bicycle farthest from the camera": (_scene(
        "bikes", Thing("near", "bicycle", (50, 200, 250, 350), depth=5.0), Thing("far", "bicycle", (350, 220, 550, 360), depth=9.0),
    ), ThingRef("far")),
    "How many of the balloons are red?": (_scene(
        "balloons", Thing("b1", "balloon", (50, 50, 100, 110), color="red"), Thing("b2", "balloon", (200, 60, 250, 120), color="blue"),
        Thing("b3", "balloon", (400, 40, 450, 100), color="red"),
    ), "2"),
    "Is the bench made of wood or metal?": (_scene(
        "bench", Thing("bench", "bench", (100, 250, 500, 400), color="gray", attributes=("metal",)),
    ), "metal"),
    "Are there both forks and knives on the table?": (_scene(
        "table", Thing("table", "table", (50, 200, 600, 450), color="brown"), Thing("fork", "fork", (100, 250, 130, 350), color="silver"),
        Thing("knife", "knife", (150, 250, 170, 350), color="silver"),
    ), "yes"),
    "Which country does the flag on the building belong to, and what is its capital?": (_scene(
        "flag", Thing("building", "building", (100, 100, 500, 480), color="gray"),
        Thing("flag", "flag", (250, 40, 330, 90), color="blue", answers={"Which country's flag is this?": "France"}),
        llm={"What is the capital of France?": "Paris"},
    ), "France, whose capital is Paris"),
    "What is the animal closest to the fence eating?": (_scene(
        "farm", Thing("fence", "fence", (0, 300, 200, 400), color="brown"),
        Thing("sheep", "sheep", (220, 300, 300, 380), names=("animal",), color="white", answers={"What is the animal eating?": "grass"}),
        Thing("goat", "goat", (500, 280, 600, 380), names=("animal",), color="black", answers={"What is the animal eating?": "hay"}),
    ), "grass"),
    "How many different kinds of birds are there?": (_scene(
        "birds", Thing("b1", "bird", (50, 50, 100, 100), answers={"What kind of bird is this?": "robin"}),
        Thing("b2", "bird", (200, 50, 250, 100), answers={"What kind of bird is this?": "sparrow"}),
        Thing("b3", "bird", (400, 50, 450, 100), answers={"What kind of bird is this?": "robin"}),
    ), "2"),
    "Is there a boat in the top half of the picture?": (_scene(
        "lake", Thing("boat", "boat", (300, 100, 400, 160), color="white"), Thing("dock", "dock", (0, 380, 300, 460), color="brown"),
    ), "yes"),
    "What sport is usually played with the ball the boy is holding?": (_scene(
        "court", Thing("boy", "boy", (200, 100, 300, 420), answers={"What kind of ball is the boy holding?": "basketball"}),
        answers={"What sport is this?": "basketball"},
        llm={"Which sport is played with a basketball?": "basketball",
             "What sport is usually played with the ball the boy is holding?": "basketball"},
    ), "basketball"),
    "the dog that is on the sofa": (_scene(
        "sofa", Thing("sofa", "sofa", (100, 200, 400, 400), color="green"), Thing("dog_on", "dog", (150, 250, 250, 350), color="brown"),
        Thing("dog_off", "dog", (450, 300, 550, 400), color="black", score=0.95),
    ), ThingRef("dog_on")),
    "List the people from the tallest to the shortest by what they wear.": (_scene(
        "people", Thing("p1", "person", (50, 100, 120, 400), answers={"What is this person wearing?": "a coat"}),
        Thing("p2", "person", (200, 200, 260, 400), answers={"What is this person wearing?": "a dress"}),
        Thing("p3", "person", (400, 150, 460, 400), answers={"What is this person wearing?": "jeans"}),
    ), "a coat, jeans, a dress"),
}


def _api() -> ast.Module:
    return parse_tree((PROMPTS / "api.txt").read_text(encoding="utf-8"))


def test_api_stubs_parse_and_cover_the_api() -> None:
    tree = _api()
    [patch] = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    methods = {n.name for n in patch.body if isinstance(n, ast.FunctionDef)}
    assert PATCH_METHODS <= methods
    helpers = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert helpers == HELPERS
    documented = ast.get_docstring(patch) or ""
    assert all(name in documented for name in PATCH_ATTRIBUTES)
    functions = [n for n in (*tree.body, *patch.body) if isinstance(n, ast.FunctionDef)]
    assert ast.get_docstring(patch) and all(ast.get_docstring(n) for n in functions)


def test_examples_load_like_the_others() -> None:
    examples = load_examples(PROMPTS)
    assert len(examples) >= 12
    assert {e.family for e in examples} == {"viper"} and all(e.inputs == ("IMAGE",) for e in examples)
    assert sorted(e.question for e in examples) == sorted(EXAMPLE_SCENES)


def test_examples_use_only_the_api_and_builtins() -> None:
    allowed = HELPERS | {"ImagePatch"} | set(dir(builtins))
    seen: set[str] = set()
    for example in load_examples(PROMPTS):
        tree = parse_tree(example.program)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id in allowed, f"{example.question}: {node.func.id}"
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.Try)):
                pytest.fail(f"{example.question}: {type(node).__name__}")
        seen |= _features(Case(example.question, example.question, example.program, next(iter(EXAMPLE_SCENES.values()))[0], "", "-"))
    # the examples show the ViperGPT features a chat model most needs to see
    assert {"method:find", "method:simple_query", "method:compute_depth", "method:crop", "lambda-key:sort",
            "lambda-key:min", "lambda-key:max", "lambda-key:sorted", "y-compare:vertical_center", "star-args", "set()",
            "helper:process_guesses", "helper:llm_query", "format:keyword", "format:positional"} <= seen


@pytest.mark.parametrize("question", sorted(EXAMPLE_SCENES))
def test_example_answers_right_on_its_scene(question: str) -> None:
    [example] = [e for e in load_examples(PROMPTS) if e.question == question]
    scene, expected = EXAMPLE_SCENES[question]
    case = Case(question, question, example.program, scene, expected, "see EXAMPLE_SCENES")
    for variant in VARIANTS:
        result, _ = run_reference(case, variant)
        assert matches(result, expected, scene) is None, f"[{variant.name}] {matches(result, expected, scene)}"


@pytest.mark.parametrize("question", sorted(EXAMPLE_SCENES))
def test_example_checks_and_runs_right_through_visprog(question: str) -> None:
    """What the planner shows a chat model is a program visprog itself accepts and runs."""
    from tests.viper.scene_tools import render, scene_chat_model, scene_registry
    from visprog import RunContext, check_program, default_registry, run_program

    [example] = [e for e in load_examples(PROMPTS) if e.question == question]
    scene, expected = EXAMPLE_SCENES[question]
    registry = scene_registry(scene, default_registry())
    assert [str(d) for d in check_program(example.program, registry)] == []
    run = run_program(example.program, render(scene), registry=registry, context=RunContext(chat_model=scene_chat_model(scene)))
    assert run.error is None, run.error
    assert matches(run.result, expected, scene) is None, matches(run.result, expected, scene)
