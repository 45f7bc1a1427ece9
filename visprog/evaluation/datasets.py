"""Dataset readers: each public format, read from a local folder, becomes a
:class:`Dataset` of :class:`Item` values (nothing is downloaded).

Formats (see the README for where to get each):

* ``gqa``: a questions JSON ``{qid: {"imageId", "question", "answer", "types": {...}}}``
  (e.g. ``testdev_balanced_questions.json``) and ``images/<imageId>.jpg``.
* ``nlvr2``: JSON lines with ``identifier``, ``sentence``, ``label`` ("True"/"False")
  (``dev.json``, ``test1.json``); the pair is ``<split>-<set>-<pair>-img0.png`` and
  ``...-img1.png`` anywhere under the images folder; programs get ``LEFT`` and ``RIGHT``.
* ``vqav2`` / ``okvqa``: questions JSON (``{"questions": [...]}``) and annotations JSON
  (``{"annotations": [...]}``) with 10 human answers per question; COCO images found
  by the number at the end of their file name.
* ``refcoco`` / ``refcoco+`` / ``refcocog``: ``refs(unc).p`` (or ``refs(umd).p``,
  ``refs(google).p``; a JSON copy works too) and ``instances.json``; one item per
  referring sentence, gold box converted from COCO ``[x, y, w, h]`` to visprog's
  ``(x1, y1, x2, y2)``.
* ``imagenet``: a folder of class folders (``val/n01440764/*.JPEG``); class names from
  ``--classes`` (a JSON ``{folder: name}`` or list, ``LOC_synset_mapping.txt``, or one
  name per line), else the folder names.
* ``jsonl``: one object per line, ``{"id", "image" | "images": {NAME: path},
  "question", "answer", "type", "program"}``; paths relative to the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any

from visprog import InputError
from visprog.evaluation.metrics import METRICS, coco_to_xyxy
from visprog.evaluation.names import DATASETS

__all__ = ["DATASETS", "Dataset", "Item", "load_dataset", "read_gqa", "read_imagenet", "read_images", "read_jsonl", "read_nlvr2", "read_refcoco", "read_vqa"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})

#: The program an ImageNet-style dataset runs unless one is given: CLIP scores of every
#: class (class embeddings from CuPL descriptions or templates), ranked for top-k.
IMAGENET_PROGRAM = "result(class_scores(IMAGE, CLASSES))"


@dataclass(frozen=True)
class Item:
    """One question (or image) to evaluate.

    Attributes:
        id: unique within the dataset; the key for resuming.
        images: program input name (``IMAGE``, ``LEFT``, ...) -> image file path.
        question: the request for the planner, or None (fixed programs only).
        gold: the answer key, in the metric's form: text or accepted texts (exact), the
            human answers (vqa), a bool (boolean), ``[x1, y1, x2, y2]`` (iou), a class
            name (topk), None (no gold).
        types: breakdown keys, e.g. ``{"answer_type": "number"}``; the report gives
            the metric per value of each key.
        program: this item's own program (generic JSONL), or None.
    """

    id: str
    images: dict[str, str]
    question: str | None = None
    gold: Any = None
    types: dict[str, str] = field(default_factory=dict)
    program: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "images": self.images, "question": self.question, "gold": self.gold, "types": self.types, "program": self.program}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Item:
        return cls(str(data["id"]), dict(data["images"]), data.get("question"), data.get("gold"), dict(data.get("types") or {}), data.get("program"))


@dataclass
class Dataset:
    """Items and how to score them.

    Attributes:
        name: the kind (``gqa``, ``vqav2``, ...) or a file name.
        metric: a key of :data:`visprog.evaluation.metrics.METRICS`.
        items: the items, in the dataset's order.
        sources: what was read: role -> path.
        constants: program inputs shared by every item (``CLASSES`` for ImageNet).
        default_program: the program to run when none is given and nothing is planned.
        skipped: items left out because their images are missing (``missing="skip"``).
        whole_fingerprint: see :meth:`whole`.
    """

    name: str
    metric: str
    items: list[Item]
    sources: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    default_program: str | None = None
    skipped: int = 0
    #: The fingerprint of the whole dataset a :meth:`subset` came from (None: this is it).
    whole_fingerprint: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise InputError(f"unknown metric {self.metric!r}; choose from {', '.join(METRICS)}")
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise InputError(f"{self.name}: item id {item.id!r} appears twice")
            seen.add(item.id)

    def __len__(self) -> int:
        return len(self.items)

    def fingerprint(self) -> str:
        """SHA-256 of the items (ids, images, questions, gold) and constants."""
        digest = hashlib.sha256()
        for item in self.items:
            digest.update(json.dumps(item.to_dict(), sort_keys=True, default=str).encode())
        digest.update(json.dumps(self.constants, sort_keys=True, default=str).encode())
        return digest.hexdigest()

    def subset(self, limit: int | None = None, sample: int | None = None, seed: int = 0) -> Dataset:
        """The first ``limit`` items, or ``sample`` items drawn with ``seed`` (kept in
        dataset order)."""
        items = self.items
        if sample is not None:
            if sample < 1:
                raise InputError("--sample must be at least 1")
            chosen = set(random.Random(seed).sample(range(len(items)), min(sample, len(items))))
            items = [it for i, it in enumerate(items) if i in chosen]
        if limit is not None:
            if limit < 1:
                raise InputError("--limit must be at least 1")
            items = items[:limit]
        whole = self.whole_fingerprint or self.fingerprint()
        return Dataset(self.name, self.metric, items, dict(self.sources), dict(self.constants), self.default_program, self.skipped, whole)

    def whole(self) -> str:
        """The fingerprint of the whole dataset (this one's, or the one a subset came
        from): a results file is for one dataset; ``--limit``/``--sample`` runs of it
        share the file, so a run stopped by ``--limit`` resumes without it."""
        return self.whole_fingerprint or self.fingerprint()


# -- helpers -------------------------------------------------------------------

def _read_json(path: Path, what: str) -> Any:
    try:
        with path.open("r", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{what} {path} is not readable JSON: {exc}") from None


def _read_json_lines(path: Path, what: str) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} {path}: {exc}") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path}:{number}: not a JSON object ({exc})") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
        rows.append(row)
    return rows


def _field(row: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in row:
        raise InputError(f"{where}: missing field {key!r}")
    return row[key]


def _image_files(folder: Path) -> dict[str, Path]:
    """File name -> path for every image under ``folder`` (recursively)."""
    if not folder.is_dir():
        raise InputError(f"image folder not found: {folder}")
    found: dict[str, Path] = {}
    for root, _, files in os.walk(folder):
        for name in files:
            if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                found.setdefault(name, Path(root) / name)
    return found


def _missing(dataset: str, items: list[Item], wanted: list[list[str]], missing: str) -> tuple[list[Item], int]:
    """Drop (``missing="skip"``) or refuse (``"error"``) items whose images are absent;
    ``wanted[i]`` lists the absent names of item i."""
    if missing not in ("error", "skip"):
        raise InputError(f"missing must be 'error' or 'skip', got {missing!r}")
    absent = [(it, names) for it, names in zip(items, wanted) if names]
    if absent and missing == "error":
        it, names = absent[0]
        raise InputError(
            f"{dataset}: {len(absent)} of {len(items)} items have missing images (first: item {it.id}, {names[0]}); "
            "pass --skip-missing to leave them out"
        )
    keep = [it for it, names in zip(items, wanted) if not names]
    return keep, len(absent)


def _pick(folder: Path, patterns: Iterable[str], what: str, flag: str) -> Path:
    """The one file under ``folder`` (or one level down) matching the first pattern that
    matches anything."""
    if folder.is_file():
        return folder
    if not folder.is_dir():
        raise InputError(f"data folder not found: {folder}")
    for pattern in patterns:
        found = sorted(set(folder.glob(pattern)) | set(folder.glob(f"*/{pattern}")))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(str(p.relative_to(folder)) for p in found[:4])
            raise InputError(f"several {what} files in {folder} ({names}); choose one with {flag} or --split")
    raise InputError(f"no {what} file in {folder} (looked for {', '.join(patterns)}); give it with {flag}")


def _images_folder(data: Path, images: Path | None, candidates: Iterable[str]) -> Path:
    if images is not None:
        return images
    base = data if data.is_dir() else data.parent
    for name in candidates:
        if (base / name).is_dir():
            return base / name
    raise InputError(f"no image folder under {base} (looked for {', '.join(candidates)}); give it with --images")


# -- GQA -----------------------------------------------------------------------

def read_gqa(questions: Path, images: Path, *, missing: str = "error") -> Dataset:
    """GQA balanced or all questions; exact-match metric; types: structural, semantic."""
    images = images.absolute()
    data = _read_json(questions, "GQA questions")
    if not isinstance(data, dict):
        raise InputError(f"{questions}: GQA questions are a JSON object {{question id: question}}")
    if not images.is_dir():
        raise InputError(f"image folder not found: {images}")
    files = {p.name for p in images.iterdir()}
    items, wanted = [], []
    for qid, q in data.items():
        where = f"{questions}: question {qid}"
        if not isinstance(q, dict):
            raise InputError(f"{where}: expected an object")
        image_id = str(_field(q, "imageId", where))
        types = q.get("types") or {}
        item = Item(
            str(qid), {"IMAGE": str(images / f"{image_id}.jpg")}, str(_field(q, "question", where)),
            str(q.get("answer")) if q.get("answer") is not None else None,
            {k: str(types[k]) for k in ("structural", "semantic") if types.get(k)},
        )
        items.append(item)
        wanted.append([] if f"{image_id}.jpg" in files else [f"{image_id}.jpg"])
    kept, skipped = _missing("gqa", items, wanted, missing)
    if any(it.gold is None for it in kept):
        raise InputError(f"{questions}: these GQA questions have no answers (a test split?); evaluate a split with answers")
    return Dataset("gqa", "exact", kept, {"questions": str(questions), "images": str(images)}, skipped=skipped)


# -- NLVR2 ---------------------------------------------------------------------

def read_nlvr2(path: Path, images: Path, *, missing: str = "error") -> Dataset:
    """NLVR2 statements about an image pair (``LEFT``, ``RIGHT``); true/false accuracy."""
    images = images.absolute()
    rows = _read_json_lines(path, "NLVR2 file")
    files = _image_files(images)
    items, wanted = [], []
    for number, row in enumerate(rows, 1):
        where = f"{path}:{number}"
        ident = str(_field(row, "identifier", where))
        base = ident.rsplit("-", 1)[0]
        names = {"LEFT": f"{base}-img0.png", "RIGHT": f"{base}-img1.png"}
        label = str(_field(row, "label", where))
        if label not in ("True", "False"):
            raise InputError(f"{where}: label must be 'True' or 'False', got {label!r}")
        items.append(Item(ident, {k: str(files.get(n, images / n)) for k, n in names.items()}, str(_field(row, "sentence", where)), label == "True"))
        wanted.append([n for n in names.values() if n not in files])
    kept, skipped = _missing("nlvr2", items, wanted, missing)
    return Dataset("nlvr2", "boolean", kept, {"questions": str(path), "images": str(images)}, skipped=skipped)


# -- VQAv2 / OK-VQA --------------------------------------------------------------

_TRAILING_NUMBER = re.compile(r"(\d+)$")


def read_vqa(questions: Path, annotations: Path, images: Path, *, name: str = "vqav2", missing: str = "error") -> Dataset:
    """VQAv2 or OK-VQA: official VQA accuracy; types: answer_type, question_type."""
    images = images.absolute()
    qdata = _read_json(questions, f"{name} questions")
    adata = _read_json(annotations, f"{name} annotations")
    if not isinstance(qdata, dict) or not isinstance(qdata.get("questions"), list):
        raise InputError(f"{questions}: expected {{\"questions\": [...]}} (the VQA questions format)")
    if not isinstance(adata, dict) or not isinstance(adata.get("annotations"), list):
        raise InputError(f"{annotations}: expected {{\"annotations\": [...]}} (the VQA annotations format)")
    by_id: dict[int, Path] = {}
    for file_name, file_path in _image_files(images).items():
        match = _TRAILING_NUMBER.search(Path(file_name).stem)
        if match:
            by_id.setdefault(int(match.group(1)), file_path)
    answers = {}
    for number, ann in enumerate(adata["annotations"]):
        where = f"{annotations}: annotation {number}"
        answers[int(_field(ann, "question_id", where))] = ann
    items, wanted = [], []
    for number, q in enumerate(qdata["questions"]):
        where = f"{questions}: question {number}"
        qid = int(_field(q, "question_id", where))
        image_id = int(_field(q, "image_id", where))
        ann = answers.get(qid)
        if ann is None:
            raise InputError(f"{annotations}: no annotation for question {qid}")
        human = [str(_field(a, "answer", f"{annotations}: question {qid}")) for a in _field(ann, "answers", f"{annotations}: question {qid}")]
        path = by_id.get(image_id)
        types = {k: str(ann[k]) for k in ("answer_type", "question_type") if ann.get(k) is not None}
        items.append(Item(str(qid), {"IMAGE": str(path or images / f"{image_id:012d}.jpg")}, str(_field(q, "question", where)), human, types))
        wanted.append([] if path else [f"COCO image {image_id}"])
    kept, skipped = _missing(name, items, wanted, missing)
    return Dataset(name, "vqa", kept, {"questions": str(questions), "annotations": str(annotations), "images": str(images)}, skipped=skipped)


# -- RefCOCO family ------------------------------------------------------------

class _DataOnly(pickle.Unpickler):
    """Unpickles plain data only (dicts, lists, strings, numbers): the refs files hold
    nothing else, and a pickle that names a class could run code."""

    def find_class(self, module: str, name: str) -> Any:
        raise InputError(f"the refs pickle names {module}.{name}; only plain data is accepted")


def _read_refs(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".json":
        data = _read_json(path, "refs")
    else:
        try:
            data = _DataOnly(io.BytesIO(path.read_bytes()), encoding="utf-8").load()
        except FileNotFoundError:
            raise InputError(f"refs file not found: {path}") from None
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - pickle raises many kinds for a bad file
            raise InputError(f"{path} is not a readable refs pickle: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputError(f"{path}: refs are a list of objects (ref_id, ann_id, image_id, split, sentences)")
    return data


def read_refcoco(refs: Path, instances: Path, images: Path, *, name: str = "refcoco", split: str | None = "val", missing: str = "error") -> Dataset:
    """Referring expressions: one item per sentence; the program's box is right when
    IoU >= 0.5 with the annotated box. Types: category."""
    images = images.absolute()
    ref_list = _read_refs(refs)
    inst = _read_json(instances, "COCO instances")
    if not isinstance(inst, dict) or not all(isinstance(inst.get(k), list) for k in ("images", "annotations")):
        raise InputError(f"{instances}: expected COCO instances with 'images' and 'annotations'")
    image_files = {int(im["id"]): str(im["file_name"]) for im in inst["images"]}
    boxes = {int(a["id"]): a["bbox"] for a in inst["annotations"]}
    categories = {int(c["id"]): str(c["name"]) for c in inst.get("categories", [])}
    splits = sorted({str(r.get("split")) for r in ref_list})
    if split is not None and split not in splits:
        raise InputError(f"{refs}: no refs in split {split!r}; splits here: {', '.join(splits)}")
    present = _image_files(images)
    items: list[Item] = []
    wanted: list[list[str]] = []
    for ref in ref_list:
        if split is not None and ref.get("split") != split:
            continue
        where = f"{refs}: ref {ref.get('ref_id')}"
        ann_id = int(_field(ref, "ann_id", where))
        image_id = int(_field(ref, "image_id", where))
        if ann_id not in boxes:
            raise InputError(f"{where}: annotation {ann_id} is not in {instances}")
        if image_id not in image_files:
            raise InputError(f"{where}: image {image_id} is not in {instances}")
        gold = coco_to_xyxy(boxes[ann_id])
        file_name = image_files[image_id]
        path = present.get(file_name, images / file_name)
        category = categories.get(int(ref.get("category_id", -1)))
        for sent in _field(ref, "sentences", where):
            sent_id = sent.get("sent_id", len(items))
            items.append(Item(f"{ref['ref_id']}-{sent_id}", {"IMAGE": str(path)}, str(sent.get("sent") or sent.get("raw")), gold, {"category": category} if category else {}))
            wanted.append([] if file_name in present else [file_name])
    kept, skipped = _missing(name, items, wanted, missing)
    sources = {"refs": str(refs), "instances": str(instances), "images": str(images), "split": str(split)}
    return Dataset(name, "iou", kept, sources, skipped=skipped)


# -- ImageNet-style folders --------------------------------------------------------

def _class_names(folders: list[str], classes: Path | None) -> dict[str, str]:
    if classes is None:
        return {f: f.replace("_", " ") for f in folders}
    if classes.suffix == ".json":
        data = _read_json(classes, "class names")
        if isinstance(data, dict):
            unknown = [f for f in folders if f not in data]
            if unknown:
                raise InputError(f"{classes}: no name for class folder {unknown[0]!r} ({len(unknown)} missing)")
            return {f: str(data[f]) for f in folders}
        if isinstance(data, list):
            names = [str(n) for n in data]
        else:
            raise InputError(f"{classes}: expected {{folder: name}} or a list of names")
    else:
        try:
            lines = [ln.strip() for ln in classes.read_text(encoding="utf-8").splitlines() if ln.strip()]
        except OSError as exc:
            raise InputError(f"cannot read class names {classes}: {exc}") from None
        pairs = [ln.split(None, 1) for ln in lines]
        if all(len(p) == 2 and p[0] in folders for p in pairs):  # LOC_synset_mapping.txt: "n01440764 tench, Tinca tinca"
            mapping = {p[0]: p[1].split(",")[0].strip() for p in pairs}
            return {f: mapping.get(f, f) for f in folders}
        names = lines
    if len(names) != len(folders):
        raise InputError(f"{classes} lists {len(names)} names for {len(folders)} class folders (names go in sorted folder order)")
    return dict(zip(folders, names))


def read_imagenet(root: Path, *, classes: Path | None = None) -> Dataset:
    """A folder of class folders; top-1/top-5 over ``CLASSES`` (every class name)."""
    root = root.absolute()
    if not root.is_dir():
        raise InputError(f"image folder not found: {root}")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not folders:
        raise InputError(f"{root} holds no class folders")
    names = _class_names(folders, classes)
    items = []
    for folder in folders:
        for file in sorted((root / folder).iterdir()):
            if file.suffix.lower() in IMAGE_SUFFIXES:
                items.append(Item(f"{folder}/{file.name}", {"IMAGE": str(file)}, None, names[folder]))
    if not items:
        raise InputError(f"no images in the class folders of {root}")
    sources = {"images": str(root)} | ({"classes": str(classes)} if classes else {})
    class_list = [names[f] for f in folders]
    return Dataset("imagenet", "topk", items, sources, {"CLASSES": class_list}, IMAGENET_PROGRAM)


# -- generic JSON lines ----------------------------------------------------------

def read_jsonl(path: Path, *, metric: str = "exact", name: str | None = None, missing: str = "error") -> Dataset:
    """Generic items, one JSON object per line (see the module docstring); items whose
    image files are absent are refused or, with ``missing="skip"``, left out (as every
    reader does)."""
    path = path.absolute()
    rows = _read_json_lines(path, "JSONL dataset")
    items: list[Item] = []
    for number, row in enumerate(rows, 1):
        where = f"{path}:{number}"
        if "images" in row:
            images = row["images"]
            if not isinstance(images, dict) or not images:
                raise InputError(f"{where}: 'images' must map input names to paths")
        elif "image" in row:
            images = {"IMAGE": row["image"]}
        else:
            raise InputError(f"{where}: give 'image' or 'images'")
        resolved = {}
        for key, value in images.items():
            if not str(key).isidentifier():
                raise InputError(f"{where}: input name {key!r} is not a valid program variable")
            file = Path(str(value))
            resolved[str(key)] = str(file if file.is_absolute() else path.parent / file)
        gold = row.get("answers", row.get("answer"))
        types = row.get("types") or ({"type": str(row["type"])} if row.get("type") is not None else {})
        items.append(Item(str(row.get("id", number)), resolved, row.get("question"), gold, {str(k): str(v) for k, v in types.items()}, row.get("program")))
    if not items:
        raise InputError(f"{path} holds no items")
    whole = Dataset(name or path.stem, metric, items, {"questions": str(path)})  # ids and metric checked first
    wanted = [[p for p in it.images.values() if not Path(p).exists()] for it in items]
    kept, skipped = _missing(whole.name, items, wanted, missing)
    return Dataset(whole.name, metric, kept, dict(whole.sources), skipped=skipped) if skipped else whole


def read_images(source: str) -> Dataset:
    """Images for ``visprog batch``: a folder (every image in it, sorted) or a glob."""
    folder = Path(source)
    if folder.is_dir():
        files = sorted(p.absolute() for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    else:
        files = sorted(Path(p).absolute() for p in glob(source, recursive=True) if Path(p).suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"no images match {source}")
    common = Path(os.path.commonpath([str(f.parent) for f in files]))
    items = [Item(str(f.relative_to(common)), {"IMAGE": str(f)}) for f in files]
    return Dataset("images", "none", items, {"images": source})


# -- by kind, from a data folder ---------------------------------------------------

def load_dataset(
    kind: str,
    data: str | Path,
    *,
    split: str | None = None,
    questions: str | Path | None = None,
    annotations: str | Path | None = None,
    images: str | Path | None = None,
    classes: str | Path | None = None,
    metric: str | None = None,
    missing: str = "error",
) -> Dataset:
    """Read a dataset of ``kind`` (one of :data:`DATASETS`) from ``data``, a folder laid
    out as the dataset ships (or, for ``jsonl``, the file).

    Args:
        kind: ``gqa``, ``nlvr2``, ``vqav2``, ``okvqa``, ``refcoco``, ``refcoco+``,
            ``refcocog``, ``imagenet`` or ``jsonl``.
        data: the folder (file for ``jsonl``).
        split: which split's files to use (``val``, ``testdev``, ``dev``, ``testA``...).
        questions: the questions file (GQA, VQA), the statements file (NLVR2) or the
            refs file (RefCOCO), when the folder holds several or names it differently.
        annotations: the annotations file (VQA) or ``instances.json`` (RefCOCO).
        images: the image folder, when it is not where the dataset puts it.
        classes: class names for ``imagenet``.
        metric: the metric for ``jsonl`` (default ``exact``).
        missing: ``"error"`` (default) or ``"skip"`` for items whose images are absent.

    Raises:
        InputError: one line naming the file or field that is missing or malformed.
    """
    # Absolute paths: Ray workers run in other folders.
    root = Path(data).absolute()
    q = Path(questions).absolute() if questions else None
    a = Path(annotations).absolute() if annotations else None
    im = Path(images).absolute() if images else None
    if not root.exists():
        raise InputError(f"{kind} data not found: {data}")
    if kind == "gqa":
        pats = [f"{split}_balanced_questions.json", f"{split}_all_questions.json", f"{split}*questions*.json"] if split else ["*questions*.json"]
        return read_gqa(q or _pick(root, pats, "GQA questions", "--questions"), _images_folder(root, im, ["images"]), missing=missing)
    if kind == "nlvr2":
        pats = [f"{split}.json", f"{split}.jsonl", f"data/{split}.json"] if split else ["*.jsonl", "*.json"]
        file = q or _pick(root, pats, "NLVR2 statements", "--questions")
        return read_nlvr2(file, _images_folder(root, im, [f"images/{split}" if split else "images", "images", split or "dev"]), missing=missing)
    if kind in ("vqav2", "okvqa"):
        tag = f"*{split}*" if split else "*"
        qf = q or _pick(root, [f"{tag}questions.json"], f"{kind} questions", "--questions")
        af = a or _pick(root, [f"{tag}annotations.json"], f"{kind} annotations", "--annotations")
        folders = [f"{split}2014", f"{split}2017", split, "images"] if split else ["val2014", "images"]
        return read_vqa(qf, af, _images_folder(root, im, folders), name=kind, missing=missing)
    if kind in ("refcoco", "refcoco+", "refcocog"):
        base = root / kind if (root / kind).is_dir() else root
        preferred = ["refs(umd).p", "refs(google).p"] if kind == "refcocog" else ["refs(unc).p"]
        refs = q or _pick(base, [*preferred, "refs(*).p", "refs*.json"], f"{kind} refs", "--questions")
        inst = a or _pick(base, ["instances.json"], "COCO instances", "--annotations")
        folders = ["images/mscoco/images/train2014", "images/train2014", "train2014", "images"]
        image_dir = im or _images_folder(root if root.is_dir() else root.parent, None, folders)
        return read_refcoco(refs, inst, image_dir, name=kind, split=split or "val", missing=missing)
    if kind == "imagenet":
        folder = root / split if split and (root / split).is_dir() else root
        return read_imagenet(im or folder, classes=Path(classes).absolute() if classes else None)
    if kind == "jsonl":
        return read_jsonl(q or root, metric=metric or "exact", missing=missing)
    raise InputError(f"unknown dataset {kind!r}; choose from {', '.join(DATASETS)}")
