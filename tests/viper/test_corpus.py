"""The ViperGPT-style corpus: well formed, covering the whole API, inside the language
subset issue 11 allows; and run through visprog itself (``ImagePatch`` in
``visprog/values/patch.py``, its tools in ``tools/viper.py``): every program checks, runs
and gives the hand-computed answer, with every patch method traced as a step.

The plain-Python oracle of ``tests/viper/reference.py`` (which checks the hand-computed
answers themselves, in every variant an implementation may choose, and that known
mistakes are caught) is test data, not the product: ``benchmarks/viper.py`` runs it."""

from __future__ import annotations

import ast
import string
from collections import Counter

import pytest

from tests.viper.corpus import CASES, SCENES
from tests.viper.reference import matches
from tests.viper.scene import Case
from tests.viper.scene_tools import render, scene_chat_model, scene_registry
from visprog import RunContext, check_program, default_registry, run_program
from visprog.language.syntax import parse_tree  # one parse at a time: CPython 3.11 gh-106905

PATCH_METHODS = {
    "find", "exists", "verify_property", "best_text_match", "simple_query", "compute_depth", "crop", "overlaps_with",
    "llm_query",
}
PATCH_ATTRIBUTES = {"left", "lower", "right", "upper", "width", "height", "horizontal_center", "vertical_center", "cropped_image"}
HELPERS = {"best_image_match", "distance", "bool_to_yesno", "llm_query", "process_guesses"}
KEY_FUNCTIONS = {"sorted", "sort", "min", "max"}


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _features(case: Case) -> set[str]:
    """What a program uses, read from its syntax tree."""
    tree = parse_tree(case.source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _called_name(node)
            keywords = {k.arg: k.value for k in node.keywords}
            if isinstance(node.func, ast.Attribute) and name in PATCH_METHODS:
                found.add(f"method:{name}")
            if isinstance(node.func, ast.Name) and name in HELPERS:
                found.add(f"helper:{name}")
            if name in KEY_FUNCTIONS and isinstance(keywords.get("key"), ast.Lambda):
                found.add(f"lambda-key:{name}")
                reverse = keywords.get("reverse")
                if isinstance(reverse, ast.Constant) and reverse.value is True:
                    found.add(f"key-and-reverse:{name}")
            if name == "set" and isinstance(node.func, ast.Name):
                found.add("set()")
            if name == "format" and isinstance(node.func, ast.Attribute):
                found.add("format:keyword" if node.keywords else "format:positional")
            if any(isinstance(a, ast.Starred) for a in node.args):
                found.add("star-args")
            if name == "best_image_match" and "return_index" in keywords:
                found.add("best_image_match:return_index")
            if name == "process_guesses":
                found.add("process_guesses:list" if isinstance(node.args[1], ast.List) else f"process_guesses:{len(node.args)}-args")
            if name == "distance" and all(isinstance(a, ast.Call) for a in node.args):
                found.add("distance:numbers")
        elif isinstance(node, ast.Attribute) and node.attr in PATCH_ATTRIBUTES:
            found.add(f"attribute:{node.attr}")
        elif isinstance(node, ast.Set):
            found.add("set-literal")
        elif isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                for sub in ast.walk(side):
                    if isinstance(sub, ast.Attribute) and sub.attr in {"vertical_center", "lower", "upper"}:
                        found.add(f"y-compare:{sub.attr}")
                    if isinstance(sub, ast.Call) and _called_name(sub) == "compute_depth":
                        found.add("depth-compare")
    return found


REQUIRED_FEATURES = (
    {f"method:{m}" for m in PATCH_METHODS}
    | {f"attribute:{a}" for a in PATCH_ATTRIBUTES}
    | {f"helper:{h}" for h in HELPERS}
    | {f"lambda-key:{k}" for k in KEY_FUNCTIONS}
    | {"key-and-reverse:sort", "key-and-reverse:sorted", "set()", "set-literal", "format:keyword", "format:positional",
       "star-args", "best_image_match:return_index", "process_guesses:list", "process_guesses:3-args", "distance:numbers",
       "y-compare:vertical_center", "y-compare:lower", "y-compare:upper", "depth-compare"}
)


def test_corpus_is_large_and_well_formed() -> None:
    assert len(CASES) >= 45
    names = Counter(c.name for c in CASES)
    assert [n for n, k in names.items() if k > 1] == []
    for case in CASES:
        tree = parse_tree(case.source)
        [entry] = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert entry.name == "execute_command" and [a.arg for a in entry.args.args] == ["image"], case.name
        first = entry.body[0]
        assert isinstance(first, ast.Assign) and ast.unparse(first) == "image_patch = ImagePatch(image)", case.name
        assert case.scene in SCENES, case.name
        assert case.why.strip(), case.name


def test_corpus_covers_the_whole_api_and_language() -> None:
    seen: set[str] = set()
    for case in CASES:
        seen |= _features(case)
    assert sorted(REQUIRED_FEATURES - seen) == []


def test_corpus_stays_inside_the_allowed_subset() -> None:
    """Lambdas only as key= of sorted/sort/min/max, one argument, no defaults; str.format
    only on literals, with plain fields (no attribute, index, conversion or spec)."""
    for case in CASES:
        tree = parse_tree(case.source)
        key_lambdas = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) in KEY_FUNCTIONS:
                key_lambdas |= {id(k.value) for k in node.keywords if k.arg == "key" and isinstance(k.value, ast.Lambda)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Lambda):
                assert id(node) in key_lambdas, f"{case.name}: lambda outside key="
                assert len(node.args.args) == 1 and not node.args.defaults, f"{case.name}: lambda must take one plain argument"
            if isinstance(node, ast.Call) and _called_name(node) == "format" and isinstance(node.func, ast.Attribute):
                template = node.func.value
                assert isinstance(template, ast.Constant) and isinstance(template.value, str), f"{case.name}: format on a literal only"
                for _, field, spec, conversion in string.Formatter().parse(template.value):
                    if field is None:
                        continue
                    assert field == "" or field.isidentifier(), f"{case.name}: format field {field!r} is not plain"
                    assert not spec and conversion is None, f"{case.name}: format field {field!r} has a spec or conversion"


