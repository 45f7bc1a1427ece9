"""The scene's fake tools: the real tools' signatures, crops answered in root pixels,
answers from the scene only (never guessed), and usable through visprog's sandbox."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.messages import HumanMessage
from visprog_tools.registry import build_registry
from visprog_tools.vision.depth import DepthMap
from visprog_tools.vision.depth import depth as real_depth

from tests.viper.corpus import KITCHEN, PARK, STREET
from tests.viper.scene import Scene, Thing, viper_box, visprog_box
from tests.viper.scene_tools import (
    render,
    scene_chat_model,
    scene_registry,
    scene_tools,
)
from visprog import (
    Box,
    Detections,
    RunContext,
    Tool,
    ToolError,
    default_registry,
    run_program,
)


def _signature(t: Tool) -> tuple[str, list[tuple[str, str, object]], str]:
    return (t.name, [(p.name, p.type_name, p.default) for p in t.params], t.returns)


def test_fakes_have_the_real_tools_signatures() -> None:
    real = build_registry()
    fakes = scene_tools(KITCHEN)
    assert sorted(f.name for f in fakes) == ["caption", "classify", "classify_image", "depth", "detect", "select", "similarity", "vqa"]
    for fake in fakes:
        original = real_depth if fake.name == "depth" else real[fake.name]
        assert _signature(fake) == _signature(original)
        assert (fake.description, fake.returns_doc, fake.family) == (original.description, original.returns_doc, original.family)
        assert fake.func is not original.func and not fake.requires  # answers from the scene, needs no model


def test_y_axis_mapping_round_trips() -> None:
    # a box touching the bottom edge has lower == 0; the top edge has upper == H
    assert viper_box((100, 180, 170, 480), 480) == (100, 0, 170, 300)
    assert viper_box((0, 0, 640, 480), 480) == (0, 0, 640, 480)
    for box in [(100, 180, 170, 260), (0, 0, 1, 1), (5, 470, 9, 480)]:
        assert visprog_box(*viper_box(box, 480), 480) == box


def test_render_draws_each_thing_in_its_colour_nearest_on_top() -> None:
    image = render(PARK)
    assert image.size == (640, 480) and image.is_root
    pixels = image.to_array()
    assert tuple(pixels[275, 290]) == (0, 0, 255)  # the man (blue, depth 6) in front of the bench (depth 6.5)
    assert tuple(pixels[410, 300]) == (165, 42, 42)  # the bench below him (brown)
    assert tuple(pixels[60, 460]) == (255, 165, 0)  # the kite


def test_detect_finds_scene_objects_in_root_pixels_best_first() -> None:
    tools = scene_registry(KITCHEN)
    image = render(KITCHEN)
    cups = tools["detect"](image=image, query="cup")
    assert [b.as_tuple() for b in cups] == [(420, 190, 480, 260), (260, 200, 320, 260), (100, 180, 170, 260)]
    assert [b.score for b in cups] == [0.95, 0.9, 0.85] and cups.labels == ["cup"] * 3
    assert [b.as_tuple() for b in tools["detect"](image=image, query="red cup")] == [(100, 180, 170, 260)]
    assert len(tools["detect"](image=image, query="green cup")) == 0
    assert len(tools["detect"](image=image, query="cup", threshold=0.92)) == 1
    assert tools["detect"](image=image, query=["light", "bottle"]).labels == ["bottle", "light"]
    assert tools["detect"](image=image, query="TOP")[0].as_tuple() == (0, 0, 640, 240)


def test_detect_in_a_crop_keeps_objects_at_least_half_inside_clipped() -> None:
    tools = scene_registry(KITCHEN)
    part = render(KITCHEN).crop(Box(0, 0, 300, 480))  # the white cup (260..320) is 2/3 inside
    cups = tools["detect"](image=part, query="cup")
    assert [b.as_tuple() for b in cups] == [(260, 200, 300, 260), (100, 180, 170, 260)]
    narrow = render(KITCHEN).crop(Box(0, 0, 280, 480))  # 1/3 of the white cup: not found
    assert [b.as_tuple() for b in tools["detect"](image=narrow, query="cup")] == [(100, 180, 170, 260)]


def test_vqa_answers_about_the_object_a_crop_shows() -> None:
    tools = scene_registry(KITCHEN)
    image = render(KITCHEN)
    red = image.crop(Box(100, 180, 170, 260))
    padded = image.crop(Box(90, 170, 180, 270))  # ViperGPT's 10 px margin
    assert tools["vqa"](image=red, question="What is in the cup?") == "coffee"
    assert tools["vqa"](image=padded, question="what is in the cup") == "coffee"
    assert tools["vqa"](image=red, question="What is this?") == "cup"
    assert tools["vqa"](image=red, question="Is this a cup?") == "yes"
    assert tools["vqa"](image=red, question="Is this a red cup?") == "yes"
    assert tools["vqa"](image=red, question="Is the cup ceramic?") == "yes"
    assert tools["vqa"](image=red, question="Is the cup blue?") == "no"
    assert tools["vqa"](image=red, question="What color is the cup?") == "red"
    bottle = image.crop(Box(520, 100, 570, 260))
    assert tools["vqa"](image=bottle, question="What is written on the bottle?") == "OLIVE OIL"
    assert tools["vqa"](image=[red, bottle], question=["What is this?", "What is this?"]) == ["cup", "bottle"]
    assert tools["vqa"](image=image, question="What room is this?") == "kitchen"


@pytest.mark.parametrize(
    ("box", "question", "message"),
    [
        ((100, 180, 170, 260), "How old is the cup?", r"no answer to 'How old is the cup\?' about cup_red \(cup\)"),
        ((0, 0, 640, 480), "What is this?", "about the whole picture"),
        ((0, 0, 600, 100), "What is in the cup?", "about the whole picture"),  # a region showing no single object
    ],
)
def test_vqa_never_guesses(box: tuple[int, int, int, int], question: str, message: str) -> None:
    tools = scene_registry(KITCHEN)
    with pytest.raises(ToolError, match=message):
        tools["vqa"](image=render(KITCHEN).crop(Box(*box)), question=question)


def test_clip_like_tools_score_words_and_refuse_ties() -> None:
    tools = scene_registry(KITCHEN)
    image = render(KITCHEN)
    cups = tools["detect"](image=image, query="cup")
    bottle = image.crop(Box(520, 100, 570, 260))
    assert tools["classify_image"](image=bottle, categories=["glass", "plastic"]) == "glass"
    assert tools["classify_image"](image=image, categories=["outdoors", "indoors"]) == "indoors"
    assert tools["classify"](image=image, categories=["white cup"], objects=cups)[0].as_tuple() == (260, 200, 320, 260)
    labelled = tools["classify"](image=image, categories=["blue cup", "red cup"], objects=Detections([cups[0], cups[2]]))
    assert sorted((b.label, b.as_tuple()) for b in labelled) == [
        ("blue cup", (420, 190, 480, 260)), ("red cup", (100, 180, 170, 260))
    ]
    assert tools["select"](image=image, objects=cups, query="red cup")[0].as_tuple() == (100, 180, 170, 260)
    with pytest.raises(ToolError, match="cannot decide"):
        tools["classify_image"](image=bottle, categories=["plastic", "metal"])
    with pytest.raises(ToolError, match="cannot decide"):
        tools["classify"](image=image, categories=["cup"], objects=cups)


def test_depth_map_paints_nearer_objects_over_farther_ones() -> None:
    tools = scene_registry(PARK)
    image = render(PARK)
    whole = tools["depth"].func(image=image)  # .func: DepthMap is not a program value yet
    assert isinstance(whole, DepthMap) and whole.shape == (480, 640) and whole.box.as_tuple() == (0, 0, 640, 480)
    assert whole.median(Box(250, 150, 330, 400)) == 6.0  # the man, in front of the bench
    assert whole.median(Box(340, 380, 380, 420)) == 6.5  # bench beside him
    assert whole.median(Box(0, 0, 40, 40)) == PARK.background_depth
    part = tools["depth"].func(image=image.crop(Box(200, 100, 400, 450)))
    assert part.box.as_tuple() == (200, 100, 400, 450)
    np.testing.assert_array_equal(part.array, whole.array[100:450, 200:400])


def test_caption_and_chat_model() -> None:
    tools = scene_registry(STREET)
    image = render(STREET)
    assert tools["caption"](image=image.crop(Box(330, 380, 390, 440))) == "a brown dog"
    assert tools["caption"](image=image).startswith("a picture of bird, car")
    chat = scene_chat_model(STREET)
    prompt = "Question: What was this kind of dog bred to hunt?\nGuess 1: hares\nGuess 2: rabbits"
    assert chat.invoke([HumanMessage(content=prompt)]).content == "hares"
    with pytest.raises(ValueError, match="has no reply"):
        chat.invoke([HumanMessage(content="What is the capital of France?")])
    assert scene_chat_model(STREET).model_name != scene_chat_model(PARK).model_name


def test_tools_refuse_images_of_another_scene() -> None:
    with pytest.raises(ToolError, match="not from scene 'kitchen'"):
        scene_registry(KITCHEN)["detect"](image=render(Scene("tiny", (64, 48), (Thing("x", "x", (0, 0, 8, 8)),))), query="x")


def test_fakes_run_in_visprog_programs_with_the_real_image_tools() -> None:
    registry = scene_registry(KITCHEN, default_registry())
    image = render(KITCHEN)
    steps = "BOX0=LOC(image=IMAGE,object='cup')\nN0=COUNT(box=BOX0)\nFINAL=RESULT(var=N0)"
    assert run_program(steps, image, registry=registry).result == 3
    program = (
        "def execute_command(image):\n"
        "    cups = detect(image, 'cup')\n"
        "    first = crop(image, cups[0], 1.0)\n"
        "    return vqa(first, 'What is in the cup?')\n"
    )
    run = run_program(program, image, registry=registry, context=RunContext(chat_model=scene_chat_model(KITCHEN)))
    assert run.error is None and run.result == "tea"
    assert [c.tool for s in run.trace.steps for c in s.calls] == ["detect", "crop", "vqa"]
    # the hand translation of "is the lamp above the bottle?" in visprog's y-down pixels
    above = (
        "def execute_command(image):\n"
        "    lamp = detect(image, 'lamp')[0]\n"
        "    bottle = detect(image, 'bottle')[0]\n"
        "    return 'yes' if lamp.cy < bottle.cy else 'no'\n"
    )
    assert run_program(above, image, registry=registry).result == "yes"
    assert isinstance(run_program("result(detect(IMAGE, 'cup'))", image, registry=registry).result, Detections)
