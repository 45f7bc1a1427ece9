"""Tiny datasets in each public format (a few items each), fake deterministic tools to
answer them, and a keyword-driven fake chat model, for the evaluation tests and the
evaluation benchmark. Images: solid colours and coloured squares drawn with PIL, and
scikit-image's photos."""

from __future__ import annotations

import json
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from visprog import Box, Detections, Image, Registry, tool

COLORS = {"red": (220, 30, 30), "green": (30, 180, 40), "blue": (30, 60, 220), "gray": (128, 128, 128), "white": (255, 255, 255)}


# -- images ----------------------------------------------------------------------

def solid(color: str, size: tuple[int, int] = (64, 48)) -> PIL.Image.Image:
    return PIL.Image.new("RGB", size, COLORS[color])


def squares(boxes: Sequence[tuple[str, tuple[int, int, int, int]]], size: tuple[int, int] = (120, 80)) -> PIL.Image.Image:
    """Gray background with filled rectangles ``(color, (x1, y1, x2, y2))``, x2/y2 exclusive."""
    image = solid("gray", size)
    draw = PIL.ImageDraw.Draw(image)
    for color, (x1, y1, x2, y2) in boxes:
        draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=COLORS[color])
    return image


def text_image(text: str) -> PIL.Image.Image:
    image = PIL.Image.new("RGB", (420, 140), "white")
    draw = PIL.ImageDraw.Draw(image)
    draw.text((30, 40), text, fill="black", font=PIL.ImageFont.load_default(size=56))
    return image


def photo(name: str) -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(getattr(data, name)())


# -- fake tools ----------------------------------------------------------------------

def _near(image: Image, color: str) -> np.ndarray:
    if color not in COLORS:
        return np.zeros((image.height, image.width), dtype=bool)
    pixels = np.asarray(image.pil.convert("RGB")).astype(int)
    return np.abs(pixels - np.array(COLORS[color])).sum(axis=2) < 60


@tool
def main_color(image: Image) -> str:
    """The colour covering most of the image (red, green, blue, gray or white).

    Args:
        image: the image.

    Returns:
        The colour's name.
    """
    shares = {c: float(_near(image, c).mean()) for c in COLORS}
    return max(shares, key=lambda c: shares[c])


@tool
def find_color(image: Image, color: str) -> Detections:
    """The bounding box of the pixels of one colour.

    Args:
        image: where to look (root or crop).
        color: red, green, blue, gray or white.

    Returns:
        One box (root coordinates, x2/y2 exclusive) labelled with the colour, or none.
    """
    mask = _near(image, color)
    if not mask.any():
        return Detections([])
    ys, xs = np.nonzero(mask)
    dx, dy = image.offset
    return Detections([Box(float(xs.min() + dx), float(ys.min() + dy), float(xs.max() + 1 + dx), float(ys.max() + 1 + dy), label=color)])


@tool
def count_color(image: Image, color: str) -> int:
    """How many separate blobs of one colour the image holds.

    Args:
        image: the image.
        color: red, green, blue, gray or white.

    Returns:
        The number of 4-connected regions of that colour.
    """
    from skimage.measure import label

    return int(label(_near(image, color), connectivity=1).max())


@tool
def rank_colors(image: Image, categories: list[str]) -> dict[str, float]:
    """Share of the image's pixels near each colour named in ``categories``.

    Args:
        image: the image.
        categories: colour names.

    Returns:
        Colour -> share of pixels in [0, 1].
    """
    return {c: float(_near(image, c.split()[0]).mean()) for c in categories}


def fake_registry() -> Registry:
    return Registry([main_color, find_color, count_color, rank_colors])


# -- a chat model that plans by keywords ---------------------------------------------------

class KeywordChatModel(BaseChatModel):
    """Replies with the program of the first rule whose keyword is in the latest request
    (case-insensitive); with no match, a reply that holds no program."""

    rules: list[tuple[str, str]]

    @property
    def _llm_type(self) -> str:
        return "keyword-fake"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        text = next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "").lower()
        reply = next((f"```python\n{program}\n```" for key, program in self.rules if key in text), "Sorry, I cannot help with that.")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


COLOR_PROGRAM = "c = main_color(IMAGE)\nresult(c)"
IS_RED_PROGRAM = "c = main_color(IMAGE)\nresult('yes' if c == 'red' else 'no')"
COUNT_RED_PROGRAM = "result(count_color(IMAGE, 'red'))"
ANY_RED_PROGRAM = "result(count_color(IMAGE, 'red') > 0)"
SAME_COLOR_PROGRAM = "result(main_color(LEFT) == main_color(RIGHT))\n"
RANK_PROGRAM = "result(rank_colors(IMAGE, CLASSES))\n"


