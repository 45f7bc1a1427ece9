"""Argument domains in constrained decoding, and repairs that never resubmit a failed
program — with a fake language model that "wants" to write a given (bad) program."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from tests.helpers import find
from visprog import Registry, default_registry, run_program
from visprog.planner import Planner
from visprog.planner.grammar import GrammarDecoder, ProgramGrammar, eval_expressions, normalise_program
from visprog.planner.request import analyse, answer_kind, catalogue_mentions
from visprog.toolkit.intrinsics import with_core

# -- a fake LM: character tokens, wants to type a target program ----------------------

_EXTRA_TOKENS = ["FACEDET", "EMOJI", "IMAGE", "COUNT", "RESULT", "EVAL", "read_text", "image_half", "smiley", "CROP", "OBJ", "BOX", "TEXT"]


class TypistLM:
    """Prefers, at each step, the allowed token that continues ``target`` line by line
    (line k of the output against line k of the target); where the output has left the
    target line, it prefers to finish (``FINAL``) once past the target's lines, else the
    lowest token id. ``bonus`` is honoured like logits."""

    def __init__(self, target: str) -> None:
        chars = [chr(c) for c in range(32, 127)] + ["\n"]
        self.vocab = chars + _EXTRA_TOKENS
        self.target = target.split("\n")
        self.text = ""
        self.marks: list[str] = []

    def vocabulary(self) -> list[str]:
        return self.vocab

    def special_ids(self) -> set[int]:
        return set()

    def encode(self, text: str) -> list[int]:
        return [self.vocab.index(c) for c in text]

    def start(self, prompt_ids: Any) -> None:
        self.text = ""

    def feed(self, ids: list[int]) -> None:
        self.text += "".join(self.vocab[i] for i in ids)

    def _wanted(self) -> str:
        body = self.text.split("```python\n", 1)[-1]
        lines = body.split("\n")
        index, current = len(lines) - 1, lines[-1]
        if index < len(self.target) and self.target[index].startswith(current):
            return self.target[index][len(current):]
        return ""

    def _done(self) -> bool:
        body = self.text.split("```python\n", 1)[-1]
        return body.count("\n") >= len(self.target) - 1

    def best(self, allowed: Sequence[int], bonus: Mapping[int, float]) -> int:
        wanted = self._wanted()
        finishing = self._done()

        def score(i: int) -> float:
            text = self.vocab[i]
            typed = 10.0 * len(text) if wanted.startswith(text) else 0.0
            ending = 5.0 if finishing and not wanted and text.startswith("F") else 0.0
            return typed + ending + bonus.get(i, 0.0) - i * 1e-6

        return max(allowed, key=score)

    def mark(self) -> Any:
        return self.text

    def rewind(self, mark: Any) -> None:
        self.text = mark


def decode(target: str, request: str, **grammar: Any) -> str:
    registry = with_core(default_registry())
    return GrammarDecoder(TypistLM(target)).program(None, ProgramGrammar(registry, ["IMAGE"], request, **grammar))


# -- domains -----------------------------------------------------------------------

def test_the_fake_lm_types_a_program_the_grammar_allows():
    wanted = "OBJ0=FACEDET(image=IMAGE)\nN0=COUNT(box=OBJ0)\nFINAL=RESULT(var=N0)"
    assert decode(wanted, "How many faces are there?") == wanted


def test_emoji_names_come_from_the_catalogue_mentioned_in_the_request():
    wanted = "OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0,emoji='smiley-smileys')\nFINAL=RESULT(var=IMAGE0)"
    program = decode(wanted, "Hide the faces with a smiley")
    assert "emoji='smiley'" in program and "smileys" not in program
    run = run_program(program, _face_photo())
    assert run.error is None


@pytest.mark.parametrize(
    ("request_text", "name"),
    [
        ("Cover each face with a smiling face", "smiling_face"),
        ("Put a winking face emoji on every face", "winking_face"),
        ("Hide them with smiling face with sunglasses", "smiling_face_with_sunglasses"),
        ("Replace the faces with a face with tongue", "face_with_tongue"),
        ("Hide the faces with cat emojis", "cat"),
    ],
)
def test_emoji_synonyms_and_visprog_names(request_text, name):
    from visprog_tools.editing import emoji_catalogue

    assert catalogue_mentions(request_text, emoji_catalogue(), generic=("face", "emoji")) == [name]
    wanted = "OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0,emoji='happy_happy_joy')\nFINAL=RESULT(var=IMAGE0)"
    assert f"emoji='{name}'" in decode(wanted, request_text)


def test_no_emoji_mentioned_keeps_the_default():
    wanted = "OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0,emoji='dog hat')\nFINAL=RESULT(var=IMAGE0)"
    assert decode(wanted, "Hide everyone's face") == "OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0)\nFINAL=RESULT(var=IMAGE0)"


def test_object_strings_are_the_requests_own_phrases():
    registry = with_core(Registry([find]))
    wanted = "BOX0=find(image=IMAGE,query='red car with a smiley face on it')\nFINAL=RESULT(var=BOX0)"
    grammar = ProgramGrammar(registry, ["IMAGE"], "How many people are wearing hats?")
    program = GrammarDecoder(TypistLM(wanted)).program(None, grammar)
    query = program.split("query=")[1].split(")")[0].strip("'")
    assert query in analyse("How many people are wearing hats?").phrases
    assert "red car" not in program


def test_sides_the_request_names_are_the_only_choices():
    wanted = "BOX0=image_half(image=IMAGE,side='TOP')\nIMAGE0=CROP(image=IMAGE,box=BOX0,margin=1.0)\nTEXT0=read_text(image=IMAGE0)\nANS0=EVAL(expr=\"' '.join({TEXT0}.labels)\")\nFINAL=RESULT(var=ANS0)"
    program = decode(wanted, "What is written in the left half?", examples=["IMAGE0=CROP(image=IMAGE,box=BOX0,margin=1.0)"])
    assert "side='LEFT'" in program and "TOP" not in program
    assert "margin=1.0" in program  # a number the examples pass to that optional parameter


def test_numbers_come_from_the_request_and_optional_numbers_keep_their_defaults():
    wanted = "OBJ0=FACEDET(image=IMAGE,min_size=10)\nN0=COUNT(box=OBJ0)\nANS0=EVAL(expr=\"'yes' if {N0} > 7 else 'no'\")\nFINAL=RESULT(var=ANS0)"
    program = decode(wanted, "Are there more than two faces?")
    assert "min_size" not in program
    expression = program.split('expr="')[1].split('"')[0]
    assert "7" not in expression and set(re.findall(r"\d+", expression.replace("{N0}", ""))) <= {"0", "2"}
    offered = eval_expressions({"N0": frozenset({"int"})}, analyse("Are there more than two faces?"))
    assert "'yes' if {N0} > 2 else 'no'" in offered and not any("7" in e for e in offered)


def test_yes_no_requests_end_with_a_yes_no_answer():
    # The typist would return the count; the request asks yes or no.
    wanted = "TEXT0=read_text(image=IMAGE)\nN0=COUNT(box=TEXT0)\nFINAL=RESULT(var=N0)"
    program = decode(wanted, "Is there any text in this picture?")
    last_two = program.splitlines()[-2:]
    assert last_two[0].startswith("ANS0=EVAL(expr=\"'yes' if {N0}") and last_two[1] == "FINAL=RESULT(var=ANS0)"


def test_yes_no_requests_get_yes_no_expressions_only():
    grammar = ProgramGrammar(with_core(default_registry()), ["IMAGE"], "Is there any text here?")
    offered = grammar.expressions({"IMAGE": frozenset({"Image"}), "TEXT0": frozenset({"Detections"}), "N0": frozenset({"int"})})
    assert offered and all(e.startswith("'yes' if") for e in offered)
    counting = ProgramGrammar(with_core(default_registry()), ["IMAGE"], "How many faces?")
    assert counting.expressions({"N0": frozenset({"int"})}) == []


def test_the_final_line_returns_the_last_variable():
    wanted = "OBJ0=FACEDET(image=IMAGE)\nN0=COUNT(box=OBJ0)\nFINAL=RESULT(var=OBJ0)"
    assert decode(wanted, "Count the faces").endswith("FINAL=RESULT(var=N0)")


def test_text_search_phrases_leave_out_where_the_text_is():
    facts = analyse("Does the sign on the left say 'OPEN'?")
    assert facts.quoted == ("OPEN",)
    assert "left" not in facts.texts() and "sign" not in facts.texts()
    expressions = eval_expressions({"TEXT0": frozenset({"Detections"})}, facts)
    assert "'yes' if 'open' in ' '.join({TEXT0}.labels).lower() else 'no'" in expressions


@pytest.mark.parametrize(
    ("text", "kind"),
    [("How many faces?", "count"), ("Is there a face?", "yesno"), ("Hide the faces", "image"),
     ("What does the sign say?", "text"), ("Read the text on the right.", "text"), ("Describe it", None)],
)
def test_answer_kinds(text, kind):
    assert answer_kind(text) == kind


def test_lists_in_the_request():
    assert analyse("Is it a cat, a dog or a bird?").lists == (("cat", "dog", "bird"),)


def test_a_forbidden_program_is_not_written_again():
    wanted = "OBJ0=FACEDET(image=IMAGE)\nN0=COUNT(box=OBJ0)\nFINAL=RESULT(var=N0)"
    program = decode(wanted, "How many faces are there?", forbidden=[wanted])
    assert normalise_program(program) != normalise_program(wanted)


# -- repairs ------------------------------------------------------------------------

class _Recording(FakeListChatModel):
    """A fake constrained model: records the grammar of each call."""

    grammars: list[Any] = []
    is_small_local_model: bool = False

    def with_grammar(self, grammar: Any) -> Any:
        self.grammars.append(grammar)
        return self


def test_a_repair_never_resubmits_a_failed_program(small_image):
    failing = "```python\nIMAGE0=CROP(image=IMAGE,box=image_half(image=IMAGE,side='LEFT'),margin=-1.0)\nFINAL=RESULT(var=IMAGE0)\n```"
    good = "```python\nBOX0=image_half(image=IMAGE,side='LEFT')\nN0=COUNT(box=BOX0)\nFINAL=RESULT(var=N0)\n```"
    planner = Planner(FakeListChatModel(responses=[failing, failing, good]), selection="lexical", use_library=False)
    result = planner.run("How many halves on the left?", small_image)
    first, second, third = result.trace.attempts
    assert first.runtime_error and "margin must be positive" in first.runtime_error
    assert second.program == first.program and second.runtime_error is None
    assert second.diagnostics[0] == "the same program as attempt 1, which failed"
    assert "You wrote the same program again" in third.prompt
    assert result.error is None and result.result == 1


def test_a_constrained_model_is_kept_from_the_failed_program(small_image):
    failing = "```python\nIMAGE0=CROP(image=IMAGE,box=image_half(image=IMAGE,side='LEFT'),margin=-1.0)\nFINAL=RESULT(var=IMAGE0)\n```"
    model = _Recording(responses=[failing, failing])
    model.grammars = []
    result = Planner(model, selection="lexical", use_library=False).run("Crop the left half", small_image)
    assert len(model.grammars) == 2
    assert model.grammars[0].forbidden == frozenset()
    assert normalise_program(failing.split("\n", 1)[1].rsplit("\n", 1)[0]) in model.grammars[1].forbidden
    # It wrote the failed program anyway (a fake cannot be constrained): planning stops, nothing reruns.
    assert len(result.trace.attempts) == 2 and result.error is not None


def test_after_a_runtime_error_the_model_sees_the_valid_choices(small_image):
    bad = "```python\nBOX0=image_half(image=IMAGE,side='LEFT')\nIMAGE0=EMOJI(image=IMAGE,object=BOX0,emoji='smiley-smileys')\nFINAL=RESULT(var=IMAGE0)\n```"
    good = "```python\nBOX0=image_half(image=IMAGE,side='LEFT')\nIMAGE0=EMOJI(image=IMAGE,object=BOX0,emoji='smiley')\nFINAL=RESULT(var=IMAGE0)\n```"
    result = Planner(FakeListChatModel(responses=[bad, good]), selection="lexical", use_library=False).run("Hide the left half with a smiley", small_image)
    first, second = result.trace.attempts
    assert "unknown emoji name" in (first.runtime_error or "")
    assert "Valid values for emoji: 'smiley'" in second.prompt
    assert result.error is None


# -- helpers ---------------------------------------------------------------------------

def _face_photo() -> Any:
    import numpy as np
    import PIL.Image
    from skimage import data

    return PIL.Image.fromarray(np.asarray(data.astronaut()))


@pytest.mark.parametrize(
    ("text", "comparisons"),
    [
        ("Is there more than one face?", ((">", 1),)),
        ("Are there at least 3 people?", ((">=", 3),)),
        ("Are there exactly five faces?", (("==", 5),)),
        ("Fewer than two signs?", (("<", 2),)),
        ("Are there two or three faces?", ()),
    ],
)
def test_stated_comparisons(text, comparisons):
    assert analyse(text).comparisons == comparisons


def test_a_stated_comparison_is_the_only_one_offered():
    offered = eval_expressions({"N0": frozenset({"int"})}, analyse("Is there more than one face?"))
    assert offered == ["'yes' if {N0} > 1 else 'no'"]
    loose = eval_expressions({"N0": frozenset({"int"})}, analyse("Are there two faces?"))
    assert "'yes' if {N0} == 2 else 'no'" in loose and "'yes' if {N0} > 0 else 'no'" in loose


def test_examples_that_need_the_same_program_shape_come_first():
    class Constrained(FakeListChatModel):
        is_small_local_model: bool = True

        def with_grammar(self, grammar: Any) -> Any:
            return self

    planner = Planner(Constrained(responses=["x"]), selection="lexical", use_library=False)
    chosen = planner.examples_for("Is there a face on the left side?", ["IMAGE"])
    guide = chosen[-1]
    assert answer_kind(guide.question) == "yesno" and "image_half(" in guide.program
    assert all(e.line_form for e in chosen)


def test_emoji_names_are_not_things_to_find():
    from visprog_tools.editing import emoji_catalogue

    from visprog.planner.request import without_mentions

    names = list(emoji_catalogue())
    assert without_mentions("Put a cat emoji over every face.", names) == "put a emoji over every face"
    assert without_mentions("How many cats are there?", names) == "how many cats are there"
