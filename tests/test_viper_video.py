"""ViperGPT's VideoSegment (optional in issue 11): a video reaches a program as a list of
frames (``load_video`` reads a file with OpenCV); frames come out as ImagePatches; trim,
frame_from_index and select_answer (through the run's chat model) as ViperGPT documents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from visprog_tools.viper import SELECT_ANSWER_PROMPT, load_video

from tests.viper.scene_tools import prompts, table_chat_model
from visprog import Box, Detections, Image, InputError, Registry, RunContext, ToolError, default_registry, run_program, tool
from visprog.testing import FunctionChatModel
from visprog.values.patch import ImagePatch, VideoSegment

RED = (220, 30, 30)


def frame(ball_at: int | None) -> Image:
    """A 160x120 grey frame with a red 20x20 ball at x = ball_at (or none)."""
    pixels = np.full((120, 160, 3), 200, dtype=np.uint8)
    if ball_at is not None:
        pixels[50:70, ball_at : ball_at + 20] = RED
    return Image(PIL.Image.fromarray(pixels))


VIDEO = [frame(None), frame(None), frame(10), frame(60), frame(110), frame(None)]


@tool(name="detect")
def red_detect(image: Image, query: str | list[str], threshold: float = 0.1, nms_iou: float = 0.5) -> Detections:
    """Finds the red ball (any query) by its colour, in root pixels.

    Args:
        image: a frame or a crop of one.
        query: what to find (only "ball" is known).
        threshold: unused.
        nms_iou: unused.

    Returns:
        The ball's box, or nothing.
    """
    if query != "ball":
        return Detections([])
    pixels = np.asarray(image.pil)
    ys, xs = np.nonzero((pixels[..., 0] > 180) & (pixels[..., 1] < 80))
    if len(xs) == 0:
        return Detections([])
    x, y = image.offset
    return Detections([Box(x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1, label="ball", score=0.9)])


@tool(name="vqa")
def red_vqa(image: Image | list[Image], question: str | list[str]) -> str | list[str]:
    """Says "yes" to "Is this a ball?" about a mostly red image (what exists asks).

    Args:
        image: an image or a list of images.
        question: the question, "Is this a ball?".

    Returns:
        "yes" or "no" per image.
    """
    images = image if isinstance(image, list) else [image]
    if question != "Is this a ball?":
        raise ToolError(f"red_vqa knows only 'Is this a ball?', not {question!r}")
    out = ["yes" if (np.asarray(im.pil)[..., 0] > 180).mean() > 0.5 else "no" for im in images]
    return out if isinstance(image, list) else out[0]


REGISTRY = default_registry().merged(Registry([red_detect, red_vqa]), override=True)


def run(source: str, chat: FunctionChatModel | None = None, **inputs: object):  # type: ignore[no-untyped-def]
    context = RunContext(chat_model=chat or table_chat_model({}, "none"))
    return run_program(source, inputs={"video": VIDEO, **inputs}, registry=REGISTRY, context=context)


def test_frames_come_out_as_patches_in_order() -> None:
    source = """
def execute_command(video):
    video_segment = VideoSegment(video)
    for i, frame in enumerate(video_segment.frame_iterator()):
        if frame.exists("ball"):
            ball = frame.find("ball")[0]
            return [i, ball.left, ball.lower, video_segment.num_frames]
    return None
"""
    result = run(source)
    assert result.error is None, result.error
    assert result.result == [2, 10, 50, 6]  # rows 50..69 of 120: lower = 120 - 70 = 50


def test_trim_and_frame_from_index_follow_viperGPT() -> None:
    source = """
def execute_command(video):
    video_segment = VideoSegment(video)
    second_half = video_segment.trim(video_segment.num_frames // 2, video_segment.num_frames)
    clamped = video_segment.trim(-5, 100)
    inner = second_half.trim(1)
    last = video_segment.frame_from_index(-1)
    return [second_half.start, second_half.end, second_half.num_frames, clamped.num_frames, inner.start,
            inner.frame_from_index(0).exists("ball"), last.exists("ball"), VideoSegment(video, 2, 4).num_frames]
"""
    result = run(source)
    assert result.error is None, result.error
    assert result.result == [3, 6, 3, 6, 4, True, False, 2]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("video_segment.frame_from_index(6)", "the segment has 6 frames"),
        ("video_segment.frame_from_index('0')", "index must be an int"),
        ("video_segment.trim(1.5)", "start must be an int or None"),
        ("VideoSegment(video, 4, 2)", "frames 4..2 are not within the video's 6 frames"),
    ],
)
def test_bad_indices_are_one_line(call: str, message: str) -> None:
    result = run(f"def execute_command(video):\n    video_segment = VideoSegment(video)\n    return {call}\n")
    assert result.error is not None and message in result.error.message and result.error.line == 3


def test_select_answer_asks_the_chat_model_with_the_facts() -> None:
    chat = table_chat_model({"Where does the ball go?": "to the right."}, "video-facts")
    source = """
def execute_command(video, possible_answers, query):
    video_segment = VideoSegment(video)
    lefts = [f.find("ball")[0].left for f in video_segment.frame_iterator() if f.exists("ball")]
    info = {"Ball's left edge in each frame": lefts}
    return video_segment.select_answer(info, query, possible_answers)
"""
    result = run(source, chat, possible_answers=["to the left", "to the right", "nowhere"], query="Where does the ball go?")
    assert result.error is None, result.error
    assert result.result == "to the right"
    facts = "- Ball's left edge in each frame: [10, 60, 110]"
    expected = (SELECT_ANSWER_PROMPT.replace("{facts}", facts).replace("{question}", "Where does the ball go?")
                .replace("{options}", "to the left; to the right; nowhere"))
    assert prompts(chat) == [expected]
    vague = table_chat_model({"Where does the ball go?": "it bounces"}, "video-vague")
    unsure = run(source, vague, possible_answers=["to the left", "to the right"], query="Where does the ball go?")
    assert unsure.error is None and unsure.result == "it bounces"
    assert any("names none of the options" in n for s in unsure.trace.steps for c in s.calls for n in c.notes)


def test_segments_are_values_with_a_codec() -> None:
    from visprog.values.codec import decode_value, encode_value

    segment = VideoSegment(VIDEO, 2, 5)
    again = decode_value(encode_value(segment))
    assert isinstance(again, VideoSegment) and (again.start, again.end, again.num_frames) == (2, 5, 3)
    assert [np.asarray(p.cropped_image.pil).tolist() == np.asarray(f.pil).tolist()
            for p, f in zip(again.frame_iterator(), VIDEO[2:5])] == [True, True, True]
    assert isinstance(segment.frame_iterator()[0], ImagePatch)
    with pytest.raises(InputError, match="not within the video"):
        VideoSegment(VIDEO, 3, 9)


def test_load_video_reads_evenly_spaced_frames(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(12):
        pixels = np.full((120, 160, 3), 20 * i, dtype=np.uint8)
        writer.write(pixels)
    writer.release()
    frames = load_video(str(path), max_frames=4)
    assert len(frames) == 4 and all(f.size == (160, 120) and f.is_root for f in frames)
    levels = [int(np.asarray(f.pil).mean()) for f in frames]
    assert [round(level / 20) for level in levels] == [0, 4, 7, 11]  # frames 0, 4, 7, 11 (lossy: about 20 * i)
    with pytest.raises(InputError, match="cannot read"):
        load_video(str(tmp_path / "missing.avi"))
    with pytest.raises(InputError, match="exceed max_pixels"):
        load_video(str(path), max_frames=4, max_pixels=1000)
