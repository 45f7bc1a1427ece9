"""The red-team corpus as tests: every case must be handled (its expectation met) within
15 s, with bounded memory, its process alive. Cases waiting for a mechanism built
elsewhere are ``xfail(strict=True)``: they fail the suite the day they start passing,
so the mark gets removed.

The selected cases run once per session, two at a time, each in its own process
(``tests/redteam/runner.py``); each test then reads its case's result.
"""

from __future__ import annotations

import pytest

from tests.redteam.cases import CASES, FAMILIES
from tests.redteam.runner import CaseResult, run_cases


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
    assert result.elapsed_s <= 15.5, f"took {result.elapsed_s:.1f} s"
    assert result.handled, f"{result.outcome}: {result.detail}"


def test_corpus_covers_every_family() -> None:
    assert len(CASES) >= 100
    counts = {family: sum(1 for c in CASES if c.family == family) for family in FAMILIES}
    assert all(n >= 4 for n in counts.values()), counts