#: The model tool each patch method calls, with the patch's crop (or its image) as ``image``.
METHOD_TOOLS = {
    "patch_find": "detect", "patch_exists": "detect", "patch_verify_property": "vqa", "patch_simple_query": "vqa",
    "patch_best_text_match": "classify_image", "patch_compute_depth": "depth", "patch_llm_query": "llm_query",
    "patch_forward": "detect",
}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_runs_through_visprog(case: Case) -> None:
    registry = scene_registry(case.scene, default_registry())
    assert [str(d) for d in check_program(case.source, registry)] == [], case.name
    run = run_program(case.source, render(case.scene), registry=registry,
                      context=RunContext(chat_model=scene_chat_model(case.scene)))
    assert run.error is None, f"{case.name}: {run.error}"
    problem = matches(run.result, case.expected, case.scene)
    assert problem is None, f"{case.name}: {problem}"
    # Each patch method is a call of its step, followed by the model tool it asked, about
    # the patch's own pixels (best_text_match with one option asks nothing).
    for step in run.trace.steps:
        for i, call in enumerate(step.calls):
            inner = METHOD_TOOLS.get(call.tool)
            if inner is None or (call.tool == "patch_best_text_match" and len(set(call.arguments["option_list"])) == 1):
                continue
            following = step.calls[i + 1]
            assert following.tool == inner, f"{case.name}: {call.tool} was followed by {following.tool}"
            patch = call.arguments["patch"]
            if inner == "depth":
                assert following.arguments["image"] is patch.image
            elif inner != "llm_query":
                assert following.arguments["image"].root_box.as_tuple() == patch.box.as_tuple()
