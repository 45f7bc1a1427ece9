"""Every hub-loaded model tool, exercised through its real loader on tiny random-weight
models saved in the library's own format (offline, HF_HUB_OFFLINE=1).

Random weights find nothing meaningful, so these tests check what does not depend on
the weights being trained: coordinates (compared with the model's raw outputs converted
by hand), batching (the same numbers whether inputs go one by one or together), masks
aligned with their boxes, caching (the model is not called again), device and dtype.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import pytest

from visprog import Box, Detections, Image, ModelUnavailable, RunContext, load_image, run_program
from visprog.models import Config, ModelManager, set_model_manager
from visprog.testing import FunctionChatModel, ScriptedChatModel
from visprog.toolkit.result_cache import ResultCache

pytestmark = pytest.mark.models

torch = pytest.importorskip("torch")

SCENE_SIZE = (160, 120)  # (width, height)
CROP = Box(40, 30, 150, 110)  # a 110x80 part of the scene: wider than tall, off the origin


@pytest.fixture
def scene() -> Image:
    """A 160x120 picture with distinct colored blocks (red top-left, blue bottom-right,
    green top-right)."""
    pixels = np.full((120, 160, 3), 200, dtype=np.uint8)
    pixels[10:60, 10:70] = (220, 30, 30)
    pixels[60:110, 90:150] = (30, 30, 220)
    pixels[20:50, 100:140] = (30, 200, 30)
    return load_image(pixels)


def _manager(ids: dict[str, str], cache_dir: Path, **settings: Any) -> ModelManager:
    """A process-wide manager on the given tiny models (CPU, no result cache, no chat model)."""
    config: dict[str, Any] = dict(device="cpu", cache_dir=cache_dir, result_cache=False, models=ids, llm="none")
    config.update(settings)
    manager = ModelManager(Config(**config))
    set_model_manager(manager)
    return manager


def _counting(calls: list[str], name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method``, recording ``name`` in ``calls`` at each call."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return method(*args, **kwargs)

    return wrapper


# -- detection -------------------------------------------------------------------

def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x.astype(np.float64))))


def _boxes_by_hand(raw: Any, image: Image, queries: list[str], pads_to_square: bool) -> list[tuple[float, float, float, float, str, float]]:
    """The detector's raw outputs turned into root-pixel boxes by hand.

    OWL predicts ``(cx, cy, w, h)`` per image patch, normalized to the image the model
    saw: OWLv2 pads the image to a square (bottom/right) first, so the scale is the
    longer side on both axes; OWL-ViT stretches the image, so x scales by the width and
    y by the height. Each patch's label is its best query, its score the sigmoid of that
    logit. Boxes are clipped to the image, sub-pixel ones dropped, then moved by the
    image's offset into root coordinates.
    """
    width, height = image.size
    sx, sy = (max(width, height),) * 2 if pads_to_square else (width, height)
    logits = raw.logits[0].float().numpy()
    centers = raw.pred_boxes[0].float().numpy().astype(np.float64)
    dx, dy = image.offset
    out = []
    for (cx, cy, w, h), row in zip(centers, logits):
        x1, x2 = np.clip([(cx - w / 2) * sx, (cx + w / 2) * sx], 0, width)
        y1, y2 = np.clip([(cy - h / 2) * sy, (cy + h / 2) * sy], 0, height)
        score = float(_sigmoid(row.max()))
        if x2 - x1 >= 1 and y2 - y1 >= 1 and score > 0:
            out.append((x1 + dx, y1 + dy, x2 + dx, y2 + dy, queries[int(row.argmax())], score))
    return out


def _same_boxes(found: Detections, expected: list[tuple[float, float, float, float, str, float]]) -> None:
    """``found`` holds exactly the ``expected`` boxes (any order), to 1e-3 px and score."""
    left = [(*b.as_tuple(), b.label, float(b.score or 0.0)) for b in found]
    assert len(left) == len(expected), (len(left), len(expected))
    for want in expected:
        match = [i for i, got in enumerate(left) if got[4] == want[4] and np.allclose(got[:4], want[:4], atol=1e-3) and abs(got[5] - want[5]) < 1e-4]
        assert match, f"no detected box matches {want}; detected {left}"
        left.pop(match[0])


@pytest.mark.parametrize("family", ["owlv2", "owlvit"])
def test_detect_boxes_are_the_models_outputs_in_root_pixels(family: str, tiny_model_ids: dict[str, str], _isolated_cache: Path,
                                                          scene: Image, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a non-square crop away from the origin, every box equals the model's raw
    prediction converted by hand (square padding for OWLv2, crop offset): a wrong scale,
    axis or offset moves boxes, which clipping alone would not reveal."""
    from visprog_tools.vision.detection import detect
    from visprog_tools.vision.specs import DETECTOR

    key = "detector" if family == "owlv2" else "detector_owlvit"
    manager = _manager({"detector": tiny_model_ids[key]}, _isolated_cache)
    _, model = manager.load(DETECTOR)
    assert type(model).__name__ == ("Owlv2ForObjectDetection" if family == "owlv2" else "OwlViTForObjectDetection")
    raw: list[Any] = []
    forward = model.forward

    def recording(*args: Any, **kwargs: Any) -> Any:
        raw.append(forward(*args, **kwargs))
        return raw[-1]

    monkeypatch.setattr(model, "forward", recording)

    part = scene.crop(CROP)
    assert part.size == (110, 80) and part.offset == (40, 30)
    queries = ["dog", "cat"]
    found = detect.func(image=part, query=queries, threshold=0.0, nms_iou=1.0)  # nms_iou=1: no box merged
    [outputs] = raw
    expected = _boxes_by_hand(outputs, part, queries, pads_to_square=family == "owlv2")
    assert len(expected) >= 4
    _same_boxes(found, expected)
    # Root coordinates, inside the crop, and not all pinned to its edges by clipping.
    assert all(40 <= b.x1 < b.x2 <= 150 and 30 <= b.y1 < b.y2 <= 110 for b in found)
    assert any(40 < b.x1 and b.x2 < 150 and 30 < b.y1 and b.y2 < 110 for b in found)
    assert [b.score for b in found] == sorted((b.score for b in found), reverse=True)
    # one instance per (library, id, device)
    assert manager.loaded() == [("transformers", tiny_model_ids[key], "cpu")] and manager.loads == 1


