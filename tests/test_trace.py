"""Traces: HTML (self-contained, summary card first, readable boxes, errors shown),
JSON (round trip, images stored once, bounded size), terminal rendering (escaped)."""

import base64
import io
import json
import time
from html.parser import HTMLParser

import numpy as np
import PIL.Image
import pytest

from visprog import Box, Detections, ErrorRecord, Image, Mask, Trace, run_program
from visprog.trace.records import StepRecord, ToolCall

PROGRAM = """BOX0=LOC(image=IMAGE,object='LEFT')
IMAGE0=CROP(image=IMAGE,box=BOX0)
N0=COUNT(box=BOX0)
IMAGE1=TAG(image=IMAGE,object=BOX0)
ANS0=EVAL(expr="'yes' if {N0} > 0 else 'no'")
FINAL=RESULT(var=IMAGE1)"""


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.steps: list[dict] = []
        self.order: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "div" and "step" in (attrs.get("class") or "").split() and "id" in attrs:
            self.steps.append(attrs)
        if attrs.get("id") in ("result",) or (tag == "div" and attrs.get("id", "").startswith("step-")):
            self.order.append(attrs["id"])


def _decode(src: str) -> PIL.Image.Image:
    head, payload = src.split(",", 1)
    assert head in ("data:image/png;base64", "data:image/jpeg;base64")
    image = PIL.Image.open(io.BytesIO(base64.b64decode(payload)))
    image.load()
    return image


def _photo(size: int = 512) -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(data.astronaut()).resize((size, size))


def _synthetic_trace(steps: int, image: Image) -> Trace:
    """A trace as the interpreter records it: each step a tool call on the image whose
    output is a new image (what an editing loop makes)."""
    records = []
    for i in range(steps):
        out = image.with_pixels(image.pil.point(lambda v, i=i: (v + i) % 256))
        call = ToolCall("brighten", "BRIGHTEN", {"image": image, "amount": i}, out, 0.001)
        records.append(StepRecord(i, i + 1, 1, i + 1, f"IMAGE{i}=BRIGHTEN(image=IMAGE,amount={i})", [call], [f"IMAGE{i}"], out, 0.001))
    return Trace(program="\n".join(s.source for s in records), steps=records, inputs={"IMAGE": image}, result=records[-1].output)


