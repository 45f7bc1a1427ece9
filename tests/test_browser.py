"""HTML traces checked in a real headless browser (Debian's chromium, via Playwright)."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


def _check_in_browser(path, screenshot):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.goto(path.as_uri(), wait_until="load")
        report = page.evaluate(
            """() => ({
                steps: [...document.querySelectorAll('div.step[id^=step-]')].map(e => e.dataset.line),
                images: [...document.images].map(i => ({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth})),
                title: document.title,
            })"""
        )
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
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