def find_program(color: str) -> str:
    return f"BOX0=find_color(image=IMAGE, color='{color}')\nresult(BOX0)"


def planner_model() -> KeywordChatModel:
    rules = [
        ("what color", COLOR_PROGRAM), ("is the picture red", IS_RED_PROGRAM),
        ("how many red", COUNT_RED_PROGRAM), ("is there a red", ANY_RED_PROGRAM),
        ("red", find_program("red")), ("blue", find_program("blue")), ("green", find_program("green")),
    ]
    return KeywordChatModel(rules=rules)


# -- datasets in their public formats ---------------------------------------------------------

def _save(image: PIL.Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


#: GQA: (qid, image color, question, answer, structural type). Expected with the
#: keyword planner: g1, g2, g4 right; g3, g5 wrong answers; g6 no program.
GQA = [
    ("g1", "red", "What color is the picture?", "red", "query"),
    ("g2", "blue", "What color is the picture?", "Blue", "query"),
    ("g3", "green", "What color is the picture?", "yellow", "query"),
    ("g4", "red", "Is the picture red?", "yes", "verify"),
    ("g5", "blue", "Is the picture red?", "yes", "verify"),
    ("g6", "green", "Paint it purple.", "no", "logical"),
]


def make_gqa(root: Path) -> Path:
    questions = {}
    for qid, color, question, answer, structural in GQA:
        image_id = f"n{qid}"
        _save(solid(color), root / "images" / f"{image_id}.jpg")
        questions[qid] = {
            "imageId": image_id, "question": question, "answer": answer, "fullAnswer": f"The answer is {answer}.",
            "isBalanced": True, "types": {"structural": structural, "semantic": "attr", "detailed": f"{structural}Attr"},
            "semantic": [], "annotations": {}, "groups": {"global": None, "local": None}, "equivalent": [qid], "entailed": [],
        }
    (root / "testdev_balanced_questions.json").write_text(json.dumps(questions))
    return root


#: NLVR2: (identifier, left, right, label). SAME_COLOR_PROGRAM gets n3 wrong.
NLVR2 = [
    ("dev-1-0-0", "red", "red", "True"),
    ("dev-2-0-0", "red", "blue", "False"),
    ("dev-3-1-0", "green", "green", "False"),
    ("dev-4-0-1", "blue", "blue", "True"),
]


def make_nlvr2(root: Path) -> Path:
    lines = []
    for ident, left, right, label in NLVR2:
        base = ident.rsplit("-", 1)[0]
        _save(solid(left), root / "images" / "dev" / f"{base}-img0.png")
        _save(solid(right), root / "images" / "dev" / f"{base}-img1.png")
        lines.append(json.dumps({
            "validation": {}, "sentence": "The two pictures are the same color.", "left_url": "http://x/l.jpg", "writer": "w1",
            "label": label, "right_url": "http://x/r.jpg", "synset": "n0", "query": "colors", "identifier": ident, "extra_validations": {},
        }))
    (root / "dev.json").write_text("\n".join(lines) + "\n")
    return root


#: VQA: (question id, red squares, question, 10 answers, answer type). With the keyword
#: planner the official accuracies are 1.0, 0.6, 0.3, 1.0 and 1.0 (hand-computed in the tests).
VQA = [
    (11, 2, "How many red squares are there?", ["2"] * 10, "number"),
    (12, 1, "How many red squares are there?", ["1"] * 2 + ["2"] * 8, "number"),
    (13, 3, "How many red squares are there?", ["three"] + ["4"] * 9, "number"),
    (14, 0, "How many red squares are there?", ["none"] * 2 + ["0"] * 8, "number"),
    (15, 1, "Is there a red square?", ["yes"] * 10, "yes/no"),
]


def _square_scene(n_red: int) -> PIL.Image.Image:
    spots = [(5, 5, 25, 25), (35, 5, 55, 25), (65, 5, 85, 25), (95, 5, 115, 25)]
    return squares([("red", spots[i]) for i in range(n_red)] + [("blue", (5, 45, 40, 75))])


def make_vqa(root: Path, *, okvqa: bool = False) -> Path:
    prefix = "" if okvqa else "v2_"
    questions, annotations = [], []
    for i, (qid, n_red, question, answers, answer_type) in enumerate(VQA):
        image_id = 100 + i
        _save(_square_scene(n_red), root / "val2014" / f"COCO_val2014_{image_id:012d}.jpg")
        questions.append({"image_id": image_id, "question": question, "question_id": qid})
        annotations.append({
            "question_type": "how many" if answer_type == "number" else "is there a", "multiple_choice_answer": answers[-1],
            "answers": [{"answer": a, "answer_confidence": "yes", "answer_id": j + 1} for j, a in enumerate(answers)],
            "image_id": image_id, "answer_type": answer_type, "question_id": qid,
        })
    info = {"info": {}, "task_type": "Open-Ended", "data_type": "mscoco", "data_subtype": "val2014", "license": {}}
    (root / f"{prefix}OpenEnded_mscoco_val2014_questions.json").write_text(json.dumps(info | {"questions": questions}))
    (root / f"{prefix}mscoco_val2014_annotations.json").write_text(json.dumps(info | {"annotations": annotations}))
    return root


#: RefCOCO: red square at COCO [10, 10, 30, 30], blue at [60, 20, 30, 20] on one image.
#: Sentences of the val split: "red block", "the red one" (red: IoU 1), "blue thing"
#: (blue: IoU 1), "green box" (annotated blue; finds nothing). Accuracy 3/4.
def make_refcoco(root: Path) -> Path:
    image = squares([("red", (10, 10, 40, 40)), ("blue", (60, 20, 90, 40))])
    file_name = "COCO_train2014_000000000777.jpg"
    _save(image, root / "images" / "mscoco" / "images" / "train2014" / file_name)
    instances = {
        "images": [{"id": 777, "file_name": file_name, "width": 120, "height": 80}],
        "annotations": [
            {"id": 1, "image_id": 777, "bbox": [10, 10, 30, 30], "category_id": 5, "area": 900, "iscrowd": 0},
            {"id": 2, "image_id": 777, "bbox": [60, 20, 30, 20], "category_id": 6, "area": 600, "iscrowd": 0},
        ],
        "categories": [{"id": 5, "name": "block", "supercategory": "toy"}, {"id": 6, "name": "tile", "supercategory": "toy"}],
    }

    def sentence(text: str, sent_id: int) -> dict[str, Any]:
        return {"tokens": text.split(), "raw": text, "sent_id": sent_id, "sent": text}

    refs = [
        {"image_id": 777, "split": "val", "sentences": [sentence("red block", 1), sentence("the red one", 2)], "file_name": "COCO_train2014_000000000777_1.jpg", "category_id": 5, "ann_id": 1, "sent_ids": [1, 2], "ref_id": 10},
        {"image_id": 777, "split": "val", "sentences": [sentence("blue thing", 3), sentence("green box", 4)], "file_name": "COCO_train2014_000000000777_2.jpg", "category_id": 6, "ann_id": 2, "sent_ids": [3, 4], "ref_id": 11},
        {"image_id": 777, "split": "testA", "sentences": [sentence("red square", 5)], "file_name": "COCO_train2014_000000000777_1.jpg", "category_id": 5, "ann_id": 1, "sent_ids": [5], "ref_id": 12},
    ]
    folder = root / "refcoco"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs(unc).p").write_bytes(pickle.dumps(refs, protocol=2))
    (folder / "instances.json").write_text(json.dumps(instances))
    return root


#: ImageNet-style: folders n001 (red), n002 (green), n003 (blue), two images each; the
#: second green image is mostly red with a green patch, so rank_colors puts green
#: second: top-1 5/6, top-5 6/6.
def make_imagenet(root: Path) -> Path:
    val = root / "val"
    for wnid, color in (("n001", "red"), ("n002", "green"), ("n003", "blue")):
        _save(solid(color), val / wnid / f"{wnid}_1.png")
        _save(squares([(color, (0, 0, 120, 80)), ("white", (0, 0, 10, 10))]), val / wnid / f"{wnid}_2.png")
    _save(squares([("red", (0, 0, 120, 80)), ("green", (0, 0, 40, 80))]), val / "n002" / "n002_2.png")
    (root / "LOC_synset_mapping.txt").write_text("n001 red, scarlet\nn002 green, verdant\nn003 blue, azure\n")
    return root


def make_jsonl(root: Path, n: int = 8) -> Path:
    """Generic items: solid colours, "what color" questions, every third gold wrong."""
    lines = []
    colors = ["red", "green", "blue"]
    for i in range(n):
        color = colors[i % 3]
        _save(solid(color), root / "img" / f"{i}.png")
        gold = color if i % 3 else "purple"
        lines.append(json.dumps({"id": f"item{i}", "image": f"img/{i}.png", "question": "What color is the picture?", "answer": gold, "type": color}))
    (root / "items.jsonl").write_text("\n".join(lines) + "\n")
    return root / "items.jsonl"
