"""Tools whose real weights ship inside registry packages, run for real, on real photos."""

from __future__ import annotations

import numpy as np
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont
import pytest

from visprog import Box, Detections, load_image, run_program


def test_faces_found_where_the_astronauts_face_is(astronaut):
    pytest.importorskip("cv2")
    from visprog_tools.vision.faces import detect_faces

    faces = detect_faces.func(image=load_image(astronaut), min_size=24)
    assert len(faces) >= 1
    face = faces[0]
    # Eileen Collins' face in skimage's astronaut (512x512): around x 170-290, y 60-190.
    assert 150 <= face.cx <= 300 and 50 <= face.cy <= 200, face
    assert 60 <= face.width <= 200


def test_no_faces_in_a_cup_of_coffee(coffee):
    pytest.importorskip("cv2")
    from visprog_tools.vision.faces import detect_faces

    assert len(detect_faces.func(image=load_image(coffee), min_size=24)) == 0


def test_faces_in_a_crop_come_back_in_root_coordinates(astronaut):
    pytest.importorskip("cv2")
    from visprog_tools.vision.faces import detect_faces

    root = load_image(astronaut)
    whole = detect_faces.func(image=root, min_size=24)[0]
    part = root.crop(Box(100, 0, 400, 300))
    inside = detect_faces.func(image=part, min_size=24)[0]
    assert inside.iou(whole) > 0.7


def _text_image(text: str) -> PIL.Image.Image:
    image = PIL.Image.new("RGB", (640, 160), "white")
    draw = PIL.ImageDraw.Draw(image)
    font = PIL.ImageFont.load_default(size=56)
    draw.text((30, 45), text, fill="black", font=font)
    return image


def test_ocr_reads_rendered_text():
    pytest.importorskip("rapidocr_onnxruntime")
    from visprog_tools.vision.ocr import read_text

    lines = read_text.func(image=load_image(_text_image("OPEN 24 HOURS")), min_score=0.5)
    text = " ".join(lines.labels).upper().replace(" ", "")
    assert "OPEN24HOURS" in text
    assert all(0 <= b.x1 < b.x2 <= 640 and 0 <= b.y1 < b.y2 <= 160 for b in lines)


def test_ocr_program_in_python_form(tmp_path):
    pytest.importorskip("rapidocr_onnxruntime")
    program = "lines = read_text(IMAGE)\nwords = ' '.join(lines.labels)\nresult(words.lower())"
    result = run_program(program, _text_image("EXIT 12"))
    assert result.error is None and result.result.replace(" ", "") == "exit12"


def test_end_to_end_emoji_editing_on_a_real_photo(astronaut, artifacts):
    pytest.importorskip("cv2")
    program = "OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0,emoji='smiley')\nFINAL=RESULT(var=IMAGE0)"
    result = run_program(program, astronaut)
    assert result.error is None, result.error
    [faces_step, emoji_step, _] = result.trace.steps
    face = faces_step.output[0]
    before = np.asarray(astronaut)
    after = result.result.to_array()
    y, x = int(face.cy), int(face.cx)
    assert not np.array_equal(before[y - 5 : y + 5, x - 5 : x + 5], after[y - 5 : y + 5, x - 5 : x + 5])
    assert np.array_equal(before[400:, :100], after[400:, :100])  # far from the face: untouched
    result.result.pil.save(artifacts / "emoji_astronaut.png")
    page = result.trace.to_html(title="Hide the face with a smiley")
    (artifacts / "trace_emoji.html").write_text(page, encoding="utf-8")
    assert page.count('class="step"') == 3


def test_color_pop_and_background_blur_keep_the_object(small_image):
    from visprog_tools.editing import bg_blur, color_pop

    image = load_image(small_image)
    objects = Detections([Box(10, 10, 50, 70)])
    popped = color_pop.func(image=image, objects=objects).to_array()
    original = image.to_array()
    assert np.array_equal(popped[20:60, 15:45], original[20:60, 15:45])
    outside = popped[5, 100]
    assert outside[0] == outside[1] == outside[2]  # gray
    blurred = bg_blur.func(image=image, objects=objects, radius=8.0).to_array()
    assert np.array_equal(blurred[30:50, 20:40], original[30:50, 20:40])
    assert not np.array_equal(blurred[:, 55:65], original[:, 55:65])  # the red/blue edge is blurred


def test_emoji_names_and_errors(small_image):
    from visprog_tools.editing import emoji_picture

    from visprog.errors import ToolError

    assert emoji_picture("smiley").size == (72, 72)
    assert emoji_picture("😀").mode == "RGBA"
    with pytest.raises(ToolError, match="unknown emoji"):
        emoji_picture("definitely_not_an_emoji_name")