def test_detect_threshold_and_nms(tiny_models: ModelManager, scene: Image) -> None:
    from visprog_tools.vision.detection import detect

    low = detect.func(image=scene, query="dog", threshold=0.0, nms_iou=1.0)
    high = detect.func(image=scene, query="dog", threshold=float(np.median([b.score for b in low])), nms_iou=1.0)
    assert 0 < len(high) < len(low)
    assert all(b.score >= float(np.median([x.score for x in low])) for b in high)
    merged = detect.func(image=scene, query="dog", threshold=0.0, nms_iou=0.1)
    assert len(merged) <= len(low)
    assert all(a.iou(b) <= 0.1 + 1e-6 for i, a in enumerate(merged) for b in list(merged)[i + 1 :])


def test_owl_fixture_tokenizer_behaves_like_the_real_one(tiny_models: ModelManager) -> None:
    """The tiny OWL tokenizer has the real one's limits: 16 tokens, right padding with
    "!" (id 0), so queries of different lengths pad to the same length as for users."""
    from visprog_tools.vision.specs import DETECTOR

    processor, _ = tiny_models.load(DETECTOR)
    tokenizer = processor.tokenizer
    assert (tokenizer.model_max_length, tokenizer.padding_side, tokenizer.pad_token_id) == (16, "right", 0)
    ids = processor(text=[["a photo of a dog", "a photo of a red car on the road"]], return_tensors="pt", truncation=True)["input_ids"]
    assert tuple(ids.shape) == (2, 16) and int(ids[0, -1]) == 0


@pytest.mark.parametrize("family", ["owlv2", "owlvit"])
def test_detect_equals_the_card_recipe(family: str, tiny_model_ids: dict[str, str], _isolated_cache: Path, scene: Image) -> None:
    """Side by side with the model card: ``processor(text=[["a photo of a dog", ...]])``,
    the model, ``post_process_grounded_object_detection`` (target: the padded square for
    OWLv2), then the tool's documented additions (clamp to the image, drop sub-pixel
    boxes; NMS off here). Queries of different token lengths, one needing "an"."""
    from visprog_tools.vision.detection import detect
    from visprog_tools.vision.specs import DETECTOR

    key = "detector" if family == "owlv2" else "detector_owlvit"
    manager = _manager({"detector": tiny_model_ids[key]}, _isolated_cache)
    processor, model = manager.load(DETECTOR)
    queries = ["dog", "apple", "red car on the road"]
    prompts = ["a photo of a dog", "a photo of an apple", "a photo of a red car on the road"]
    inputs = processor(text=[prompts], images=scene.pil, return_tensors="pt", truncation=True)
    with torch.inference_mode():
        outputs = model(**inputs)
    width, height = scene.size
    target = (max(width, height),) * 2 if family == "owlv2" else (height, width)
    card = processor.post_process_grounded_object_detection(outputs=outputs, threshold=0.05, target_sizes=[target])[0]
    expected = []
    for box, score, label in zip(card["boxes"].tolist(), card["scores"].tolist(), card["labels"].tolist()):
        x1, x2 = np.clip([box[0], box[2]], 0, width)
        y1, y2 = np.clip([box[1], box[3]], 0, height)
        if x2 - x1 >= 1 and y2 - y1 >= 1:
            expected.append((x1, y1, x2, y2, queries[int(label)], score))
    assert len(expected) >= 3
    _same_boxes(detect.func(image=scene, query=queries, threshold=0.05, nms_iou=1.0), expected)


