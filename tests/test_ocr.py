"""read_text with the real RapidOCR weights on rendered pictures: lines in reading
order, words with their spaces."""

from __future__ import annotations

import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont
import pytest

from visprog import Box, load_image


def _picture(lines: list[tuple[str, int, int]], size: tuple[int, int] = (640, 260)) -> PIL.Image.Image:
    """White picture with each (text, font size, top y) drawn in black at x 30."""
    image = PIL.Image.new("RGB", size, "white")
    draw = PIL.ImageDraw.Draw(image)
    for text, font_size, top in lines:
        draw.text((30, top), text, fill="black", font=PIL.ImageFont.load_default(size=font_size))
    return image


def test_reading_order_puts_a_small_line_above_a_big_one_first():
    from visprog_tools.vision.ocr import reading_order

    sale = Box(30, 20, 130, 50, label="SALE")  # small, on top
    price = Box(30, 70, 330, 200, label="$4.99")  # big, below
    left, right = Box(400, 75, 500, 110, label="only"), Box(520, 80, 600, 112, label="today")
    order = reading_order([right, price, left, sale])
    assert [b.label for b in order] == ["SALE", "$4.99", "only", "today"]


def test_small_text_keeps_the_spaces_between_its_words():
    pytest.importorskip("rapidocr_onnxruntime")
    from visprog_tools.vision.ocr import read_text

    # At this size PP-OCR alone reads "OPEN24HOURS" (or "OPEN 24HOURS").
    lines = read_text.func(image=load_image(_picture([("OPEN 24 HOURS", 24, 40)], (900, 200))), min_score=0.5)
    assert lines.labels == ["OPEN 24 HOURS"]


def test_lines_come_back_in_reading_order():
    pytest.importorskip("rapidocr_onnxruntime")
    from visprog_tools.vision.ocr import read_text

    lines = read_text.func(image=load_image(_picture([("SALE", 36, 20), ("$4.99", 110, 80)])), min_score=0.5)
    assert lines.labels == ["SALE", "$4.99"]
