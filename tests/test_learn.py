"""The learning loop (issue 17): right programs join the user library with the
request and the item as their check; items no candidate answers become hints."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from visprog.errors import InputError
from visprog.evaluation.learn import learn, read_items, split, write
from visprog.planner import Planner
from visprog.planner.library import read_entries, verify


def _planner(library=None) -> Planner:
    return Planner(FakeListChatModel(responses=["(no program)"] * 10), library=library, max_attempts=1)


@pytest.mark.slow
def test_right_programs_join_the_library_and_misses_become_hints(tmp_path):
    items = [
        {"question": "How many faces are in this photo?", "picture": "faces:2", "answer": 2},
        {"question": "What's the number on the tag?", "picture": "text:$3.50", "contains": ["3.50"]},
        {"question": "Is the face on the left?", "picture": "blank", "answer": "maybe"},  # nothing says maybe
    ]
    report = learn(items, _planner())
    assert [e["requests"] for e in report.entries] == [["How many faces are in this photo?"], ["What's the number on the tag?"]]
    assert [h["question"] for h in report.hints] == ["Is the face on the left?"] and report.hints[0]["tried"]
    library = tmp_path / "mine.jsonl"
    write(report, library)
    entries = read_entries(library)
    assert len(entries) == 2 and all(verify(e) == [] for e in entries)  # learned entries carry checks that pass
    assert json.loads((tmp_path / "mine.hints.jsonl").read_text(encoding="utf-8").splitlines()[0])["question"] == "Is the face on the left?"
    write(report, library)  # learning again adds nothing twice
    assert len(read_entries(library)) == 2
    choice = _planner([library]).from_library("How many faces are in this photo?")
    assert choice is not None and choice.entry.startswith("learned-")


def test_learning_sets_are_checked_and_split(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"question": "x", "picture": "blank", "answer": 1, "split": "test"}\n{"question": "y"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"set.jsonl:2: an item needs a 'picture'"):
        read_items(path)
    train, test = split([{"question": "x", "split": "test"}, {"question": "y", "split": "train"}])
    assert [i["question"] for i in train] == ["y"] and [i["question"] for i in test] == ["x"]