def test_detect_on_a_crop_maps_boxes_back(tiny_models: ModelManager, scene: Image) -> None:
    from visprog_tools.vision.detection import detect

    part = scene.crop(CROP)
    in_crop = detect.func(image=part, query="cat", threshold=0.0, nms_iou=0.5)
    standalone = detect.func(image=Image(part.pil), query="cat", threshold=0.0, nms_iou=0.5)
    assert len(in_crop) == len(standalone) > 0
    for mapped, local in zip(in_crop, standalone):
        assert mapped.as_tuple() == pytest.approx(local.shifted(40, 30).as_tuple())


def test_special_queries_load_no_model(tiny_models: ModelManager, scene: Image) -> None:
    from visprog_tools.vision.detection import detect

    assert detect.func(image=scene, query="TOP", threshold=0.1, nms_iou=0.5)[0].as_tuple() == (0, 0, 160, 60)
    assert tiny_models.loaded() == []


def test_missing_model_offline_is_one_clear_error(tmp_path: Path, scene: Image) -> None:
    set_model_manager(ModelManager(Config(device="cpu", cache_dir=tmp_path, result_cache=False)))
    result = run_program("B=LOC(image=IMAGE, object='dog')\nFINAL=RESULT(var=B)", scene)
    assert result.error is not None and result.error.kind == "ModelUnavailable"
    assert "google/owlv2-base-patch16-ensemble" in result.error.message
    assert "visprog models pull detector" in result.error.message and "VISPROG_MODEL_DETECTOR" in result.error.message
    assert "Traceback" not in result.error.message and len(result.error.message) < 600


# -- segmentation -------------------------------------------------------------------

def test_segment_boxes_one_set_image_many_prompts(tiny_models: ModelManager, scene: Image, monkeypatch: pytest.MonkeyPatch) -> None:
    from visprog_tools.vision import segmentation

    boxes = Detections([Box(10, 10, 70, 60, "red"), Box(90, 60, 150, 110, "blue")])
    calls: list[str] = []
    session = segmentation._session()
    monkeypatch.setattr(session.predictor, "set_image", _counting(calls, "set_image", session.predictor.set_image))
    first = segmentation.segment.func(image=scene, objects=boxes, points=None)
    second = segmentation.segment.func(image=scene, objects=boxes[:1], points=None)
    assert len(calls) == 1  # the embedding is reused for the second prompt
    assert [b.label for b in first] == ["red", "blue"]
    assert all(b.mask is not None and b.mask.shape == (120, 160) for b in first)
    assert first[0].mask is not None and second[0].mask is not None
    assert np.array_equal(first[0].mask.array, second[0].mask.array)


def test_segment_masks_from_a_crop_align_with_the_root(tiny_models: ModelManager, scene: Image) -> None:
    from visprog_tools.vision import segmentation

    part = scene.crop(Box(80, 50, 160, 120))
    [found] = segmentation.segment.func(image=part, objects=None, points=[[120.0, 85.0]])
    assert found.mask is not None
    mask = found.mask.array
    assert mask.shape == (120, 160) and mask.any()
    assert not mask[:50, :].any() and not mask[:, :80].any()  # nothing outside the crop


def test_segment_equals_sam_predictor(tiny_models: ModelManager, scene: Image) -> None:
    """Side by side with ``SamPredictor`` as SAM's notebook uses it: boxes with
    ``multimask_output=False``; one point, the best of three masks; several points, a
    single mask (``multimask_output=False``)."""
    from segment_anything import SamPredictor
    from visprog_tools.vision import segmentation
    from visprog_tools.vision.specs import SEGMENTER

    predictor = SamPredictor(tiny_models.load(SEGMENTER))
    predictor.set_image(scene.to_array())
    boxes = [Box(10, 10, 70, 60), Box(90, 60, 150, 110)]
    found = segmentation.segment.func(image=scene, objects=Detections(boxes), points=None)
    for box, got in zip(boxes, found):
        masks, scores, _ = predictor.predict(box=np.array(box.as_tuple()), multimask_output=False)
        assert got.mask is not None and np.array_equal(got.mask.array, masks[0])
        assert got.score == pytest.approx(float(scores[0]), abs=1e-5)
    one = [[30.0, 30.0]]
    masks, scores, _ = predictor.predict(point_coords=np.array(one), point_labels=np.ones(1), multimask_output=True)
    [got] = segmentation.segment.func(image=scene, objects=None, points=one)
    assert got.mask is not None and np.array_equal(got.mask.array, masks[int(np.argmax(scores))])
    several = [[30.0, 30.0], [50.0, 40.0], [120.0, 80.0]]
    masks, scores, _ = predictor.predict(point_coords=np.array(several), point_labels=np.ones(3), multimask_output=False)
    [got] = segmentation.segment.func(image=scene, objects=None, points=several)
    assert got.mask is not None and np.array_equal(got.mask.array, masks[0])
    assert got.score == pytest.approx(float(scores[0]), abs=1e-5)


