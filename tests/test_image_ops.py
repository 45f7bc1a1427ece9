import pytest
from visprog_tools import image_ops

from visprog import Box, Detections, load_image, run_program
from visprog.toolkit.context import RunContext, reset_context, set_context


@pytest.fixture
def image(small_image):
    return load_image(small_image)


def test_crop_uses_visprog_margin_and_first_box(image):
    boxes = Detections([Box(40, 20, 60, 40), Box(0, 0, 10, 10)])
    out = image_ops.crop.func(image=image, box=boxes, margin=1.5)
    assert out.offset == (35, 15) and out.size == (30, 30)
    assert image_ops.crop.func(image=image, box=Detections([]), margin=1.5) is image


def test_boxes_found_in_a_crop_map_back_to_the_root(image):
    part = image.crop(Box(60, 10, 120, 70))
    inner = image_ops.crop.func(image=part, box=Box(70, 20, 80, 30), margin=1.0)
    assert inner.offset == (70, 20)
    # the pixels are those of the root image at the same place
    assert inner.pil.getpixel((0, 0)) == image.pil.getpixel((70, 20))
    half = image_ops.image_half.func(image=part, side="LEFT")[0]
    assert half.as_tuple() == (60, 10, 90, 70)


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        (image_ops.crop_left_of, (0, 0, 50, 80)),
        (image_ops.crop_right_of, (50, 0, 120, 80)),
        (image_ops.crop_above, (0, 0, 120, 30)),
        (image_ops.crop_below, (0, 30, 120, 80)),
    ],
)
def test_relative_crops(image, tool, expected):
    out = tool.func(image=image, box=Detections([Box(40, 20, 60, 40)]))
    assert out.root_box.as_tuple() == expected


@pytest.mark.parametrize(
    ("tool", "half"),
    [(image_ops.crop_left_of, "LEFT"), (image_ops.crop_right_of, "RIGHT"), (image_ops.crop_above, "TOP"), (image_ops.crop_below, "BOTTOM")],
)
def test_relative_crops_without_boxes_give_halves(image, tool, half):
    out = tool.func(image=image, box=Detections([]))
    assert out.root_box.as_tuple() == image_ops.half_box(image, half).as_tuple()


def test_front_and_behind_are_context_crops_as_in_visprog(image):
    box = Detections([Box(40, 20, 60, 40)])
    expected = image_ops.crop.func(image=image, box=box, margin=1.5).root_box
    assert image_ops.crop_in_front_of.func(image=image, box=box).root_box == expected
    assert image_ops.crop_behind.func(image=image, box=box).root_box == expected


def test_count_and_tag(image):
    assert image_ops.count.func(boxes=Detections([Box(0, 0, 1, 1)] * 3)) == 3
    tagged = image_ops.tag.func(image=image, objects=Detections([Box(10, 10, 50, 50, "thing", 0.9)]))
    assert tagged.size == image.size and tagged.pil.tobytes() != image.pil.tobytes()


def test_crop_respects_image_budget(image):
    from visprog import Limits
    from visprog.errors import ToolError

    token = set_context(RunContext(limits=Limits(max_image_pixels=10)))
    try:
        with pytest.raises(ToolError, match="max_image_pixels"):
            image_ops.crop.func(image=image, box=Box(0, 0, 50, 50), margin=1.0)
    finally:
        reset_context(token)


def test_loc_special_queries_need_no_model(small_image):
    program = "\n".join(
        f"B{i}=LOC(image=IMAGE,object='{side}')" for i, side in enumerate(["TOP", "BOTTOM", "LEFT", "RIGHT"])
    ) + "\nFINAL=RESULT(var=[B0, B1, B2, B3])"
    result = run_program(program, small_image)
    assert result.error is None
    assert [d[0].as_tuple() for d in result.result] == [(0, 0, 120, 40), (0, 40, 120, 80), (0, 0, 60, 80), (60, 0, 120, 80)]


def test_crop_with_a_tiny_margin_cuts_the_pixels_under_a_box_inside_the_image():
    """The left half of a 512x512 image, scaled by margin 0.001, is under a pixel wide:
    it is cut as the pixels it touches, and the trace says so; it is not refused as
    'does not overlap the image'."""
    import numpy as np

    program = "H=image_half(image=IMAGE,side='LEFT')\nC=CROP(image=IMAGE,box=H,margin=0.001)\nFINAL=RESULT(var=C)"
    result = run_program(program, np.zeros((512, 512, 3), dtype=np.uint8))
    assert result.error is None, result.error
    assert result.result.offset == (127, 255) and result.result.size == (2, 2)
    notes = [n for step in result.trace.steps for call in step.calls for n in call.notes]
    assert notes == ["CROP: the box scaled by margin 0.001 is under a pixel wide or high; cut the pixels it touches, 2x2"]


def test_crop_of_a_box_outside_the_image_says_so(image):
    from visprog import ToolError

    with pytest.raises(ToolError, match=r"the box \(500, 500, 600, 600\) lies outside the image \(0, 0, 120, 80\)"):
        image_ops.crop.func(image=image, box=Box(500, 500, 600, 600), margin=1.5)
