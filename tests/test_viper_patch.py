"""ImagePatch (issue 11): the y-axis mapping, every method and helper through visprog's
runtime on a scene's fake model tools, and what the one tool-call path gives patch
programs: traces with the crop, the result cache, budgets, availability."""

from __future__ import annotations

import json

import numpy as np
import pytest
from visprog_tools.viper import GUESSES_PROMPT, SHORT_ANSWER_PROMPT
from visprog_tools.vision.depth import DepthMap

from tests.viper.corpus import KITCHEN, STREET
from tests.viper.scene import Scene, Thing, viper_box, visprog_box
from tests.viper.scene_tools import prompts, render, scene_chat_model, scene_registry
from visprog import (
    Box,
    Detections,
    Image,
    InputError,
    Limits,
    Registry,
    RunContext,
    RunResult,
    Trace,
    check_program,
    default_registry,
    run_program,
    tool,
)
from visprog.toolkit.result_cache import ResultCache
from visprog.values.codec import decode_value, encode_value
from visprog.values.patch import ImagePatch


def run(source: str, scene: Scene, *, registry: Registry | None = None, limits: Limits | None = None, cache: object = None) -> RunResult:
    """Run a program on the scene's picture with its fake tools and chat model."""
    registry = registry if registry is not None else scene_registry(scene, default_registry())
    context = RunContext(chat_model=scene_chat_model(scene), cache=cache, limits=limits or Limits())
    return run_program(source, render(scene), registry=registry, limits=limits, context=context)


def answer(body: str, scene: Scene = KITCHEN, **kwargs: object) -> object:
    """The result of ``execute_command`` whose body (after ``image_patch = ImagePatch(image)``) is ``body``."""
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    result = run(f"def execute_command(image):\n    image_patch = ImagePatch(image)\n{lines}\n", scene, **kwargs)  # type: ignore[arg-type]
    assert result.error is None, result.error
    return result.result


# -- coordinates ----------------------------------------------------------------------

def test_y_axis_mapping_on_the_documented_example() -> None:
    root = Image(render(KITCHEN).pil)
    patch = ImagePatch(root, Box(100, 180, 170, 260))
    assert (patch.left, patch.lower, patch.right, patch.upper) == (100, 220, 170, 300)
    assert (patch.width, patch.height) == (70, 80)
    assert (patch.horizontal_center, patch.vertical_center) == (135.0, 260.0)
    lamp = ImagePatch(root, Box(280, 20, 360, 100))
    assert lamp.vertical_center == 420.0 > patch.vertical_center  # higher in the picture: larger
    assert lamp.box.cy < patch.box.cy  # ... but smaller y in visprog
    whole = ImagePatch(root)
    assert (whole.left, whole.lower, whole.right, whole.upper) == (0, 0, 640, 480)


def test_mapping_round_trips_and_matches_the_scene_helpers() -> None:
    rng = np.random.default_rng(7)
    root = Image(render(KITCHEN).pil)
    whole = ImagePatch(root)
    for _ in range(200):
        x1, x2 = sorted(rng.integers(0, 641, size=2))
        y1, y2 = sorted(rng.integers(0, 481, size=2))
        if x1 == x2 or y1 == y2:
            continue
        patch = ImagePatch(root, Box(int(x1), int(y1), int(x2), int(y2)))
        edges = (patch.left, patch.lower, patch.right, patch.upper)
        assert edges == viper_box((x1, y1, x2, y2), 480)
        assert whole.root_box(*edges).as_tuple() == (x1, y1, x2, y2) == visprog_box(*edges, 480)
        # the pixels are exactly rows H-upper .. H-lower-1 and columns left .. right-1
        pixels = np.asarray(root.pil)[480 - patch.upper : 480 - patch.lower, patch.left : patch.right]
        assert np.array_equal(np.asarray(patch.cropped_image.pil), pixels)
        assert whole.crop(*edges) == patch


def test_a_patch_of_a_crop_counts_from_that_crop() -> None:
    """ViperGPT's documented semantics: a new ImagePatch's edges start at its image."""
    root = Image(render(KITCHEN).pil)
    crop = root.crop(Box(100, 100, 300, 260))
    patch = ImagePatch(crop)
    assert (patch.left, patch.lower, patch.right, patch.upper) == (0, 0, 200, 160)
    inner = patch.crop(10, 20, 50, 60)  # y up from the crop's bottom edge (root row 260)
    assert inner.box.as_tuple() == (110, 200, 150, 240)
    assert (inner.left, inner.lower) == (10, 20)