def test_segment_all_equals_sam_automatic_mask_generator(tiny_models: ModelManager, scene: Image) -> None:
    """Side by side with ``SamAutomaticMaskGenerator`` given the same settings: the same
    masks and predicted IoUs, largest first."""
    from segment_anything import SamAutomaticMaskGenerator
    from visprog_tools.vision import segmentation
    from visprog_tools.vision.specs import SEGMENTER

    generator = SamAutomaticMaskGenerator(tiny_models.load(SEGMENTER), points_per_side=2, pred_iou_thresh=0.0, stability_score_thresh=0.0)
    reference = sorted(generator.generate(scene.to_array()), key=lambda r: -r["area"])
    found = segmentation.segment_all.func(image=scene, points_per_side=2, min_score=0.0, min_stability=0.0)
    assert len(found) == len(reference) >= 1
    for box, ref in zip(found, reference):
        assert box.mask is not None and np.array_equal(box.mask.array, ref["segmentation"])
        assert box.score == pytest.approx(float(ref["predicted_iou"]), abs=1e-6)


def _extent(mask: np.ndarray) -> tuple[float, float, float, float]:
    """``(x1, y1, x2, y2)`` of the set pixels, x2/y2 exclusive."""
    ys, xs = np.nonzero(mask)
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


@pytest.mark.parametrize("where", [None, CROP], ids=["root", "crop"])
def test_segment_all_returns_masked_detections(tiny_models: ModelManager, scene: Image, where: Box | None) -> None:
    """Unprompted SAM finds at least one mask on the scene and on a crop of it (the tiny
    model does, with its score filters off); each box is its own mask's extent, in root
    pixels, inside the image that was segmented; largest first."""
    from visprog_tools.vision import segmentation

    image = scene if where is None else scene.crop(where)
    x0, y0 = image.offset
    found = segmentation.segment_all.func(image=image, points_per_side=2, min_score=0.0, min_stability=0.0)
    assert isinstance(found, Detections) and len(found) >= 1
    for box in found:
        assert box.mask is not None and box.mask.shape == (120, 160) and box.mask.area > 0
        assert box.as_tuple() == _extent(box.mask.array)
        x1, y1, x2, y2 = box.as_tuple()
        assert x0 <= x1 and y0 <= y1 and x2 <= x0 + image.width and y2 <= y0 + image.height
        assert box.score is not None and box.score == box.mask.score
    assert [b.mask.area for b in found if b.mask is not None] == sorted((b.mask.area for b in found if b.mask is not None), reverse=True)
    if where is None:
        # The score filter is applied: above every mask's predicted IoU, nothing is left.
        top = max(b.score for b in found if b.score is not None)
        assert 0.0 < top < 0.999  # room above it for a threshold in [0, 1]
        assert len(segmentation.segment_all.func(image=image, points_per_side=2, min_score=top + 1e-3, min_stability=0.0)) == 0


# -- CLIP ----------------------------------------------------------------------------

#: Classes and crops on which the tiny CLIP (templates, no chat model) disagrees: the
#: red block reads as "sky", the blue and green blocks as "car".
CLASSES = ["sky", "car", "bird"]
BLOCKS = [Box(10, 10, 70, 60), Box(90, 60, 150, 110), Box(100, 20, 140, 50)]


def test_image_embeddings_batched_equal_one_by_one(tiny_models: ModelManager, scene: Image) -> None:
    from visprog_tools.vision import clip

    crops = [scene.crop(b) for b in BLOCKS]
    batched = clip.embed_images(crops)
    single = np.concatenate([clip.embed_images([c]) for c in crops])
    assert batched.shape == (3, 32)
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert not np.allclose(batched[0], batched[1], atol=1e-3)  # the crops differ


def test_classify_batched_equals_one_by_one(tiny_models: ModelManager, scene: Image) -> None:
    """Each block classified alone gets a class and a probability; classified together,
    each class keeps its most probable block, with the same probability."""
    from visprog_tools.vision import clip

    alone = []
    for box in BLOCKS:
        [named] = clip.classify.func(image=scene, categories=CLASSES, objects=Detections([box]))
        assert named.as_tuple() == box.as_tuple() and named.score is not None and 0 < named.score <= 1
        alone.append((named.label, named.score))
    assert [label for label, _ in alone] == ["sky", "car", "car"]  # the inputs give different answers

    together = clip.classify.func(image=scene, categories=CLASSES, objects=Detections(BLOCKS))
    expected: dict[str | None, tuple[tuple[float, float, float, float], float]] = {}
    for box, (label, score) in zip(BLOCKS, alone):
        if label not in expected or score > expected[label][1]:
            expected[label] = (box.as_tuple(), score)
    got = {b.label: (b.as_tuple(), b.score) for b in together}
    assert got.keys() == expected.keys() and len(together) == len(expected)
    for label, (where, score) in expected.items():
        assert got[label][0] == where and got[label][1] == pytest.approx(score, rel=1e-4, abs=1e-6)
    assert [b.score for b in together] == sorted((b.score for b in together), reverse=True)

    # One category: the block where it is most probable against "other", as alone.
    [one] = clip.classify.func(image=scene, categories=["car"], objects=Detections(BLOCKS))
    alone_car = [clip.classify.func(image=scene, categories=["car"], objects=Detections([b]))[0].score for b in BLOCKS]
    best = int(np.argmax(alone_car))
    assert one.label == "car" and one.as_tuple() == BLOCKS[best].as_tuple()
    assert one.score == pytest.approx(alone_car[best], rel=1e-4, abs=1e-6)
    # The whole image: classify_image answers what classify gives the whole image.
    [whole] = clip.classify.func(image=scene, categories=CLASSES, objects=None)
    assert clip.classify_image.func(image=scene, categories=CLASSES) == whole.label


