"""The red-team corpus as tests: every case must be handled (its expectation met) within
its time limit (15 s at most on an idle machine; stretched on a loaded one and retried
once, see ``tests/redteam/runner.py``), with bounded memory, its process alive. Cases
waiting for a mechanism built elsewhere are ``xfail(strict=True)``: they fail the suite
the day they start passing, so the mark gets removed.

The selected cases run once per session, two at a time, each in its own process
(``tests/redteam/runner.py``); each test then reads its case's result.
"""

from __future__ import annotations

import pytest

from tests.redteam import runner, scenarios
from tests.redteam.cases import CASES, FAMILIES
from tests.redteam.runner import CaseResult, run_cases, run_with_retry


def _param(case_name: str, needs: str | None) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=f"needs: {needs}")] if needs else []
    return pytest.param(case_name, marks=marks, id=case_name)


@pytest.fixture(scope="session")
def corpus_results(request: pytest.FixtureRequest) -> dict[str, CaseResult]:
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_case" and hasattr(item, "callspec")
    ]
    return {result.name: result for result in run_cases(selected, jobs=2)}


@pytest.mark.parametrize("name", [_param(case.name, case.needs) for case in CASES])
def test_case(name: str, corpus_results: dict[str, CaseResult]) -> None:
    result = corpus_results[name]
    assert result.elapsed_s <= result.limit_s + 0.5, f"took {result.elapsed_s:.1f} s, limit {result.limit_s:.1f} s"
    assert result.handled, f"{result.outcome}: {result.detail}"


def test_corpus_covers_every_family() -> None:
    assert len(CASES) >= 100
    counts = {family: sum(1 for c in CASES if c.family == family) for family in FAMILIES}
    assert all(n >= 4 for n in counts.values()), counts


# -- time limits on a loaded machine -------------------------------------------------------

class _ScriptedServer:
    """Stands in for a CaseServer: answers each run from a function of the time scale."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.scales: list[float] = []

    def run(self, name: str, timeout_s: float | None = None, *, time_scale: float = 1.0) -> CaseResult:
        self.scales.append(time_scale)
        return self.answer(time_scale)  # type: ignore[operator, no-any-return]


def _result(handled: bool, outcome: str, detail: str, scale: float, slow: bool = False) -> CaseResult:
    return CaseResult("c", "host", handled, detail, 15.0 * scale, 0.0, outcome, 15.0 * scale, slow, scale)


def test_a_case_that_never_ends_still_fails_after_one_retry() -> None:
    server = _ScriptedServer(lambda s: _result(False, "killed", f"killed after {15 * s:.1f} s", s))
    result = run_with_retry(server, "c", 1.5)  # type: ignore[arg-type]
    assert server.scales == [1.5, 3.0] and not result.handled and result.outcome == "killed"
    assert result.detail == "killed after 45.0 s (after a retry: retried once with 2x the time limits, as the first try killed after 22.5 s)"


def test_a_slow_case_passes_on_its_retry_and_says_so() -> None:
    server = _ScriptedServer(lambda s: _result(s >= 2, "ok" if s >= 2 else "failed", "ok: 1" if s >= 2 else "took 5.00 s, more than 4.0 s", s,
                                               slow=s < 2))
    result = run_with_retry(server, "c", 1.0)  # type: ignore[arg-type]
    assert result.handled and result.detail == "ok: 1 (retried once with 2x the time limits, as the first try took 5.00 s, more than 4.0 s)"
    wrong = _ScriptedServer(lambda s: _result(False, "failed", "expected error ['ToolError'], got None", s))
    assert not run_with_retry(wrong, "c", 1.0).handled and wrong.scales == [1.0]  # type: ignore[arg-type]  # not retried


def test_time_limits_scale_with_the_measured_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISPROG_REDTEAM_TIME_SCALE", "2.5")
    assert runner.calibrate() == 2.5
    monkeypatch.setenv("VISPROG_REDTEAM_TIME_SCALE", "50")
    assert runner.calibrate() == runner.MAX_TIME_SCALE  # a hang still fails within minutes
    monkeypatch.delenv("VISPROG_REDTEAM_TIME_SCALE")
    monkeypatch.setattr(runner, "_workload", lambda: 0.25)
    assert runner.calibrate() == pytest.approx(0.25 / runner.CALIBRATION_S)
    monkeypatch.setattr(runner, "_workload", lambda: 0.01)
    assert runner.calibrate() == 1.0  # never shorter than written
    monkeypatch.setattr(scenarios, "TIME_SCALE", 2.0)
    assert scenarios.judge_timing({"max_s": 4.0}, {"elapsed_s": 7.9})[0]
    ok, detail, slow = scenarios.judge_timing({"max_s": 4.0}, {"elapsed_s": 8.2})
    assert (ok, slow) == (False, True) and detail == "took 8.20 s, more than 8.0 s (4.0 s x load factor 2.00)"
    assert scenarios.judge_timing({"max_s": 4.0, "error": "ToolError"}, {"elapsed_s": 8.2})[2] is False  # wrong as well: no retry