def test_patch_is_immutable_and_validated() -> None:
    root = Image(render(KITCHEN).pil)
    patch = ImagePatch(root, Box(10.4, 10.6, 20.2, 30.5))
    assert patch.box.as_tuple() == (10, 11, 20, 30)  # whole pixels, as Image.crop rounds
    with pytest.raises(AttributeError, match="immutable"):
        patch.left = 3  # type: ignore[misc]
    with pytest.raises(InputError, match="does not lie inside"):
        ImagePatch(root, Box(600, 0, 700, 10))
    with pytest.raises(InputError, match="no area"):
        ImagePatch(root, Box(5, 5, 5.2, 9))
    with pytest.raises(InputError, match="needs an Image"):
        ImagePatch("photo.png")  # type: ignore[arg-type]


def test_vertical_comparisons_run_the_right_way_round() -> None:
    source = """
lamp = image_patch.find("lamp")[0]
cup = image_patch.find("cup")[0]
return [lamp.vertical_center > cup.vertical_center, lamp.lower > cup.upper, lamp.box.y1 < cup.box.y1]
"""
    assert answer(source) == [True, True, True]


# -- host methods: crop, overlaps_with -----------------------------------------------

def test_crop_takes_edges_in_the_frame_with_y_up() -> None:
    source = """
bottom = image_patch.crop(0, 0, image_patch.width, image_patch.height // 2)
top = image_patch.crop(0, image_patch.height // 2, image_patch.width, image_patch.height)
return [bottom.box.y1, bottom.box.y2, top.box.y1, top.box.y2, bottom.exists("lamp"), top.exists("lamp")]
"""
    assert answer(source) == [240, 480, 0, 240, False, True]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("image_patch.crop(0, 0, 700, 10)", "reaches outside the patch"),
        ("image_patch.crop(10, 50, 20, 40)", "lower <= upper"),
        ("image_patch.crop(10, 10, 10.2, 40)", "has no area"),
        ("image_patch.crop('a', 0, 1, 1)", "left must be a number"),
        ("image_patch.find('cup')[0].crop(0, 0, 640, 480)", "reaches outside the patch"),
    ],
)
def test_bad_crops_are_one_clear_line(call: str, message: str) -> None:
    result = run(f"def execute_command(image):\n    image_patch = ImagePatch(image)\n    return {call}\n", KITCHEN)
    assert result.error is not None and message in result.error.message
    assert result.error.line == 3 and "\n" not in result.error.message


def test_overlaps_with_counts_touching_edges() -> None:
    source = """
table = image_patch.find("table")[0]
cup = image_patch.find("cup")[0]
lamp = image_patch.find("lamp")[0]
box = (table.left, table.lower, table.right, table.upper)
return [cup.overlaps_with(*box), lamp.overlaps_with(*box), table.overlaps_with(0, 0, 40, 10)]
"""
    assert answer(source) == [True, False, True]  # the cups stand on the table: touching


# -- tool methods ------------------------------------------------------------------

def test_find_returns_patches_in_detector_order_clipped_to_the_patch() -> None:
    source = """
cups = image_patch.find("cup")
left_half = image_patch.crop(0, 0, 300, 480)
inside = left_half.find("cup")
return [[c.left for c in cups], [c.left for c in inside], inside[0].right]
"""
    # scores: blue (420) 0.95, white (260) 0.9, red (100) 0.85; the white cup (260..320) is clipped at x=300
    assert answer(source) == [[420, 260, 100], [260, 100], 300]


def test_find_of_nothing_is_an_empty_list_and_exists_agrees() -> None:
    assert answer('return [image_patch.find("giraffe"), image_patch.exists("giraffe"), image_patch.exists("bottle")]') == [
        [], False, True]


def test_verify_property_asks_vqa_yes_or_no() -> None:
    source = """
cups = sorted(image_patch.find("cup"), key=lambda c: c.left)
return [c.verify_property("cup", "red") for c in cups]
"""
    assert answer(source) == [True, False, False]