def test_cupl_descriptions_from_the_chat_model_are_cached_in_cupl_format(tiny_models: ModelManager) -> None:
    from visprog_tools.vision import clip

    chat = ScriptedChatModel(replies=[f"It has feature {i}. It is seen often." for i in range(100)])
    first = clip.describe_classes(["heron", "egret"], chat_model=chat)
    calls = len(chat.calls)
    again = clip.describe_classes(["heron", "egret"], chat_model=chat)
    assert calls == 2 * len(clip.CUPL_QUESTIONS) and len(chat.calls) == calls  # second time from disk
    assert first == again and all(len(v) >= len(clip.CUPL_QUESTIONS) for v in first.values())
    [stored] = list((tiny_models.config.cache_dir / "cupl").glob("*.json"))
    data = json.loads(stored.read_text())
    assert set(data) == {"heron", "egret"} and all(isinstance(s, str) for s in data["heron"])


def test_templates_without_a_chat_model_and_loaded_cupl_files(tiny_models: ModelManager, tmp_path: Path) -> None:
    from visprog_tools.vision import clip

    assert clip.describe_classes(["heron"])["heron"][0] == "a photo of a heron."
    path = tmp_path / "prompts.json"
    path.write_text(json.dumps({"heron": ["A tall wading bird with a long neck."]}))
    try:
        assert clip.load_class_descriptions(path) == 1
        assert clip.describe_classes(["heron"])["heron"] == ["A tall wading bird with a long neck."]
    finally:
        clip.clear_class_descriptions()


def test_templates_in_place_of_descriptions_are_noted_on_the_call(tiny_models: ModelManager, scene: Image) -> None:
    from visprog_tools.vision import clip

    # No chat model: the class prompts are templates, and the call's trace says so.
    plain = clip.classify_image.invoke({"image": scene, "categories": ["heron", "egret"]}, context=RunContext())
    assert any("plain templates" in n and "2 class(es)" in n for n in plain.notes)

    silent_model = FunctionChatModel(function=lambda messages: "")  # answers nothing usable
    silent = clip.classify_image.invoke({"image": scene, "categories": ["ibis", "stork"]}, context=RunContext(chat_model=silent_model))
    assert sum("in no usable sentence" in n for n in silent.notes) == 2
    # ... and such classes are not stored as if the model had described them.
    assert not list((tiny_models.config.cache_dir / "cupl").glob("*.json"))


def test_published_cupl_file_loads(tiny_models: ModelManager) -> None:
    from visprog_tools.vision import clip

    published = Path(__file__).resolve().parents[2] / "shared" / "data" / "cupl" / "cifar10_prompts_base.json"
    if not published.is_file():
        pytest.skip("../shared/data/cupl is not here")
    try:
        assert clip.load_class_descriptions(published) == 10
        described = clip.describe_classes(["airplane", "cat"])
        assert len(described["cat"]) == 30
    finally:
        clip.clear_class_descriptions()


def test_text_embeddings_are_cached_per_model_and_sentence(tiny_models: ModelManager, monkeypatch: pytest.MonkeyPatch) -> None:
    from visprog_tools.vision import clip
    from visprog_tools.vision.specs import CLIP

    first = clip.embed_sentences(["a photo of a heron.", "a photo of an egret."])
    model = tiny_models.load(CLIP)[0]
    clip.text_cache().clear_memory()  # force the SQLite path
    monkeypatch.setattr(model, "encode_text", lambda *a, **k: pytest.fail("cache miss"))
    again = clip.embed_sentences(["a photo of a heron.", "a photo of an egret."])
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


def test_templates_put_the_article_english_needs(tiny_models: ModelManager) -> None:
    from visprog_tools.vision import clip
    from visprog_tools.vision.phrases import noun_phrase

    described = clip.describe_classes(["heron", "apple", "the red car", "apples", "an owl", "hour glass", "unicorn", "people"])
    assert described["heron"][0] == "a photo of a heron."
    assert described["apple"] == ["a photo of an apple.", "a close-up photo of an apple.", "a photo of the apple."]
    assert described["the red car"] == ["a photo of the red car.", "a close-up photo of the red car.", "a photo of the red car."]
    assert described["apples"][0] == "a photo of apples."
    assert described["an owl"][0] == "a photo of an owl."
    assert described["hour glass"][0] == "a photo of an hour glass."
    assert described["unicorn"][0] == "a photo of a unicorn."
    assert described["people"][0] == "a photo of people."
    assert [noun_phrase(n) for n in ("two dogs", "glass", "bus", "box", "boxes", "3 cups")] == [
        "two dogs", "a glass", "a bus", "a box", "boxes", "3 cups"]


