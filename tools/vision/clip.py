"""Zero-shot classification with CLIP (open_clip), with class prompts written by an LLM
as in CuPL ("What does a platypus look like?", Pratt et al., ICCV 2023).

For each class, the chat model answers a few "what does a {class} look like" questions;
the answers are embedded and averaged into the class embedding. Descriptions are kept
on disk in CuPL's JSON format ``{class: [sentences]}``, so published CuPL prompt files
load the same way (:func:`load_class_descriptions`). With no chat model, each class
uses plain templates (:data:`TEMPLATES`, with the article English needs: "a photo of a
car.", "a photo of an apple.", "a photo of the red car.", "a photo of apples.", see
``visprog_tools.vision.phrases``).

The reference is open_clip's zero-shot recipe (``open_clip.build_zero_shot_classifier``:
each class's template embeddings normalised, averaged, normalised again; logits
``100 * image @ classes.T``, softmax). Deliberate deviations, which change answers:

* three templates (:data:`TEMPLATES`), not open_clip's 80 ImageNet templates, when there
  is no CuPL description; CuPL's sentences when there is;
* ``classify`` with a single category scores it against an extra class "other", so its
  probability means something (softmax over one class is always 1);
* ``select`` scores each description against the candidate crops (a softmax over the
  candidates, see its docstring), not against other classes.

Text embeddings are cached in SQLite per sentence and per *model*: the model id, the
fingerprint of its local files (the result cache's, ``visprog.toolkit.result_cache``), and the
device and precision they were computed in, so a checkpoint replaced at the same path,
or float16 CUDA embeddings, are never served to another model or a float32 run.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from visprog_tools.vision.phrases import noun_phrase, with_template
from visprog_tools.vision.specs import CLIP

from visprog.errors import InputError, ToolError
from visprog.models.manager import model_manager
from visprog.toolkit.context import current_context, note
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image

CUPL_QUESTIONS = (
    "Describe what {} looks like.",
    "How can you identify {}?",
    "Describe a photo of {}.",
)
"""CuPL's questions ("Describe what a platypus looks like."); ``{}`` takes the class name
with its article (:func:`~visprog_tools.vision.phrases.noun_phrase`)."""
TEMPLATES = ("a photo of {}.", "a close-up photo of {}.", "a photo of the {}.")
"""Plain class prompts. In the first two, ``{}`` takes the name with its article ("a
car", "an apple", "apples", "the red car"); in the third, the name without a leading
a/an/the ("a photo of the red car.")."""
_LEADING_ARTICLE = re.compile(r"^(a|an|the)\s+", re.IGNORECASE)


def class_templates(name: str) -> list[str]:
    """The plain prompts for one class name (:data:`TEMPLATES`, articles handled)."""
    bare = _LEADING_ARTICLE.sub("", " ".join(name.split()))
    return [with_template(TEMPLATES[0], name), with_template(TEMPLATES[1], name), TEMPLATES[2].replace("{}", bare or name)]
_BATCH = 256


# -- class descriptions (CuPL) ------------------------------------------------

_LOADED: dict[str, list[str]] = {}
_LOADED_VERSION = [0]


def load_class_descriptions(path: str | Path) -> int:
    """Load a CuPL prompt file (``{class: [sentences]}``); its classes take priority over
    generated descriptions and templates. Returns how many classes it held.

    Raises:
        InputError: the file is missing or not in CuPL's format.
    """
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read class descriptions {file}: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v) for k, v in data.items()
    ):
        raise InputError(f"{file} is not a CuPL prompt file ({{class: [sentences]}})")
    _LOADED.update({k: list(v) for k, v in data.items() if v})
    _LOADED_VERSION[0] += 1
    return len(data)


def clear_class_descriptions() -> None:
    _LOADED.clear()
    _LOADED_VERSION[0] += 1


_DESCRIPTIONS_DIGEST: dict[int, str] = {}


def _description_salt() -> str:
    """Result-cache salt: results depend on the class descriptions, i.e. which chat model
    writes missing ones and the *content* of the loaded CuPL files (a SHA-256 of them, so
    two processes that loaded different files never share cached classifications)."""
    from visprog.models.chat import chat_model_name

    chat_model = current_context().chat_model
    version = _LOADED_VERSION[0]
    digest = _DESCRIPTIONS_DIGEST.get(version)
    if digest is None:
        text = json.dumps(sorted(_LOADED.items()), ensure_ascii=False)
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        _DESCRIPTIONS_DIGEST.clear()
        _DESCRIPTIONS_DIGEST[version] = digest
    writer = chat_model_name(chat_model) if chat_model is not None else "templates"
    return f"{writer}|cupl:{digest}"


def _sentences(reply: str) -> list[str]:
    text = " ".join(reply.split())
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+", text) if len(p.strip()) > 3]
    return parts[:2] or ([text] if text else [])


def describe_classes(classes: Sequence[str], chat_model: Any = None) -> dict[str, list[str]]:
    """Sentences describing each class: a loaded CuPL file, else the chat model's answers
    (cached on disk, in CuPL's format), else templates."""
    from visprog.models.chat import chat_model_name
    from visprog.toolkit.llm import complete

    chat_model = chat_model if chat_model is not None else current_context().chat_model
    out: dict[str, list[str]] = {}
    missing = []
    for name in classes:
        if name in _LOADED:
            out[name] = _LOADED[name]
        else:
            missing.append(name)
    if missing and chat_model is not None:
        folder = model_manager().config.cache_dir / "cupl"
        store = folder / f"{hashlib.sha256(chat_model_name(chat_model).encode()).hexdigest()[:16]}.json"
        saved: dict[str, list[str]] = json.loads(store.read_text(encoding="utf-8")) if store.is_file() else {}
        changed = False
        for name in missing:
            if name not in saved:
                sentences: list[str] = []
                for question in CUPL_QUESTIONS:
                    reply = complete(question.replace("{}", noun_phrase(name)) + " Answer in one or two sentences.", chat_model=chat_model, purpose="CuPL class descriptions")
                    sentences.extend(_sentences(reply))
                if not sentences:
                    # Not kept: a later run may get descriptions from the model.
                    note(f"the chat model described '{name}' in no usable sentence: plain templates used for it")
                    out[name] = class_templates(name)
                    continue
                saved[name] = sentences
                changed = True
            out[name] = saved[name]
        if changed:
            folder.mkdir(parents=True, exist_ok=True)
            store.write_text(json.dumps(saved, indent=1), encoding="utf-8")
        missing = []
    if missing:
        note(f"no chat model to describe {len(missing)} class(es) as CuPL does: plain templates used "
             f"(\"a photo of a ...\"); set VISPROG_LLM or load a CuPL file for better prompts")
    for name in missing:
        out[name] = class_templates(name)
    return out


# -- text embeddings, cached per (model, sentence) ---------------------------

class TextEmbeddingCache:
    """SQLite table (model key, sentence hash) -> float32 embedding.

    The model key (:func:`text_model_key`) names everything that determines an
    embedding besides the sentence: model id, weights fingerprint, device, precision.
    """

    def __init__(self, path: Path | None) -> None:
        self._memory: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS emb (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))")

    @staticmethod
    def _key(sentence: str) -> str:
        return hashlib.sha1(sentence.encode()).hexdigest()

    def get_many(self, model_id: str, sentences: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        ask = []
        for s in sentences:
            vec = self._memory.get((model_id, self._key(s)))
            if vec is not None:
                found[s] = vec
            else:
                ask.append(s)
        if ask and self._db is not None:
            by_key = {self._key(s): s for s in ask}
            keys = list(by_key)
            with self._lock:
                for start in range(0, len(keys), 500):
                    chunk = keys[start : start + 500]
                    rows = self._db.execute(
                        f"SELECT key, vec FROM emb WHERE model = ? AND key IN ({','.join('?' * len(chunk))})", [model_id, *chunk]
                    ).fetchall()
                    for key, blob in rows:
                        vec = np.frombuffer(blob, dtype=np.float32)
                        self._memory[(model_id, key)] = vec
                        found[by_key[key]] = vec
        return found

    def put_many(self, model_id: str, items: dict[str, np.ndarray]) -> None:
        rows = []
        for sentence, vec in items.items():
            key = self._key(sentence)
            vec = np.ascontiguousarray(vec, dtype=np.float32)
            self._memory[(model_id, key)] = vec
            rows.append((model_id, key, vec.tobytes()))
        if self._db is not None and rows:
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)", rows)

    def clear_memory(self) -> None:
        self._memory.clear()


_TEXT_CACHES: dict[Path, TextEmbeddingCache] = {}


def text_model_key() -> str:
    """What determines the configured CLIP's text embeddings besides the sentence: the
    model id, the fingerprint of its weights as the result cache takes it (local files
    by size and modification time, a hub snapshot by commit), and the device and
    precision the embeddings are computed in."""
    from visprog.toolkit.result_cache import _model_revision

    manager = model_manager()
    model_id = manager.model_id(CLIP)
    return json.dumps([model_id, _model_revision(CLIP.library, model_id), manager.device, manager.dtype])


def text_cache() -> TextEmbeddingCache:
    path = model_manager().config.cache_dir / "clip_text_embeddings.sqlite"
    if path not in _TEXT_CACHES:
        _TEXT_CACHES[path] = TextEmbeddingCache(path)
    return _TEXT_CACHES[path]


def embed_sentences(sentences: Sequence[str]) -> np.ndarray:
    """L2-normalised CLIP text embeddings, ``(len(sentences), D)``; cached per sentence."""
    import torch

    model, _, tokenizer = model_manager().load(CLIP)
    model_id = text_model_key()
    cache = text_cache()
    unique = list(dict.fromkeys(sentences))
    known = cache.get_many(model_id, unique)
    todo = [s for s in unique if s not in known]
    device = next(model.parameters()).device
    fresh: dict[str, np.ndarray] = {}
    for start in range(0, len(todo), _BATCH):
        chunk = todo[start : start + _BATCH]
        with torch.inference_mode():
            features = model.encode_text(tokenizer(chunk).to(device)).float()
            features = features / features.norm(dim=-1, keepdim=True)
        for s, vec in zip(chunk, features.cpu().numpy()):
            fresh[s] = vec
    if fresh:
        cache.put_many(model_id, fresh)
        known.update(fresh)
    return np.stack([known[s] for s in sentences]) if sentences else np.zeros((0, 0), dtype=np.float32)


def class_embeddings(classes: Sequence[str]) -> np.ndarray:
    """One normalised embedding per class: the mean of its description embeddings."""
    descriptions = describe_classes(classes)
    flat = [s for c in classes for s in descriptions[c]]
    vectors = embed_sentences(flat)
    out = []
    start = 0
    for c in classes:
        n = len(descriptions[c])
        mean = vectors[start : start + n].mean(axis=0)
        out.append(mean / (np.linalg.norm(mean) or 1.0))
        start += n
    return np.stack(out)


def embed_images(images: Sequence[Image]) -> np.ndarray:
    """L2-normalised CLIP image embeddings, one batched forward pass, ``(N, D)``."""
    import torch

    model, preprocess, _ = model_manager().load(CLIP)
    param = next(model.parameters())
    batch = torch.stack([preprocess(im.pil) for im in images]).to(param.device, param.dtype)
    with torch.inference_mode():
        features = model.encode_image(batch).float()
        features = features / features.norm(dim=-1, keepdim=True)
    embedded: np.ndarray = features.cpu().numpy()
    return embedded


def _probabilities(images: Sequence[Image], classes: Sequence[str]) -> np.ndarray:
    logits = 100.0 * embed_images(images) @ class_embeddings(classes).T
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    normalised: np.ndarray = probs / probs.sum(axis=1, keepdims=True)
    return normalised


def _crops(image: Image, boxes: Sequence[Box]) -> list[Image]:
    try:
        return [image.crop(b) for b in boxes]
    except ValueError as exc:
        raise ToolError(str(exc), argument="objects") from None


@tool(family="vision", requires=("torch", "open_clip"), cacheable=True, models=[CLIP], cache_salt=_description_salt)
def classify(image: Image, categories: list[str], objects: Detections | None = None) -> Detections:
    """Name objects with CLIP (VisProg's CLASSIFY), using LLM-written class descriptions.

    As in VisProg: with one category, the single best-matching object is returned;
    with several, each object gets its best category and, per category, only the
    best-scoring object is kept. All crops are scored in one batched pass.

    Probabilities follow open_clip's zero-shot recipe (softmax of ``100 * cosine``)
    over the categories, with two deliberate differences (module docstring): class
    embeddings average CuPL sentences or three templates, not open_clip's 80; and a
    single category is scored against an extra class "other".

    Args:
        image: the image the objects are in (root or crop).
        categories: class names, e.g. ["heron", "egret", "stork"].
        objects: boxes to classify; default: the whole image as one object.

    Returns:
        Detections labelled with their category and its probability, best first.
    """
    classes = [c.strip() for c in categories if c.strip()]
    if not classes:
        raise ToolError("categories must hold at least one name", argument="categories")
    boxes = [image.root_box] if objects is None else list(objects)
    if not boxes:
        return Detections([])
    scored = classes + (["other"] if len(classes) == 1 else [])
    probs = _probabilities(_crops(image, boxes), scored)
    if len(classes) == 1:
        best = int(probs[:, 0].argmax())
        return Detections([boxes[best].with_label(classes[0], float(probs[best, 0]))])
    best_per_class: dict[int, tuple[float, int]] = {}
    for i, row in enumerate(probs):
        cls = int(row.argmax())
        if cls not in best_per_class or row[cls] > best_per_class[cls][0]:
            best_per_class[cls] = (float(row[cls]), i)
    chosen = sorted(((s, i, c) for c, (s, i) in best_per_class.items()), reverse=True)
    return Detections([boxes[i].with_label(classes[c], s) for s, i, c in chosen])


@tool(family="vision", requires=("torch", "open_clip"), cacheable=True, models=[CLIP], cache_salt=_description_salt)
def classify_image(image: Image, categories: list[str]) -> str:
    """The category that best describes the whole image, by CLIP.

    Args:
        image: the image (or a crop).
        categories: class names to choose from.

    Returns:
        The best category name.
    """
    classes = [c.strip() for c in categories if c.strip()]
    if len(classes) < 2:
        raise ToolError("give at least two categories to choose from", argument="categories")
    probs = _probabilities([image], classes)
    return classes[int(probs[0].argmax())]


@tool(family="vision", requires=("torch", "open_clip"), cacheable=True, models=[CLIP], cache_salt=_description_salt)
def select(image: Image, objects: Detections, query: str, category: str | None = None) -> Detections:
    """Pick the objects that match a description (VisProg's SELECT).

    ``query`` may list several descriptions separated by commas; each picks one object.
    Objects whose label equals a description are taken directly (their score kept);
    otherwise CLIP picks the best-matching object for each description.

    A CLIP pick's score is a probability over the candidates: the softmax of
    ``100 * cosine(crop, description)`` across the candidate crops (open_clip's logit
    scale, with the candidates in the place of classes), i.e. how surely this object,
    rather than another candidate, is the one described. It is 1.0 for a single
    candidate. (VisProg's SELECT takes the argmax of the same similarities.)

    Args:
        image: the image the objects are in.
        objects: candidate objects (e.g. from segment_all or detect).
        query: what to select, e.g. "man,woman" or "the red car".
        category: optional label; only objects with this label are considered when any have it.

    Returns:
        The selected objects, one per description, labelled with it, scored as above.
    """
    candidates = list(objects)
    if category:
        same = [b for b in candidates if b.label == category]
        candidates = same or candidates
    queries = [q.strip() for q in query.split(",") if q.strip()]
    if not queries:
        raise ToolError("query must name what to select", argument="query")
    if not candidates:
        return Detections([])
    chosen: list[Box] = []
    unmatched = []
    for q in queries:
        matches = [b for b in candidates if b.label and b.label.lower() == q.lower()]
        if matches:
            chosen.extend(matches)
        else:
            unmatched.append(q)
    if unmatched:
        logits = 100.0 * (embed_images(_crops(image, candidates)) @ class_embeddings(unmatched).T)
        logits -= logits.max(axis=0, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=0, keepdims=True)
        for j, q in enumerate(unmatched):
            best = int(probs[:, j].argmax())
            chosen.append(candidates[best].with_label(q, float(probs[best, j])))
    return Detections(chosen)


@tool(family="vision", requires=("torch", "open_clip"), cacheable=True, models=[CLIP])
def similarity(image: Image, objects: Detections, text: str) -> Detections:
    """CLIP's cosine similarity between each object's crop and one text, as it is.

    The text is embedded exactly as given (no template, no CuPL description), each
    crop with CLIP's image preprocessing; the score is the cosine of the two normalised
    embeddings, in [-1, 1] (not a probability). ViperGPT's ``best_image_match`` averages
    these over its texts (``CLIPModel.compare`` in its ``vision_models.py``).

    Args:
        image: the image the objects are in.
        objects: the boxes to score (root pixels).
        text: the text, e.g. "photo of red car".

    Returns:
        The objects in the order given, each with its similarity as its score.
    """
    phrase = " ".join(text.split())
    if not phrase:
        raise ToolError("text must be non-empty", argument="text")
    boxes = list(objects)
    if not boxes:
        return Detections([])
    scores = embed_images(_crops(image, boxes)) @ embed_sentences([phrase])[0]
    return Detections([b.with_label(b.label, float(s)) for b, s in zip(boxes, scores)])