def test_verify_property_notes_an_answer_that_is_not_yes_or_no() -> None:
    scene = Scene("odd", (200, 100), (Thing("cup", "cup", (10, 10, 60, 60), answers={"Is the cup red?": "maroon"}),))
    result = run('def execute_command(image):\n    return ImagePatch(image).find("cup")[0].verify_property("cup", "red")\n', scene)
    assert result.error is None and result.result is False
    notes = [n for s in result.trace.steps for c in s.calls for n in c.notes]
    assert any("neither yes nor no" in n for n in notes)


def test_best_text_match_returns_the_option_not_the_prefixed_text() -> None:
    source = """
bottle = image_patch.find("bottle")[0]
return [bottle.best_text_match(["glass", "plastic"]), bottle.best_text_match(["plastic", "glass"], prefix="bottle made of"),
        bottle.best_text_match(["only"])]
"""
    assert answer(source) == ["glass", "glass", "only"]


def test_simple_query_asks_about_the_crop_with_a_default_question() -> None:
    source = """
cup = image_patch.find("cup")[0]
return [cup.simple_query(), cup.simple_query("What is in the cup?"), image_patch.simple_query("What room is this?")]
"""
    assert answer(source) == ["cup", "tea", "kitchen"]


def test_compute_depth_is_the_median_over_the_patch_of_the_whole_image_depth() -> None:
    source = """
cups = image_patch.find("cup")
return [c.compute_depth() for c in cups] + [image_patch.crop(0, 0, 640, 10).compute_depth()]
"""
    # blue 7, white 4, red 5; the bottom 10 rows are the table's (depth 6) and background (50)
    # the bottom 10 rows (root rows 470..479) are below the table (rows 260..469): background, 50
    assert answer(source) == [7.0, 4.0, 5.0, 50.0]


def test_nearest_and_farthest_follow_larger_is_farther() -> None:
    source = """
cups = image_patch.find("cup")
return [min(cups, key=lambda c: c.compute_depth()).simple_query("What color is the cup?"),
        max(cups, key=lambda c: c.compute_depth()).simple_query("What color is the cup?")]
"""
    assert answer(source) == ["white", "blue"]


def test_llm_query_short_and_long_prompts_and_the_patch_method() -> None:
    scene = Scene("llm", (100, 100), (Thing("cup", "cup", (10, 10, 50, 50)),),
                  llm={"Which animal gives milk?": "cow\nthey also give cream", "Tell me about milk.": "Milk is white."})
    source = """
def execute_command(image):
    image_patch = ImagePatch(image)
    short = llm_query("Which animal gives milk?", long_answer=False)
    long = image_patch.find("cup")[0].llm_query("Tell me about milk.")
    return [short, long]
"""
    chat = scene_chat_model(scene)
    result = run_program(source, render(scene), registry=scene_registry(scene, default_registry()), context=RunContext(chat_model=chat))
    assert result.error is None, result.error
    assert result.result == ["cow", "Milk is white."]
    assert prompts(chat)[0] == SHORT_ANSWER_PROMPT.replace("{question}", "Which animal gives milk?")
    assert prompts(chat)[1] == "Tell me about milk."
    names = [c.name for c in result.trace.steps[2].calls]
    assert names == ["patch_find", "detect", "patch_llm_query", "llm_query"]


def test_process_guesses_takes_a_list_or_two_guesses() -> None:
    scene = Scene("guess", (100, 100), (Thing("dog", "dog", (10, 10, 50, 50)),), llm={"What does it hunt?": "hares"})
    source = """
def execute_command(image):
    return [process_guesses("What does it hunt?", ["rabbits", "hares"]), process_guesses("What does it hunt?", "rabbits", "hares"),
            process_guesses("What does it hunt?", ["a", "b", "c"])]
"""
    chat = scene_chat_model(scene)
    result = run_program(source, render(scene), registry=scene_registry(scene, default_registry()), context=RunContext(chat_model=chat))
    assert result.error is None and result.result == ["hares"] * 3
    listed = "Guess 1: rabbits\nGuess 2: hares"
    # the second call asks the very same prompt: its reply comes from the LLM reply cache
    assert len(prompts(chat)) == 2
    assert prompts(chat)[0] == GUESSES_PROMPT.replace("{question}", "What does it hunt?").replace("{guesses}", listed)
    assert "Guess 3: c" in prompts(chat)[1]
    notes = [n for c in result.trace.steps[0].calls for n in c.notes]
    assert any("cached reply" in n for n in notes)
    both = run_program('def execute_command(image):\n    return process_guesses("q?", ["a"], "b")\n', render(scene),
                       registry=scene_registry(scene, default_registry()), context=RunContext(chat_model=chat))
    assert both.error is not None and "not both" in both.error.message and both.error.argument == "guess2"


