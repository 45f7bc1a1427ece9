"""Pictures with known contents, built from a one-line spec: what the program library's
checks run on (see :mod:`visprog.planner.library`).

Built from what ships with visprog (the packaged astronaut photo, PIL's bundled font),
so that a check runs on any machine. A spec is ``KIND:ARGS``; several parts joined by
`` + `` are drawn side by side, left to right (each part one equal-width panel):

* ``faces:N``: N copies of the astronaut's head and shoulders (one face each) in a row.
* ``blank``: a colourful gradient (no face, no text).
* ``text:WORDS``: a light sign with ``WORDS`` in dark letters.
* ``faces+text:N:WORDS``: N heads above a sign reading ``WORDS``.
* ``menu:NAME PRICE;NAME PRICE;...``: a price list, one row per item, the name at the
  left edge and the price at the right (OCR reads them as separate boxes on one row).
* ``tag:NAME:PRICE``: a price tag, the name above the price (two rows).
* ``lines:NAME PRICE;...``: a price list whose rows are written as one line each
  ("APPLE $1.20": OCR reads name and price as one box).

Examples: ``faces:2 + blank`` (two faces in the left half, none in the right),
``text:EXIT + text:PUSH``, ``text:$4.99``. For a vertical split, ``A / B`` stacks two
panels (``faces:1 / blank``: a face in the top half).
"""

from __future__ import annotations

import functools
import importlib.resources

import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont

from visprog.errors import InputError

__all__ = ["picture", "picture_faces"]

#: The face in :func:`_head`'s crop (x1, y1, x2, y2), pixels.
_FACE_IN_HEAD = (32.0, 44.0, 107.0, 135.0)

#: Panel size in pixels (width, height).
PANEL = (400, 300)
_GREY = (128, 132, 136)


@functools.cache
def _head() -> PIL.Image.Image:
    """The packaged astronaut photo's head and shoulders (about 140x190 px, one face)."""
    with importlib.resources.files("visprog_prompts").joinpath("images", "astronaut.jpg").open("rb") as handle:
        photo = PIL.Image.open(handle).convert("RGB")
    return photo.crop((97, 0, 240, 190))


def _background(size: tuple[int, int]) -> PIL.Image.Image:
    """A smooth teal-to-ochre gradient: colourful (a colour pop greys it), no face, no text."""
    width, height = size
    ramp = PIL.Image.linear_gradient("L").resize(size)
    return PIL.Image.merge("RGB", (ramp, PIL.Image.new("L", size, 150), ramp.transpose(PIL.Image.Transpose.FLIP_LEFT_RIGHT)))