def test_classify_equals_open_clips_zero_shot_recipe(tiny_models: ModelManager, scene: Image) -> None:
    """Side by side with ``open_clip.build_zero_shot_classifier`` and its logits
    (``100 * image @ classifier``, softmax), given the same templates."""
    import open_clip
    from visprog_tools.vision import clip
    from visprog_tools.vision.specs import CLIP

    model, preprocess, tokenizer = tiny_models.load(CLIP)
    templates = [lambda c, i=i: clip.class_templates(c)[i] for i in range(len(clip.TEMPLATES))]
    classifier = open_clip.build_zero_shot_classifier(model, tokenizer, CLASSES, templates, num_classes_per_batch=None, device="cpu")
    crops = [scene.crop(b) for b in BLOCKS]
    with torch.inference_mode():
        features = model.encode_image(torch.stack([preprocess(c.pil) for c in crops]))
        features = features / features.norm(dim=-1, keepdim=True)
        reference = (100.0 * features @ classifier).softmax(dim=-1).numpy()
    for box, row in zip(BLOCKS, reference):
        [named] = clip.classify.func(image=scene, categories=CLASSES, objects=Detections([box]))
        assert named.label == CLASSES[int(row.argmax())]
        assert named.score == pytest.approx(float(row.max()), abs=1e-5)


def test_select_scores_are_probabilities_over_the_candidates(tiny_models: ModelManager, scene: Image) -> None:
    """A CLIP pick's score is the softmax over the candidate crops of ``100 * cosine``:
    in [0, 1], 1.0 for a single candidate (a raw cosine can be negative)."""
    from visprog_tools.vision import clip

    candidates = Detections(BLOCKS)
    [picked] = clip.select.func(image=scene, objects=candidates, query="sky", category=None)
    similarity = clip.embed_images([scene.crop(b) for b in BLOCKS]) @ clip.class_embeddings(["sky"])[:, :].T
    logits = 100.0 * similarity[:, 0]
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert picked.as_tuple() == BLOCKS[int(expected.argmax())].as_tuple()
    assert picked.score == pytest.approx(float(expected.max()), abs=1e-5) and 0.0 <= picked.score <= 1.0
    [alone] = clip.select.func(image=scene, objects=Detections(BLOCKS[:1]), query="bird", category=None)
    assert alone.score == pytest.approx(1.0)