def test_best_image_match_with_index_empty_list_and_several_texts() -> None:
    source = """
cups = sorted(image_patch.find("cup"), key=lambda c: c.left)
red = best_image_match(cups, ["red cup"])
index = best_image_match(list_patches=cups, content="blue cup", return_index=True)
nothing = best_image_match([], ["red cup"])
split = best_image_match(cups, ["red cup", "blue cup", "ceramic cup"], return_index=True)
return [red.left, index, nothing, split]
"""
    result = run("def execute_command(image):\n    image_patch = ImagePatch(image)\n" + "\n".join("    " + s for s in source.strip().splitlines()), KITCHEN)
    assert result.error is None, result.error
    assert result.result == [100, 2, None, 0]  # red is best on average over the three texts
    notes = [n for s in result.trace.steps for c in s.calls for n in c.notes]
    assert any("returned None" in n for n in notes)


def test_distance_of_patches_and_numbers() -> None:
    source = """
bottle = image_patch.find("bottle")[0]
cups = sorted(image_patch.find("cup"), key=lambda c: c.left)
table = image_patch.find("table")[0]
return [distance(cups[2], bottle), distance(cups[0], cups[1]), distance(bottle, table), distance(3, 7.5)]
"""
    # blue cup to bottle 40, red to white cup 90, bottle and table touch (gap 0, no overlap), numbers 4.5
    assert answer(source) == [40.0, 90.0, 0.0, 4.5]


def test_distance_of_overlapping_patches_is_minus_their_iou() -> None:
    assert answer('return distance(image_patch, image_patch.crop(0, 0, 320, 480))') == -0.5
    result = run('def execute_command(image):\n    return distance(ImagePatch(image), 3)\n', KITCHEN)
    assert result.error is not None and "two patches or two numbers" in result.error.message


def test_bool_to_yesno_and_coerce_to_numeric() -> None:
    source = """
return [bool_to_yesno(True), bool_to_yesno(0), coerce_to_numeric("10-15 cm"), coerce_to_numeric("about 3.5"),
        coerce_to_numeric("Seven"), coerce_to_numeric("none")]
"""
    assert answer(source) == ["yes", "no", 10, 3.5, 7, "none"]


def test_image_patch_with_edges_and_bad_edges() -> None:
    assert answer('return ImagePatch(image, 0, 240, 640, 480).exists("lamp")') is True
    result = run("def execute_command(image):\n    return ImagePatch(image, 0, 240)\n", KITCHEN)
    assert result.error is not None and "right, upper missing" in result.error.message and result.error.tool == "ImagePatch"


def test_cropped_image_is_an_image_for_visprog_tools() -> None:
    source = """
cup = image_patch.find("cup")[0]
crop = cup.cropped_image
return [crop.width, crop.height, vqa(crop, "What is in the cup?"), len(detect(crop, "cup"))]
"""
    assert answer(source) == [60, 70, "tea", 1]


# -- what the one tool-call path gives patch programs --------------------------------

def test_each_method_is_a_step_with_the_patch_and_its_crop() -> None:
    result = run('def execute_command(image):\n    image_patch = ImagePatch(image)\n    cup = image_patch.find("cup")[0]\n'
                 '    return cup.simple_query("What is in the cup?")\n', KITCHEN)
    assert result.error is None and result.result == "tea"
    step = result.trace.steps[-1]
    assert [c.tool for c in step.calls] == ["patch_simple_query", "vqa"]
    method, inner = step.calls
    assert isinstance(method.arguments["patch"], ImagePatch) and method.output == "tea"
    crop = inner.arguments["image"]
    assert isinstance(crop, Image) and crop.root_box.as_tuple() == method.arguments["patch"].box.as_tuple() == (420, 190, 480, 260)
    # the trace survives JSON, patches included, and its HTML shows the crop
    again = Trace.from_json(result.trace.to_json())
    assert again.steps[-1].calls[0].arguments["patch"].box.as_tuple() == (420, 190, 480, 260)
    assert result.trace.to_html().count("<img") >= 2


