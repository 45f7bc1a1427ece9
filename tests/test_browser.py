"""HTML traces checked in a real headless browser (Debian's chromium, via Playwright)."""

from __future__ import annotations

import contextlib
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


@contextlib.contextmanager
def browser_page(width: int = 1200, height: int = 900):
    """A page in headless chromium and the list its console errors, page errors and
    failed requests are collected into."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        try:
            yield page, problems
        finally:
            browser.close()


def _check_in_browser(path, screenshot):
    with browser_page() as (page, problems):
        page.goto(path.as_uri(), wait_until="load")
        report = page.evaluate(
            """() => ({
                steps: [...document.querySelectorAll('div.step[id^=step-]')].map(e => e.dataset.line),
                images: [...document.images].map(i => ({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth})),
                title: document.title,
            })"""
        )
        page.screenshot(path=str(screenshot), full_page=True)
    return problems, report


def test_trace_renders_without_errors_with_every_step_and_image(tmp_path, artifacts, astronaut):
    from visprog import run_program

    program = (
        "OBJ0=FACEDET(image=IMAGE)\nIMAGE0=CROP(image=IMAGE,box=OBJ0)\nBOX0=LOC(image=IMAGE,object='LEFT')\n"
        "N0=COUNT(box=OBJ0)\nIMAGE1=EMOJI(image=IMAGE,object=OBJ0,emoji='smiley')\nFINAL=RESULT(var=IMAGE1)"
    )
    result = run_program(program, astronaut)
    assert result.error is None, result.error
    path = tmp_path / "trace.html"
    result.trace.save_html(str(path))
    problems, report = _check_in_browser(path, artifacts / "trace_screenshot.png")
    assert problems == []
    assert report["steps"] == ["1", "2", "3", "4", "5", "6"]
    assert report["images"] and all(i["ok"] for i in report["images"])
    assert (artifacts / "trace_screenshot.png").stat().st_size > 10_000


def test_failed_trace_renders_too(tmp_path, artifacts, small_image):
    from visprog import run_program

    result = run_program("B=LOC(image=IMAGE,object='LEFT')\nC=CROP(image=IMAGE,box=B,margin=-1.0)\nFINAL=RESULT(var=C)", small_image)
    path = tmp_path / "failed.html"
    result.trace.save_html(str(path))
    problems, report = _check_in_browser(path, artifacts / "trace_failed_screenshot.png")
    assert problems == [] and report["steps"] == ["1", "2"]


FIRST_SCREEN = """(selector) => {
    const el = document.querySelector(selector);
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, w: r.width, h: r.height,
            scrollY: window.scrollY, uncovered: el === hit || el.contains(hit),
            loaded: el.tagName !== "IMG" || (el.complete && el.naturalWidth > 0)};
}"""


@pytest.mark.parametrize("kind", ["image", "text", "failed"])
def test_the_result_is_visible_at_1280x800_without_scrolling(tmp_path, artifacts, astronaut, kind):
    """The summary card puts the answer on the first screen of a laptop-sized window."""
    from visprog import run_program

    programs = {
        "image": "OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0,emoji='smiley')\nFINAL=RESULT(var=IMAGE0)",
        "text": "OBJ0=FACEDET(image=IMAGE)\nN0=COUNT(box=OBJ0)\nANS0=EVAL(expr=\"'yes' if {N0} > 0 else 'no'\")\nFINAL=RESULT(var=ANS0)",
        "failed": "B=LOC(image=IMAGE,object='LEFT')\nC=CROP(image=IMAGE,box=B,margin=-1.0)\nFINAL=RESULT(var=C)",
    }
    # A long program and a request push the steps down; the result must stay in view.
    padding = "".join(f"\nP{i}=COUNT(box=LOC(image=IMAGE,object='LEFT'))" for i in range(25))
    program = programs[kind].replace("\nFINAL", padding + "\nFINAL", 1)
    result = run_program(program, astronaut)
    assert (result.error is not None) == (kind == "failed"), result.error
    result.trace.request = "Hide the faces with a smiley, then tell me whether anything was hidden"
    path = tmp_path / f"{kind}.html"
    result.trace.save_html(str(path))
    with browser_page(1280, 800) as (page, problems):
        page.goto(path.as_uri(), wait_until="load")
        target = {"image": "#result img", "text": "#result .answer-text", "failed": "#result .error-box"}[kind]
        box = page.evaluate(FIRST_SCREEN, target)
        page.screenshot(path=str(artifacts / f"trace_first_screen_{kind}.png"))
    assert problems == []
    assert box["scrollY"] == 0 and box["w"] > 0 and box["h"] > 0
    assert 0 <= box["top"] and box["bottom"] <= 800 and 0 <= box["left"] and box["right"] <= 1280, box
    assert box["uncovered"] and box["loaded"]
    if kind == "image":
        assert box["w"] >= 300  # large enough to see the edit, not a thumbnail


def test_trace_widget_javascript_renders_and_enlarges_on_click(tmp_path, artifacts, astronaut):
    """The widget's front end (its ESM) in a real browser, with a stand-in for the
    anywidget model holding the state a real run produced."""
    pytest.importorskip("anywidget")
    import json

    from visprog.present.widgets import _CSS, _ESM, TraceView

    view = TraceView()
    result = run_program_for_widget(astronaut, view)
    assert result.error is None
    state = {
        "program": view.program, "steps": view.steps, "variables": view.variables,
        "current_line": view.current_line, "selected": -1, "status": view.status,
    }
    page = tmp_path / "widget.html"
    page.write_text(
        f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>{_CSS}</style></head><body><div id="root"></div>
<script type="module">
const state = {json.dumps(state)};
const handlers = {{}};
const model = {{
  get: (k) => state[k],
  set: (k, v) => {{ state[k] = v; (handlers["change:" + k] || []).forEach((f) => f()); }},
  on: (name, f) => {{ (handlers[name] = handlers[name] || []).push(f); }},
  save_changes: () => {{}},
}};
const url = URL.createObjectURL(new Blob([{json.dumps(_ESM)}], {{type: "text/javascript"}}));
const mod = await import(url);
mod.default.render({{ model, el: document.getElementById("root") }});
window.rendered = true;
</script></body></html>""",
        encoding="utf-8",
    )
    with browser_page(1000, 700) as (tab, problems):
        tab.goto(page.as_uri())
        tab.wait_for_function("window.rendered === true")
        assert tab.locator(".vp-step").count() == len(state["steps"])
        assert tab.locator(".vp-current").inner_text().strip().startswith(str(state["current_line"]))
        before = tab.locator(".vp-step img").first.get_attribute("src")
        tab.locator(".vp-step").first.click()
        assert tab.locator(".vp-selected").count() == 1
        after = tab.locator(".vp-step img").first.get_attribute("src")
        assert after != before  # the enlarged picture replaces the thumbnail
        tab.screenshot(path=str(artifacts / "widget_screenshot.png"), full_page=True)
    assert problems == []


def run_program_for_widget(image, view):
    from visprog import run_program
    from visprog.values.core import load_image

    program = "B=LOC(image=IMAGE,object='LEFT')\nC=CROP(image=IMAGE,box=B)\nN=COUNT(box=B)\nFINAL=RESULT(var=N)"
    loaded = load_image(image)
    view.start(program, {"IMAGE": loaded})
    return run_program(program, loaded, listeners=[view.on_event])