def test_html_is_self_contained_and_complete(small_image, artifacts):
    result = run_program(PROGRAM, small_image)
    assert result.error is None, result.error
    page = result.trace.to_html()
    (artifacts / "trace_visprog_form.html").write_text(page, encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    assert [s["data-line"] for s in parser.steps] == ["1", "2", "3", "4", "5", "6"]
    assert parser.images and all(_decode(src).size[0] > 0 for src in parser.images)
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_summary_card_comes_first_with_request_program_and_result(small_image):
    result = run_program(PROGRAM, small_image)
    result.trace.request = "Tag the left half"
    page = result.trace.to_html()
    parser = _Collector()
    parser.feed(page)
    assert parser.order[0] == "result" and parser.order[1] == "step-0"
    card = page[page.index('<section class="summary">') : page.index("</section>")]
    assert "Tag the left half" in card and "FINAL=RESULT(var=IMAGE1)" in card and 'id="result"' in card


def test_boxes_get_a_legend_with_labels_scores_and_coordinates():
    image = Image(PIL.Image.new("RGB", (200, 100), "white"))
    boxes = Detections([Box(10, 20, 60, 80, "mug", 0.875), Box(100, 5, 190, 95, "laptop", 0.5)])
    trace = Trace(
        program="B=LOC(image=IMAGE,object='mug')\nFINAL=RESULT(var=B)",
        steps=[StepRecord(0, 1, 1, 1, "B=LOC(image=IMAGE,object='mug')", [ToolCall("detect", "LOC", {"image": image, "query": "mug"}, boxes)], ["B"], boxes)],
        inputs={"IMAGE": image}, result=boxes,
    )
    page = trace.to_html()
    legend = page[page.index('<table class="legend">') :]
    legend = legend[: legend.index("</table>")]
    assert "mug" in legend and "0.88" in legend and "(10, 20, 60, 80)" in legend
    assert "laptop" in legend and "(100, 5, 190, 95)" in legend


def test_boxes_are_drawn_with_text_that_scales_with_the_image():
    from visprog.trace.render import draw_boxes

    small = draw_boxes(Image(PIL.Image.new("RGB", (200, 200), "white")), [Box(20, 60, 180, 180, "cat")])
    large = draw_boxes(Image(PIL.Image.new("RGB", (2000, 2000), "white")), [Box(200, 600, 1800, 1800, "cat")])

    def tag_height(pil: PIL.Image.Image, x: int) -> int:
        column = np.asarray(pil)[:, x]
        colored = np.nonzero((column != 255).any(axis=1))[0]
        return int(colored.max() - colored.min())

    # The label tag sits above the box; on the large image it is drawn ~10x larger, so
    # it keeps its size relative to the picture when shown as a thumbnail.
    assert tag_height(large, 205) > 5 * tag_height(small, 21)


def test_html_escapes_program_text(small_image):
    result = run_program("x = '<script>alert(1)</script>'\nresult(x)", small_image)
    page = result.trace.to_html()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_failed_run_shows_the_error_record_not_output_none(small_image):
    result = run_program("B=LOC(image=IMAGE, object='LEFT')\nC=CROP(image=IMAGE, box=B, margin=-1.0)\nFINAL=RESULT(var=C)", small_image)
    assert result.error is not None and result.error.line == 2
    page = result.trace.to_html()
    assert 'class="line failed" id="L2"' in page
    failed = page[page.index('id="step-1"') :]
    assert "<b>error</b>" in failed and "<b>output</b><code>None</code>" not in failed
    assert "margin" in failed and "CROP" in failed
    card = page[page.index('<section class="summary">') : page.index("</section>")]
    assert "Run failed" in card and 'href="#L2"' in card


def test_tool_notes_are_shown():
    call = ToolCall("classify", "CLASSIFY", {"categories": ["a"]}, "a", notes=["class descriptions from templates (no chat model)"])
    trace = Trace(program="x", steps=[StepRecord(0, 1, 1, 1, "x", [call], ["X"], "a")], result="a")
    assert "class descriptions from templates" in trace.to_html()
    again = Trace.from_json(trace.to_json())
    assert again.steps[0].calls[0].notes == ["class descriptions from templates (no chat model)"]


def test_json_round_trip(small_image):
    trace = run_program(PROGRAM, small_image).trace
    text = trace.to_json()
    again = Trace.from_json(text)
    assert again.to_json() == text
    assert json.loads(text)["format"] == "visprog-trace"
    assert again.steps[1].output.size == trace.steps[1].output.size
    assert again.steps[1].output.offset == trace.steps[1].output.offset
    assert again.steps[0].output[0].as_tuple() == trace.steps[0].output[0].as_tuple()
    assert again.result.pil.tobytes() == trace.result.pil.tobytes()  # small images are stored exactly


def test_json_stores_each_image_once(small_image):
    trace = run_program(PROGRAM, small_image).trace
    data = json.loads(trace.to_json())
    urls = [entry["url"] for entry in data["images"].values()]
    assert len(urls) == len(set(urls))
    # the input image is the 'image' argument of three calls and the input: one table entry
    refs = [c["arguments"]["image"]["ref"] for s in data["steps"] for c in s["calls"] if "image" in c["arguments"]]
    assert len(refs) >= 3 and len(set(refs)) == 1 and data["inputs"]["IMAGE"]["ref"] == refs[0]


def test_json_of_a_typical_run_stays_small_and_full_keeps_everything():
    photo = Image(_photo(512))
    trace = _synthetic_trace(3, photo)
    bounded = trace.to_json()
    full = trace.to_json(full=True)
    assert len(bounded) < 500_000
    assert len(full) > 2 * len(bounded)
    data = json.loads(bounded)
    assert data["encoding"]["downscaled"] == 4 and data["encoding"]["full"] is False
    again = Trace.from_json(bounded)
    assert again.result.size == (512, 512)  # scaled back to its recorded size: boxes still fit
    exact = Trace.from_json(full)
    assert exact.result.pil.tobytes() == trace.result.pil.tobytes()


def test_json_of_100_crops_is_bounded():
    photo = Image(_photo(512))
    crops = [photo.crop(Box(i, i, i + 300, i + 300)) for i in range(100)]
    call = ToolCall("crop", "CROP", {"image": photo}, crops)
    trace = Trace(program="x", steps=[StepRecord(0, 1, 1, 1, "x", [call], ["C"], crops)], inputs={"IMAGE": photo}, result=crops)
    text = trace.to_json()
    assert len(text) < 4_000_000
    data = json.loads(text)
    assert data["encoding"]["images"] == 101 and data["encoding"]["omitted"] > 0
    again = Trace.from_json(text)
    assert len(again.result) == 100 and all(c.size == (300, 300) for c in again.result)


def test_html_of_200_steps_is_bounded():
    trace = _synthetic_trace(200, Image(_photo(256)))
    page = trace.to_html()
    from visprog.trace.render import MAX_PICTURES

    assert page.count("<img ") <= MAX_PICTURES
    assert len(page) < 15_000_000
    assert "picture(s) not embedded" in page
    assert page.count('class="step"') == 200


def test_huge_integer_result_renders_and_round_trips():
    number = 7**24_000  # ~20,000 digits: more than Python converts to text
    trace = Trace(program="x = 7 ** 24000\nresult(x)", result=number, steps=[StepRecord(0, 2, 1, 2, "result(x)", [], [], number)])
    page = trace.to_html()
    assert "int of about 20,2" in page
    text = trace.to_json()
    assert Trace.from_json(text).result == number


def test_long_strings_and_containers_are_summarised_unless_full():
    big = "x" * 50_000
    many = list(range(5_000))
    trace = Trace(program="x", result={"text": big, "numbers": many})
    data = json.loads(trace.to_json())
    assert data["encoding"]["summarised"] == 2 and len(trace.to_json()) < 5_000
    again = Trace.from_json(trace.to_json())
    assert again.result["text"].startswith("<str of 50,000 characters")
    assert Trace.from_json(trace.to_json(full=True)).result == {"text": big, "numbers": many}


def test_json_round_trip_of_masks_and_errors():
    array = np.zeros((5, 7), dtype=bool)
    array[1:3, 2:6] = True
    mask = Mask(array, "thing", 0.5)
    trace = Trace(
        program="x",
        steps=[StepRecord(0, 1, 1, 1, "x", output=Detections([Box(2, 1, 6, 3, "thing", 0.5, mask)]), error=ErrorRecord("ToolError", "bad", 1, 1, "t", "a"))],
        result={"k": (1, 2.5, float("inf"))},
    )
    again = Trace.from_json(trace.to_json())
    assert np.array_equal(again.steps[0].output[0].mask.array, array)
    assert again.steps[0].error == trace.steps[0].error
    assert again.result == {"k": (1, 2.5, float("inf"))}


def test_version_1_traces_still_load():
    pixels = PIL.Image.new("RGB", (4, 3), (10, 20, 30))
    buffer = io.BytesIO()
    pixels.save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    old = {
        "format": "visprog-trace", "version": 1, "program": "x", "request": None,
        "inputs": {"IMAGE": {"type": "Image", "offset": [0, 0], "root_size": [4, 3], "png": url}},
        "result": 3, "error": None, "duration_s": 0.1, "attempts": [], "steps": [],
    }
    trace = Trace.from_json(json.dumps(old))
    assert trace.inputs["IMAGE"].pil.tobytes() == pixels.tobytes() and trace.result == 3


def test_rich_rendering(small_image):
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(run_program(PROGRAM, small_image).trace)
    text = console.export_text()
    assert "LOC" in text and "result:" in text


def test_rich_rendering_escapes_control_characters():
    from rich.console import Console

    evil = "title\x1b]0;pwned\x07\x1b[2J\x9b31m"
    trace = Trace(program=f"x = {evil!r}", steps=[StepRecord(0, 1, 1, 1, f"x = '{evil}'", [], ["x"], evil)], result=evil)
    buffer = io.StringIO()
    Console(file=buffer, width=200, force_terminal=True, color_system=None).print(trace)
    out = buffer.getvalue()
    assert "\x1b]" not in out and "\x07" not in out and "\x9b" not in out and "\x1b[2J" not in out
    assert "\\x1b]0;pwned" in out


def test_an_empty_trace_prints_no_empty_table():
    from rich.console import Console

    console = Console(record=True, width=100)
    console.print(Trace(program="x", error=ErrorRecord("CheckFailed", "variable 'IMAGE' is used before it is assigned", 1, 1)))
    text = console.export_text()
    assert "┏" not in text and "error: CheckFailed" in text


@pytest.mark.parametrize(
    "value", [7**24_000, [[[[[[1]]]]]] * 3, list(range(10**5)), "a" * 10**6, {"k": "\x1b[31m"}],
    ids=["huge-int", "nested", "long-list", "long-str", "escape"],
)
def test_summarize_is_bounded_and_never_raises(value):
    from visprog.trace.render import summarize

    started = time.perf_counter()
    text = summarize(value, 120)
    assert len(text) <= 120 and "\x1b" not in text
    assert time.perf_counter() - started < 1.0


def test_summarize_lists_boxes():
    from visprog.trace.render import summarize

    one = summarize(Detections([Box(1, 2, 3, 4, "face", 0.9)]))
    assert one == "Detections(1 box: 'face' 0.90 [1, 2, 3, 4])"
    assert summarize(Detections([])) == "Detections(0 boxes)"


def test_input_notes_are_shown_in_the_summary_and_the_terminal():
    from rich.console import Console

    trace = Trace(program="x", result=1, notes=["IMAGE: rotated by EXIF orientation 6"])
    card = trace.to_html()
    card = card[card.index('<section class="summary">') : card.index("</section>")]
    assert "rotated by EXIF orientation 6" in card
    console = Console(record=True, width=100)
    console.print(trace)
    assert "note: IMAGE: rotated by EXIF orientation 6" in console.export_text()


# -- a new value type reaches the trace through the value-type protocol alone --------------

class _Thermal:
    """A toy picture-valued type: a thermal image (one picture plus a unit)."""

    def __init__(self, pil: PIL.Image.Image, unit: str) -> None:
        self.pil, self.unit = pil, unit


class _Pins:
    """A toy type holding boxes (map pins)."""

    def __init__(self, boxes: list[Box]) -> None:
        self.boxes = boxes


def _register_toys() -> None:
    from visprog.values import ValueType, register_value_type, value_type
    from visprog.values.show import draw_boxes

    if value_type(_Thermal) is None:
        register_value_type(ValueType(
            _Thermal, "Thermal", encode=lambda v, nested: {"unit": v.unit},
            decode=lambda d, nested: _Thermal(PIL.Image.new("RGB", (1, 1)), d["unit"]),
            raster=lambda v: (v.pil, {"unit": v.unit}), from_raster=lambda pil, meta: _Thermal(pil, meta["unit"]),
        ))
        register_value_type(ValueType(
            _Pins, "Pins", picture=lambda v, base: draw_boxes(base, v.boxes) if base is not None else None,
            boxes=lambda v: list(v.boxes),
        ))


def test_a_picture_valued_type_is_stored_in_the_image_table_once():
    _register_toys()
    pil = PIL.Image.new("RGB", (300, 200), (200, 40, 40))
    hot = _Thermal(pil, "kelvin")
    call = ToolCall("thermal", "THERMAL", {"image": hot}, hot)
    trace = Trace(program="T=THERMAL(image=T0)", steps=[StepRecord(0, 1, 1, 1, "T=THERMAL(image=T0)", [call], ["T"], hot)],
                  inputs={"T0": hot}, result=hot)
    data = json.loads(trace.to_json())
    assert data["inputs"]["T0"] == {"type": "Thermal", "unit": "kelvin", "ref": "i0"} and list(data["images"]) == ["i0"]
    assert data["images"]["i0"]["scaled"] and data["images"]["i0"]["lossy"]  # 300x200 > EXACT_PIXELS: a small JPEG
    again = Trace.from_json(trace.to_json(full=True)).result
    assert type(again) is _Thermal and again.unit == "kelvin" and again.pil.tobytes() == pil.tobytes()


def test_a_type_that_draws_boxes_gets_the_legend():
    from visprog.trace.render import box_rows

    _register_toys()
    image = Image(PIL.Image.new("RGB", (200, 100), "white"))
    pins = _Pins([Box(10, 20, 60, 80, "cafe", 0.75)])
    assert [(n, b.label) for n, b in box_rows(pins)] == [(1, "cafe")]
    assert [n for n, _ in box_rows([pins, pins])] == []  # no picture_many: a list of them is not drawn together
    assert [n for n, _ in box_rows([Box(0, 0, 1, 1), Box(1, 1, 2, 2)])] == [1, 2]
    trace = Trace(program="P=PINS(image=IMAGE)", steps=[StepRecord(0, 1, 1, 1, "P=PINS(image=IMAGE)",
                  [ToolCall("pins", "PINS", {"image": image}, pins)], ["P"], pins)], inputs={"IMAGE": image}, result=pins)
    page = trace.to_html()
    legend = page[page.index('<table class="legend">') :]
    assert "cafe" in legend[: legend.index("</table>")] and "(10, 20, 60, 80)" in legend
