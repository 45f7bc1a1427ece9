"""visprog.testing: fakes generated from the real tools cannot drift from them, and the
fake chat models serve the planner and tools like real ones."""

from __future__ import annotations

import pytest

from visprog import Box, Detections, RegistryError, default_registry, run_program
from visprog.testing import FunctionChatModel, ScriptedChatModel, fake_registry, fake_tool


def test_a_fake_tool_has_the_real_tools_signature_docs_and_types():
    real = default_registry()
    fake = fake_tool(real["detect"], lambda image, query, **rest: Detections([Box(1, 2, 3, 4, label=query, score=0.9)]))
    assert fake.stub() == real["detect"].stub()
    assert fake.input_schema == real["detect"].input_schema
    assert fake.returns == real["detect"].returns and fake.models == () and fake.unavailable_reason() is None
    with pytest.raises(RegistryError, match="give an answer"):
        fake_tool(real["detect"])


def test_a_fake_registry_runs_programs_and_checks_arguments_like_the_real_tools():
    registry = fake_registry(default_registry(), {"detect": lambda image, query, **rest: Detections([Box(0, 0, 5, 5, label=query)]),
                                                  "vqa": "yes"}, keep=["count"])
    done = run_program("B = LOC(image=IMAGE, object='cup')\nN = COUNT(box=B)\nA = VQA(image=IMAGE, question='red?')\nresult([N, A])",
                       "demos/images/astronaut.jpg", registry=registry)
    assert done.error is None and done.result == [1, "yes"]
    wrong = run_program("B = detect(IMAGE, 3)\nresult(B)", "demos/images/astronaut.jpg", registry=registry)
    assert wrong.error is not None and "argument 'query' of detect expects str | list[str], got int" in wrong.error.message


def test_scripted_and_function_chat_models_answer_and_record():
    scripted = ScriptedChatModel(replies=["first", "second"])
    assert [scripted.invoke("a").content, scripted.invoke("b").content] == ["first", "second"]
    assert len(scripted.calls) == 2
    with pytest.raises(IndexError, match="asked 3 times but has 2 replies"):
        scripted.invoke("c")
    echo = FunctionChatModel(function=lambda messages: str(messages[-1].content).upper())
    assert echo.invoke("shout").content == "SHOUT" and len(echo.calls) == 1
