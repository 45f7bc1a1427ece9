import base64
import io
import json
from html.parser import HTMLParser

import PIL.Image

from visprog import Trace, run_program

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
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "div" and "step" in (attrs.get("class") or "").split() and "id" in attrs:
            self.steps.append(attrs)


def _decode(src: str) -> PIL.Image.Image:
    assert src.startswith("data:image/png;base64,")
    image = PIL.Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    image.load()
    return image


def test_html_is_self_contained_and_complete(small_image, artifacts):
    result = run_program(PROGRAM, small_image)
    assert result.error is None
    page = result.trace.to_html()
    (artifacts / "trace_visprog_form.html").write_text(page, encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    assert [s["data-line"] for s in parser.steps] == ["1", "2", "3", "4", "5", "6"]
    assert parser.images and all(_decode(src).size[0] > 0 for src in parser.images)
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_html_escapes_program_text(small_image):
    result = run_program("x = '<script>alert(1)</script>'\nresult(x)", small_image)
    page = result.trace.to_html()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_failed_run_html_marks_the_failing_line(small_image):
    result = run_program("B=LOC(image=IMAGE, object='LEFT')\nC=CROP(image=IMAGE, box=B, margin=-1.0)\nFINAL=RESULT(var=C)", small_image)
    assert result.error is not None and result.error.line == 2
    page = result.trace.to_html()
    assert 'class="line failed" id="L2"' in page and "Run stopped" in page


def test_json_round_trip(small_image):
    trace = run_program(PROGRAM, small_image).trace
    text = trace.to_json()
    again = Trace.from_json(text)
    assert again.to_json() == text
    assert json.loads(text)["format"] == "visprog-trace"
    assert again.steps[1].output.size == trace.steps[1].output.size
    assert again.steps[1].output.offset == trace.steps[1].output.offset
    assert again.steps[0].output[0].as_tuple() == trace.steps[0].output[0].as_tuple()
    assert again.result.pil.tobytes() == trace.result.pil.tobytes()


def test_json_round_trip_of_masks_and_errors():
    import numpy as np

    from visprog.errors import ErrorRecord
    from visprog.trace.records import StepRecord
    from visprog.values.core import Box, Detections, Mask

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


def test_rich_rendering(small_image):
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(run_program(PROGRAM, small_image).trace)
    text = console.export_text()
    assert "LOC" in text and "result:" in text