def test_text_embeddings_follow_the_checkpoint_not_its_path(tiny_models: ModelManager, tiny_model_ids: dict[str, str],
                                                           scene: Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the CLIP checkpoint at the same path: classify gives the new model's
    probabilities (as with no cache at all), not the old text embeddings from SQLite.
    The key also holds the device and precision the embeddings were computed in."""
    import open_clip
    from visprog_tools.vision import clip

    from tests.tiny_models import TINY_CLIP
    from visprog.toolkit import result_cache

    checkpoint = tmp_path / "clip.pt"
    arch, original = tiny_model_ids["clip"].split(":", 1)
    checkpoint.write_bytes(Path(original).read_bytes())
    model_id = f"{arch}:{checkpoint}"

    def probabilities(cache_dir: Path) -> list[float]:
        set_model_manager(ModelManager(Config(device="cpu", cache_dir=cache_dir, result_cache=False, models={"clip": model_id}, llm="none")))
        monkeypatch.setattr(result_cache, "_MODEL_REVISIONS", {})  # as in a new process
        [named] = clip.classify.func(image=scene, categories=CLASSES, objects=None)
        clip.text_cache().clear_memory()
        return [float(p) for p in clip._probabilities([scene], CLASSES)[0]] + [named.score or 0.0]

    old = probabilities(tiny_models.config.cache_dir)
    torch.manual_seed(7)
    stat = checkpoint.stat()
    torch.save({"state_dict": open_clip.create_model(TINY_CLIP).state_dict()}, checkpoint)
    os.utime(checkpoint, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    new = probabilities(tiny_models.config.cache_dir)
    fresh = probabilities(tmp_path / "no-cache-yet")
    assert new == pytest.approx(fresh, abs=1e-6) and new != pytest.approx(old, abs=1e-3)

    class HalfOnCpu(ModelManager):
        @property
        def dtype(self) -> str:
            return "float16"

    key = clip.text_model_key()
    set_model_manager(HalfOnCpu(Config(device="cpu", cache_dir=tmp_path, models={"clip": model_id})))
    assert clip.text_model_key() != key and "float16" in clip.text_model_key()


def test_clip_hub_repositories_come_from_open_clips_registry_without_torch(tmp_path: Path) -> None:
    """Presence checks read open_clip's own registry (``list_pretrained``,
    ``get_pretrained_cfg``), not its source, and import no torch doing it."""
    import subprocess
    import sys

    import open_clip
    import visprog_tools.vision.specs as specs

    assert "ast.parse" not in Path(specs.__file__).read_text(encoding="utf-8")
    script = (
        "import sys\nfrom visprog_tools.vision import specs\n"
        "print(specs._clip_hub_repo('ViT-B-32', 'laion2b_s34b_b79k'), specs._clip_hub_repo('RN50', 'openai'))\n"
        "print(len(specs._open_clip_registry().list_pretrained()), 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    repos, last = done.stdout.strip().splitlines()
    expected = [str(open_clip.get_pretrained_cfg(a, t).get("hf_hub", "")).rstrip("/") for a, t in [("ViT-B-32", "laion2b_s34b_b79k"), ("RN50", "openai")]]
    assert repos == " ".join(expected) and all(expected)
    assert last == f"{len(open_clip.list_pretrained())} False"


# -- BLIP ----------------------------------------------------------------------------

@pytest.fixture
def colored() -> list[Image]:
    return [load_image(PIL.Image.new("RGB", (40, 50), c)) for c in ["red", "blue", "white", "black"]]


def test_vqa_batched_equals_one_by_one(tiny_models: ModelManager, colored: list[Image]) -> None:
    from visprog_tools.vision.blip import vqa

    batched = vqa.func(image=colored, question="what color is the car?")
    single = [vqa.func(image=im, question="what color is the car?") for im in colored]
    assert isinstance(batched, list) and batched == single
    assert all(isinstance(a, str) and a for a in batched)
    assert len(set(batched)) > 1  # answers depend on the image


def test_vqa_answers_do_not_depend_on_the_other_questions_in_the_batch(tiny_models: ModelManager, colored: list[Image]) -> None:
    """Questions of different token lengths in one call: each answer is what the model
    card's recipe (``processor(image, question)``, ``generate``) gives that image and
    question alone. BLIP's answer decoder attends to the whole question encoding, padding
    included, so padding the short questions to the long one changes their answers."""
    from visprog_tools.vision.blip import ANSWER_TOKENS, vqa
    from visprog_tools.vision.specs import VQA

    questions = ["what?", "what color is the car?", "is there a red dog or a blue cat in the photo?", "what color?"]
    processor, model = tiny_models.load(VQA)
    assert len({len(processor.tokenizer(q)["input_ids"]) for q in questions}) == 4
    card = []
    for im, q in zip(colored, questions):
        inputs = processor(images=im.pil, text=q, return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=ANSWER_TOKENS, num_beams=1, do_sample=False)
        card.append(processor.decode(out[0], skip_special_tokens=True).strip())
    assert vqa.func(image=colored, question=questions) == card
    # and a question's answer does not change with its neighbours
    assert vqa.func(image=colored[:2], question=questions[:2]) == card[:2]


def test_caption_batched_equals_one_by_one(tiny_models: ModelManager, colored: list[Image]) -> None:
    from visprog_tools.vision.blip import caption

    batched = caption.func(image=colored)
    assert batched == [caption.func(image=im) for im in colored]
    assert isinstance(batched, list) and len(set(batched)) > 1


def test_vqa_argument_errors(tiny_models: ModelManager, colored: list[Image]) -> None:
    result = run_program("A = VQA(image=[LEFT, RIGHT], question=['a?'])\nFINAL=RESULT(var=A)", inputs={"LEFT": colored[0].pil, "RIGHT": colored[1].pil})
    assert result.error is not None and result.error.argument == "question" and "2 images" in result.error.message


# -- result cache --------------------------------------------------------------------

@pytest.fixture
def model_calls(tiny_models: ModelManager, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the tiny detector's and VQA model's invocations, in order."""
    from visprog_tools.vision.specs import DETECTOR, VQA

    calls: list[str] = []
    detector = tiny_models.load(DETECTOR)[1]
    answerer = tiny_models.load(VQA)[1]
    monkeypatch.setattr(detector, "forward", _counting(calls, "detect", detector.forward))
    monkeypatch.setattr(answerer, "generate", _counting(calls, "vqa", answerer.generate))
    yield calls