def _face_places(count: int, size: tuple[int, int]) -> tuple[float, list[tuple[int, int]]]:
    head = _head()
    slot = size[0] // max(count, 1)
    scale = min(1.0, (slot - 8) / head.width, (size[1] - 8) / head.height)
    shown = (max(1, round(head.width * scale)), max(1, round(head.height * scale)))
    return scale, [(k * slot + (slot - shown[0]) // 2, (size[1] - shown[1]) // 2) for k in range(count)]


def _faces(count: int, size: tuple[int, int]) -> PIL.Image.Image:
    panel = _background(size)
    if count <= 0:
        return panel
    head = _head()
    scale, places = _face_places(count, size)
    shown = head.resize((max(1, round(head.width * scale)), max(1, round(head.height * scale))), PIL.Image.Resampling.LANCZOS)
    for place in places:
        panel.paste(shown, place)
    return panel


def _text(words: str, size: tuple[int, int]) -> PIL.Image.Image:
    words = "   ".join(words.split())  # wide gaps: OCR keeps the words apart
    panel = PIL.Image.new("RGB", size, (246, 244, 236))
    draw = PIL.ImageDraw.Draw(panel)
    font_size = 64
    while font_size > 16:
        font = PIL.ImageFont.load_default(size=font_size)
        x1, _, x2, _ = font.getbbox(words)
        if x2 - x1 <= size[0] - 40:
            break
        font_size -= 4
    draw.text((size[0] / 2, size[1] / 2), words, fill=(20, 20, 24), font=PIL.ImageFont.load_default(size=font_size), anchor="mm")
    return panel


def _font_for(texts: list[str], width: int, height: int) -> PIL.ImageFont.FreeTypeFont | PIL.ImageFont.ImageFont:
    """The largest bundled font (at most 48 px) in which each text fits ``width`` and
    the texts, one a row, fit ``height``."""
    size = 48
    while size > 14:
        font = PIL.ImageFont.load_default(size=size)
        if all(font.getbbox(t)[2] - font.getbbox(t)[0] <= width for t in texts) and size * 1.8 * len(texts) <= height:
            return font
        size -= 2
    return PIL.ImageFont.load_default(size=size)


def _menu(rows: list[tuple[str, str]], size: tuple[int, int]) -> PIL.Image.Image:
    panel = PIL.Image.new("RGB", size, (250, 248, 240))
    draw = PIL.ImageDraw.Draw(panel)
    font = _font_for([f"{n}      {p}" for n, p in rows], size[0] - 40, size[1] - 20)
    step = size[1] / len(rows)
    for k, (name, price) in enumerate(rows):
        y = step * (k + 0.5)
        draw.text((20, y), name, fill=(20, 20, 24), font=font, anchor="lm")
        draw.text((size[0] - 20, y), price, fill=(20, 20, 24), font=font, anchor="rm")
    return panel


def _lines(rows: list[str], size: tuple[int, int]) -> PIL.Image.Image:
    panel = PIL.Image.new("RGB", size, (250, 248, 240))
    draw = PIL.ImageDraw.Draw(panel)
    font = _font_for(rows, size[0] - 40, size[1] - 20)
    step = size[1] / len(rows)
    for k, row in enumerate(rows):
        draw.text((20, step * (k + 0.5)), row, fill=(20, 20, 24), font=font, anchor="lm")
    return panel


def _tag(name: str, price: str, size: tuple[int, int]) -> PIL.Image.Image:
    panel = PIL.Image.new("RGB", size, (246, 244, 236))
    draw = PIL.ImageDraw.Draw(panel)
    font = _font_for([name, price], size[0] - 60, size[1] - 60)
    draw.text((size[0] / 2, size[1] * 0.33), name, fill=(20, 20, 24), font=font, anchor="mm")
    draw.text((size[0] / 2, size[1] * 0.67), price, fill=(150, 20, 20), font=font, anchor="mm")
    return panel


def _panel(spec: str, size: tuple[int, int]) -> PIL.Image.Image:
    kind, _, args = spec.strip().partition(":")
    try:
        if kind == "blank":
            return _background(size)
        if kind == "faces":
            return _faces(int(args), size)
        if kind == "text":
            return _text(args, size)
        if kind == "faces+text":
            count, _, words = args.partition(":")
            panel = _background(size)
            top = (size[0], size[1] * 2 // 3)
            panel.paste(_faces(int(count), top), (0, 0))
            panel.paste(_text(words, (size[0], size[1] - top[1])), (0, top[1]))
            return panel
        if kind == "menu":
            parts = [row.strip().rpartition(" ") for row in args.split(";") if row.strip()]
            if parts and all(name.strip() and price for name, _, price in parts):
                return _menu([(name.strip(), price) for name, _, price in parts], size)
        if kind == "lines":
            lines = [row.strip() for row in args.split(";") if row.strip()]
            if lines:
                return _lines(lines, size)
        if kind == "tag":
            name, _, price = args.partition(":")
            if name.strip() and price.strip():
                return _tag(name.strip(), price.strip(), size)
    except ValueError:
        pass
    raise InputError(f"picture spec {spec!r}: use faces:N, blank, text:WORDS, faces+text:N:WORDS, menu:NAME PRICE;..., lines:NAME PRICE;... or tag:NAME:PRICE")


@functools.cache
def picture(spec: str) -> PIL.Image.Image:
    """The picture ``spec`` describes (see the module docstring); built once per spec.
    ``file:PATH`` reads a picture file instead (a path relative to the working folder:
    the repository's ``demos/images`` in its tests).

    Raises:
        InputError: the spec is not in the form described, or the file cannot be read.
    """
    if spec.startswith("file:"):
        try:
            with PIL.Image.open(spec.removeprefix("file:")) as opened:
                return opened.convert("RGB")
        except OSError as exc:
            raise InputError(f"picture {spec!r}: {exc}") from None
    return _built(spec)


def _built(spec: str) -> PIL.Image.Image:
    if " / " in spec:
        parts = spec.split(" / ")
        panels = [_panel(p, PANEL) for p in parts]
        canvas = PIL.Image.new("RGB", (PANEL[0], PANEL[1] * len(panels)), _GREY)
        for k, panel in enumerate(panels):
            canvas.paste(panel, (0, k * PANEL[1]))
        return canvas
    parts = spec.split(" + ")
    panels = [_panel(p, PANEL) for p in parts]
    canvas = PIL.Image.new("RGB", (PANEL[0] * len(panels), PANEL[1]), _GREY)
    for k, panel in enumerate(panels):
        canvas.paste(panel, (k * PANEL[0], 0))
    return canvas


def _panel_faces(spec: str, size: tuple[int, int]) -> list[tuple[float, float, float, float]]:
    kind, _, args = spec.strip().partition(":")
    if kind == "faces":
        count, area = int(args), size
    elif kind == "faces+text":
        count, area = int(args.partition(":")[0]), (size[0], size[1] * 2 // 3)
    else:
        return []
    scale, places = _face_places(count, area)
    x1, y1, x2, y2 = _FACE_IN_HEAD
    return [(x + x1 * scale, y + y1 * scale, x + x2 * scale, y + y2 * scale) for x, y in places]


def picture_faces(spec: str) -> list[tuple[float, float, float, float]]:
    """The face boxes of :func:`picture` ``(spec)``: (x1, y1, x2, y2) pixels, left to
    right and top to bottom, known by construction."""
    if spec.startswith("file:"):
        return []
    vertical = " / " in spec
    out = []
    for k, part in enumerate(spec.split(" / " if vertical else " + ")):
        dx, dy = (0, k * PANEL[1]) if vertical else (k * PANEL[0], 0)
        out += [(a + dx, b + dy, c + dx, d + dy) for a, b, c, d in _panel_faces(part, PANEL)]
    return out
