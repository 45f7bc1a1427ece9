"""Every example program in programs/ passes the checker (tools missing here aside)."""

from pathlib import Path

import pytest

from visprog import check_program

PROGRAMS = sorted((Path(__file__).resolve().parent.parent / "programs").iterdir())


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.name)
def test_example_program_checks(path):
    problems = [d for d in check_program(path.read_text()) if d.code != "tool-unavailable"]
    assert problems == []