def test_result_cache_hit_returns_the_same_value_without_calling_the_model(
    model_calls: list[str], tmp_path: Path, scene: Image
) -> None:
    """Run twice with a cache on the same folder: the second run (a new cache object,
    as in a new process) reads detect and vqa from disk, counts them as hits, marks
    them cached in the trace, returns the same answer and calls neither model."""
    program = "B=LOC(image=IMAGE, object='dog')\nA=VQA(image=CROP(image=IMAGE, box=B), question='what is this?')\nFINAL=RESULT(var=A)"
    cold = ResultCache(tmp_path / "results")
    first = run_program(program, scene, context=RunContext(cache=cold))
    assert first.error is None and isinstance(first.result, str) and first.result
    assert model_calls == ["detect", "vqa"] and cold.hits == 0 and cold.misses >= 2

    warm = ResultCache(tmp_path / "results")
    second = run_program(program, scene, context=RunContext(cache=warm))
    assert second.error is None and second.result == first.result
    assert second.variables["B"] == first.variables["B"]
    assert model_calls == ["detect", "vqa"]  # not called again
    assert warm.hits == cold.misses and warm.misses == 0
    cached = {c.tool: c.cached for s in second.trace.steps for c in s.calls if c.tool in ("detect", "vqa")}
    assert cached == {"detect": True, "vqa": True}
    assert not any(c.cached for s in first.trace.steps for c in s.calls)

    # Same cache object: detect is a hit from memory; the changed question is a miss
    # and calls the model. The counters agree with the trace.
    hits = warm.hits
    third = run_program(program.replace("what is this?", "what color is it?"), scene, context=RunContext(cache=warm))
    assert third.error is None and model_calls == ["detect", "vqa", "vqa"] and warm.misses == 1
    third_calls = {c.tool: c.cached for s in third.trace.steps for c in s.calls if c.tool in ("detect", "vqa")}
    assert third_calls == {"detect": True, "vqa": False}
    assert warm.hits - hits == sum(bool(c.cached) for s in third.trace.steps for c in s.calls) >= 1


def test_cache_key_changes_with_the_model(tiny_models: ModelManager, scene: Image) -> None:
    from visprog_tools.vision.detection import detect

    bound = {"image": scene, "query": "dog", "threshold": 0.1, "nms_iou": 0.5}
    other = ModelManager(Config(models={"detector": "somewhere/else"}))
    assert ResultCache(None).key(detect, bound) != ResultCache(None, manager=other).key(detect, bound)
    assert ResultCache(None).key(detect, bound) == ResultCache(None).key(detect, dict(bound))


# -- device and precision --------------------------------------------------------------

def test_device_comes_from_the_config_file_then_the_environment(
    tiny_model_ids: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manager's device comes from the config file, ``VISPROG_DEVICE`` overrides
    it; the loaded model's parameters are on that device in its precision. A device that
    is not here fails with one clear error naming the model, never a silent CPU run."""
    from visprog_tools.vision.specs import DETECTOR

    config = tmp_path / "config.toml"
    config.write_text(f'device = "cuda:1"\ncache_dir = "{tmp_path}"\n[models]\ndetector = "{tiny_model_ids["detector"]}"\n')
    monkeypatch.setenv("VISPROG_CONFIG", str(config))
    monkeypatch.delenv("VISPROG_CACHE_DIR", raising=False)
    monkeypatch.setenv("VISPROG_DEVICE", "cpu")
    on_cpu = ModelManager()
    assert (on_cpu.device, on_cpu.dtype) == ("cpu", "float32")
    _, model = on_cpu.load(DETECTOR)
    assert {(p.device.type, p.dtype) for p in model.parameters()} == {("cpu", torch.float32)}
    assert on_cpu.loaded() == [("transformers", tiny_model_ids["detector"], "cpu")]

    monkeypatch.delenv("VISPROG_DEVICE")
    from_file = ModelManager()
    assert (from_file.device, from_file.dtype) == ("cuda:1", "float16")
    if torch.cuda.device_count() >= 2:
        _, model = from_file.load(DETECTOR)
        assert {(str(p.device), p.dtype) for p in model.parameters()} == {("cuda:1", torch.float16)}
    else:
        with pytest.raises(ModelUnavailable, match=tiny_model_ids["detector"].replace("\\", "\\\\")):
            from_file.load(DETECTOR)
        assert from_file.loaded() == []


def test_auto_device_prefers_cuda_then_mps_then_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def auto(cuda: bool, mps: bool) -> tuple[str, str]:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
        manager = ModelManager(Config(device="auto", cache_dir=tmp_path))
        return manager.device, manager.dtype

    assert auto(cuda=True, mps=True) == ("cuda", "float16")
    assert auto(cuda=False, mps=True) == ("mps", "float32")
    assert auto(cuda=False, mps=False) == ("cpu", "float32")


def test_the_loader_uses_the_managers_precision(tiny_model_ids: dict[str, str], tmp_path: Path) -> None:
    """Whatever precision the manager picks is the one the weights are loaded in."""
    from visprog_tools.vision.specs import DETECTOR

    class HalfOnCpu(ModelManager):
        @property
        def dtype(self) -> str:
            return "float16"

    half = HalfOnCpu(Config(device="cpu", cache_dir=tmp_path, models={"detector": tiny_model_ids["detector"]}))
    _, model = half.load(DETECTOR)
    assert {p.dtype for p in model.parameters()} == {torch.float16}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_loads_half_precision(tiny_model_ids: dict[str, str], tmp_path: Path, scene: Image) -> None:
    from visprog_tools.vision.detection import detect
    from visprog_tools.vision.specs import DETECTOR

    manager = _manager({"detector": tiny_model_ids["detector"]}, tmp_path, device="cuda")
    _, model = manager.load(DETECTOR)
    assert {(p.device.type, p.dtype) for p in model.parameters()} == {("cuda", torch.float16)}
    assert len(detect.func(image=scene, query="dog", threshold=0.0, nms_iou=0.5)) > 0