def test_nested_calls_use_the_result_cache(tmp_path: object) -> None:
    calls: list[str] = []

    @tool(name="detect", cacheable=True)
    def counting_detect(image: Image, query: str | list[str], threshold: float = 0.1, nms_iou: float = 0.5) -> Detections:
        """Counts its calls; finds one box at the image's top-left quarter.

        Args:
            image: the image.
            query: what to find.
            threshold: unused.
            nms_iou: unused.

        Returns:
            One box.
        """
        calls.append(str(query))
        x, y = image.offset
        return Detections([Box(x, y, x + image.width // 2, y + image.height // 2, label=str(query), score=0.9)])

    registry = scene_registry(KITCHEN, default_registry()).merged(Registry([counting_detect]), override=True)
    cache = ResultCache(tmp_path)  # type: ignore[arg-type]
    source = 'def execute_command(image):\n    return len(ImagePatch(image).find("cup"))\n'
    first = run(source, KITCHEN, registry=registry, cache=cache)
    second = run(source, KITCHEN, registry=registry, cache=cache)
    assert first.result == second.result == 1 and calls == ["cup"]
    # ImagePatch and the method itself are not cached (they are cheap); the detector's answer is
    assert [(c.tool, c.cached) for c in second.trace.steps[-1].calls] == [("ImagePatch", False), ("patch_find", False), ("detect", True)]


def test_budgets_count_nested_chat_model_calls() -> None:
    scene = Scene("llm", (100, 100), (Thing("cup", "cup", (10, 10, 50, 50)),), llm={"Q1": "a", "Q2": "b"})
    source = 'def execute_command(image):\n    a = llm_query("Q1")\n    b = ImagePatch(image).llm_query("Q2")\n    return a + b\n'
    ok = run(source, scene)
    assert ok.error is None and ok.result == "ab"
    stopped = run(source, scene, limits=Limits(max_llm_calls=1))
    assert stopped.error is not None and stopped.error.budget == "max_llm_calls" and stopped.error.line == 3


def test_a_missing_or_unavailable_model_tool_is_named() -> None:
    fakes = scene_registry(KITCHEN)
    without_detect = default_registry().merged(Registry([t for t in fakes.tools if t.name != "detect"]), override=True)
    only_patch_tools = Registry([t for t in default_registry().tools if t.family == "viper"])
    source = 'def execute_command(image):\n    return ImagePatch(image).find("cup")\n'
    missing = run(source, KITCHEN, registry=only_patch_tools)
    assert missing.error is not None and "needs the tool 'detect'" in missing.error.message
    assert missing.error.line == 2

    @tool(name="detect", requires=("a_module_that_is_not_installed",))
    def unavailable(image: Image, query: str) -> Detections:
        """Needs a missing module.

        Args:
            image: the image.
            query: what to find.

        Returns:
            Never.
        """
        raise AssertionError("never called")

    blocked = run(source, KITCHEN, registry=without_detect.merged(Registry([unavailable]), override=True))
    assert blocked.error is not None and blocked.error.kind == "ToolUnavailable"
    assert "a_module_that_is_not_installed" in blocked.error.message


def test_a_slow_nested_call_stops_at_the_deadline() -> None:
    import time

    @tool(name="vqa", preempt="worker")
    def slow(image: Image | list[Image], question: str | list[str]) -> str | list[str]:
        """Sleeps.

        Args:
            image: the image.
            question: the question.

        Returns:
            Never in time.
        """
        time.sleep(3)
        return "late"

    registry = scene_registry(KITCHEN, default_registry()).merged(Registry([slow]), override=True)
    started = time.perf_counter()
    result = run('def execute_command(image):\n    return ImagePatch(image).simple_query("What room is this?")\n', KITCHEN,
                 registry=registry, limits=Limits(max_wall_time_s=0.5))
    assert result.error is not None and result.error.budget == "max_wall_time_s"
    assert time.perf_counter() - started < 2.5


# -- checker --------------------------------------------------------------------------

def test_checker_checks_method_arguments_and_names() -> None:
    registry = scene_registry(KITCHEN, default_registry())
    head = "def execute_command(image):\n    image_patch = ImagePatch(image)\n"
    missing = check_program(head + "    return image_patch.find()\n", registry)
    assert [(d.code, d.message) for d in missing] == [("missing-argument", "ImagePatch.find needs argument 'object_name' (str)")]
    typo = check_program(head + "    return image_patch.fnd('cup')\n", registry)
    assert [(d.code, d.suggestion) for d in typo] == [("unknown-attribute", "did you mean 'find'?")]
    wrong = check_program(head + "    return image_patch.simple_query(question=3)\n", registry)
    assert [d.code for d in wrong] == ["argument-type"]
    extra = check_program(head + "    return image_patch.exists('a', 'b')\n", registry)
    assert [d.code for d in extra] == ["too-many-arguments"]
    # ViperGPT's okvqa prompts rebind the parameter: image = ImagePatch(image)
    assert check_program("def execute_command(image):\n    image = ImagePatch(image)\n    return image.simple_query('q?')\n", registry) == []


def test_entry_function_locals_may_take_tool_names() -> None:
    source = ("def execute_command(image):\n    count = 0\n    result = ImagePatch(image)\n    depth = result.find('cup')\n"
              "    for cup in depth:\n        count += 1\n    return count\n")
    assert check_program(source, scene_registry(KITCHEN, default_registry())) == []
    assert answer("count = len(image_patch.find('cup'))\nreturn count") == 3
    ran = run(source, KITCHEN)
    assert ran.error is None and ran.result == 3
    top = check_program("count = 1\nresult(count)", default_registry())
    assert [d.code for d in top] == ["shadowed-name", "not-a-value"]


# -- values ------------------------------------------------------------------------------

def test_patch_and_depth_map_encode_exactly() -> None:
    root = Image(render(STREET).pil)
    patch = ImagePatch(root, Box(50, 300, 230, 420, label="car", score=0.9)).crop(60, 70, 200, 170)
    data = encode_value([patch])
    again = decode_value(json.loads(json.dumps(data)))[0]
    assert isinstance(again, ImagePatch) and (again.box, again.frame) == (patch.box, patch.frame)
    assert (again.left, again.lower, again.right, again.upper) == (patch.left, patch.lower, patch.right, patch.upper)
    assert np.array_equal(np.asarray(again.cropped_image.pil), np.asarray(patch.cropped_image.pil))
    depth = DepthMap(np.arange(12, dtype=np.float32).reshape(3, 4) / 7, Box(10, 20, 14, 23))
    back = decode_value(json.loads(json.dumps(encode_value(depth))))
    assert isinstance(back, DepthMap) and np.array_equal(back.array, depth.array) and back.box == depth.box


def test_programs_may_hold_a_depth_map() -> None:
    source = "def execute_command(image):\n    d = depth(image)\n    cup = ImagePatch(image).find('cup')[0]\n    return [d.kind, d.median(cup.box), d.shape]\n"
    result = run(source, KITCHEN)
    assert result.error is None, result.error
    assert result.result == ["relative", 7.0, (480, 640)]  # the first cup found is the blue one, depth 7


# -- ViperGPT's own semantics (image_patch.py) -----------------------------------------

SHELF = Scene("shelf", (320, 240), (
    Thing("cat", "cat", (20, 60, 100, 180), color="gray"),
    # found as a "dog" by the detector, but VQA says it is not one: a false positive
    Thing("toy", "dog", (140, 60, 200, 180), color="brown", answers={"Is this a dog?": "no"}),
    Thing("dog", "dog", (220, 60, 300, 180), color="white", score=0.5),
), answers={"What number is written in the image (in digits)?": "17"})


def test_exists_keeps_only_patches_vqa_confirms_as_viper_does() -> None:
    """ViperGPT's exists: find, then "Is this a {name}?" on each found patch; a detector
    false positive that VQA rejects does not count. One batched vqa call."""
    source = "return [image_patch.exists('dog'), image_patch.crop(0, 0, 210, 240).exists('dog'), image_patch.exists('bird')]"
    result = run(f"def execute_command(image):\n    image_patch = ImagePatch(image)\n    {source}\n", SHELF)
    assert result.error is None, result.error
    # The whole picture has a real dog; the left part only the toy the detector takes for one.
    assert result.result == [True, False, False]
    asked = [c.arguments["question"] for s in result.trace.steps for c in s.calls if c.tool == "vqa"]
    assert asked == ["Is this a dog?", "Is this a dog?"]
    notes = [n for s in result.trace.steps for c in s.calls for n in c.notes]
    assert any("not confirmed" in n for n in notes)


def test_exists_reads_numbers_as_viper_does() -> None:
    """ViperGPT's exists for a number: VQA reads "What number is written in the image
    (in digits)?" (no detector), and "17", "number 17", "number seventeen" all match."""
    source = ("return [image_patch.exists('17'), image_patch.exists('number 17'), image_patch.exists('number seventeen'), "
              "image_patch.exists('5')]")
    result = run(f"def execute_command(image):\n    image_patch = ImagePatch(image)\n    {source}\n", SHELF)
    assert result.error is None, result.error
    assert result.result == [True, True, True, False]
    tools = {c.tool for s in result.trace.steps for c in s.calls}
    assert "detect" not in tools and "vqa" in tools


def test_best_image_match_averages_scores_over_the_texts_as_viper_does() -> None:
    """ViperGPT averages each patch's CLIP scores over the texts and takes the argmax: a
    patch second-best for every text but best on average wins, though no text picks it."""
    scores = {"photo of furry": {20: 1.0, 140: 0.8, 220: 0.0}, "photo of pet": {20: 0.0, 140: 0.8, 220: 1.0}}

    @tool(name="similarity", family="vision")
    def similarity(image: Image, objects: Detections, text: str) -> Detections:
        """Fixed scores per text and patch.

        Args:
            image: the image.
            objects: the boxes.
            text: the text.

        Returns:
            The boxes with their scores.
        """
        return Detections([b.with_label(b.label, scores[text][int(b.x1)]) for b in objects])

    registry = scene_registry(SHELF, default_registry()).merged(Registry([similarity]), override=True)
    body = ("    animals = sorted(image_patch.find('cat') + image_patch.find('dog'), key=lambda p: p.left)\n"
            "    return [best_image_match(animals, ['furry', 'pet'], return_index=True), best_image_match(animals, ['pet']).left]\n")
    result = run("def execute_command(image):\n    image_patch = ImagePatch(image)\n" + body, SHELF, registry=registry)
    assert result.error is None, result.error
    assert result.result == [1, 220]


def test_forward_glip_as_viper_fixed_code_calls_it_and_other_models_are_refused() -> None:
    """ViperGPT's glip.prompt: ``bbox = image_patch.forward('glip', image_patch.cropped_image,
    query)[0]; return image_patch.crop(*bbox)``; another model name gets the method to
    write instead."""
    glip = ("def execute_command(image):\n    image_patch = ImagePatch(image)\n"
            "    bbox = image_patch.forward('glip', image_patch.cropped_image, 'cat')[0]\n    return image_patch.crop(*bbox)\n")
    result = run(glip, SHELF)
    assert result.error is None, result.error
    assert (result.result.left, result.result.lower, result.result.right, result.result.upper) == (20, 60, 100, 180)
    blip = "def execute_command(image):\n    return ImagePatch(image).forward('blip', ImagePatch(image).cropped_image, 'what?')\n"
    refused = run(blip, SHELF)
    assert refused.error is not None and "simple_query(question)" in refused.error.message
    assert refused.error.argument == "model_name"


def test_patch_tools_declare_the_models_their_inner_tools_load(tmp_path: object) -> None:
    """`visprog tools` shows a patch method "needs download" exactly when the model tool
    it calls does (before, patch_simple_query showed "ready" and failed on BLIP)."""
    from visprog.models import Config, ModelManager
    from visprog.models.manager import _RANK, tool_availability

    manager = ModelManager(Config(device="cpu", cache_dir=tmp_path))  # type: ignore[arg-type]
    registry = default_registry()
    inner = {"patch_find": ["detect"], "patch_exists": ["detect", "vqa"], "patch_verify_property": ["vqa"],
             "patch_simple_query": ["vqa"], "patch_best_text_match": ["classify_image"], "patch_compute_depth": ["depth"],
             "best_image_match": ["similarity"], "patch_forward": ["detect"]}
    for name, used in inner.items():
        mine = tool_availability(registry[name].requires, registry[name].models, probe=False, manager=manager)
        theirs = [tool_availability(registry[u].requires, registry[u].models, probe=False, manager=manager) for u in used]
        assert {m.key for m in registry[name].models} == {m.key for u in used for m in registry[u].models}, name
        assert mine.state == max((t.state for t in theirs), key=_RANK.__getitem__), name
