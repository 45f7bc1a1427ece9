"""Every hub-loaded model tool, exercised through its real loader on tiny random-weight
models saved in the library's own format (offline, HF_HUB_OFFLINE=1)."""

from __future__ import annotations

import json

import numpy as np
import PIL.Image
import pytest

from visprog import Box, Detections, Image, load_image, run_program
from visprog.toolkit.context import RunContext

pytestmark = pytest.mark.models

torch = pytest.importorskip("torch")


@pytest.fixture
def scene() -> Image:
    """A 160x120 picture with distinct colored blocks."""
    pixels = np.full((120, 160, 3), 200, dtype=np.uint8)
    pixels[10:60, 10:70] = (220, 30, 30)
    pixels[60:110, 90:150] = (30, 30, 220)
    pixels[20:50, 100:140] = (30, 200, 30)
    return load_image(pixels)


def _boxes(d: Detections) -> list[tuple]:
    return [tuple(round(v, 3) for v in b.as_tuple()) + (b.label, round(b.score, 4)) for b in d]


# -- detection -------------------------------------------------------------------

def test_detect_loads_tiny_owlv2_and_returns_root_boxes(tiny_models, scene):
    from visprog_tools.vision.detection import detect

    found = detect.func(image=scene, query=["dog", "cat"], threshold=0.0, nms_iou=0.5)
    assert isinstance(found, Detections) and len(found) > 0
    assert all(b.label in {"dog", "cat"} for b in found)
    assert all(0 <= b.x1 <= b.x2 <= 160 and 0 <= b.y1 <= b.y2 <= 120 for b in found)
    assert [b.score for b in found] == sorted((b.score for b in found), reverse=True)
    # one instance per (library, id, device), on the configured device and dtype
    [(library, model_id, device)] = tiny_models.loaded()
    assert (library, device, tiny_models.dtype) == ("transformers", "cpu", "float32")
    _, model = tiny_models.load(__import__("visprog_tools.vision.specs", fromlist=["DETECTOR"]).DETECTOR)
    assert next(model.parameters()).dtype == torch.float32


def test_detect_threshold_and_nms(tiny_models, scene):
    from visprog_tools.vision.detection import detect

    low = detect.func(image=scene, query="dog", threshold=0.0, nms_iou=1.0)
    high = detect.func(image=scene, query="dog", threshold=float(np.median([b.score for b in low])), nms_iou=1.0)
    assert 0 < len(high) < len(low)
    assert all(b.score >= float(np.median([x.score for x in low])) for b in high)
    merged = detect.func(image=scene, query="dog", threshold=0.0, nms_iou=0.1)
    assert len(merged) <= len(low)
    assert all(a.iou(b) <= 0.1 + 1e-6 for i, a in enumerate(merged) for b in list(merged)[i + 1 :])


def test_detect_on_a_crop_maps_boxes_back(tiny_models, scene):
    from visprog_tools.vision.detection import detect

    part = scene.crop(Box(40, 30, 150, 110))
    in_crop = detect.func(image=part, query="cat", threshold=0.0, nms_iou=0.5)
    standalone = detect.func(image=Image(part.pil), query="cat", threshold=0.0, nms_iou=0.5)
    assert len(in_crop) == len(standalone) > 0
    for mapped, local in zip(in_crop, standalone):
        assert mapped.as_tuple() == pytest.approx(local.shifted(40, 30).as_tuple())


def test_special_queries_load_no_model(tiny_models, scene):
    from visprog_tools.vision.detection import detect

    assert detect.func(image=scene, query="TOP", threshold=0.1, nms_iou=0.5)[0].as_tuple() == (0, 0, 160, 60)
    assert tiny_models.loaded() == []


def test_owlvit_alternative_loads_through_the_same_tool(tiny_models, tiny_model_ids, scene):
    from visprog.models.config import Config
    from visprog.models.manager import ModelManager, set_model_manager
    from visprog_tools.vision.detection import detect

    manager = ModelManager(Config(device="cpu", cache_dir=tiny_models.config.cache_dir, result_cache=False,
                                  models={"detector": tiny_model_ids["detector_owlvit"]}))
    set_model_manager(manager)
    found = detect.func(image=scene, query="car", threshold=0.0, nms_iou=0.5)
    assert len(found) > 0 and all(0 <= b.x1 <= b.x2 <= 160 and 0 <= b.y2 <= 120 for b in found)
    assert "OwlViT" in type(manager.load(__import__("visprog_tools.vision.specs", fromlist=["x"]).DETECTOR)[1]).__name__


def test_missing_model_offline_is_one_clear_error(tmp_path, scene):
    from visprog.models.config import Config
    from visprog.models.manager import ModelManager, set_model_manager

    set_model_manager(ModelManager(Config(device="cpu", cache_dir=tmp_path, result_cache=False)))
    result = run_program("B=LOC(image=IMAGE, object='dog')\nFINAL=RESULT(var=B)", scene)
    assert result.error is not None and result.error.kind == "ModelUnavailable"
    assert "google/owlv2-base-patch16-ensemble" in result.error.message
    assert "visprog models pull detector" in result.error.message and "VISPROG_MODEL_DETECTOR" in result.error.message
    assert "Traceback" not in result.error.message and len(result.error.message) < 600


# -- segmentation -------------------------------------------------------------------

def test_segment_boxes_one_set_image_many_prompts(tiny_models, scene, monkeypatch):
    from visprog_tools.vision import segmentation

    boxes = Detections([Box(10, 10, 70, 60, "red"), Box(90, 60, 150, 110, "blue")])
    calls = []
    session = segmentation._session()
    original = session.predictor.set_image
    monkeypatch.setattr(session.predictor, "set_image", lambda *a, **k: (calls.append(1), original(*a, **k))[1])
    first = segmentation.segment.func(image=scene, objects=boxes, points=None)
    second = segmentation.segment.func(image=scene, objects=boxes[:1], points=None)
    assert len(calls) == 1  # the embedding is reused for the second prompt
    assert [b.label for b in first] == ["red", "blue"]
    assert all(b.mask is not None and b.mask.shape == (120, 160) for b in first)
    assert np.array_equal(first[0].mask.array, second[0].mask.array)


def test_segment_masks_from_a_crop_align_with_the_root(tiny_models, scene):
    from visprog_tools.vision import segmentation

    part = scene.crop(Box(80, 50, 160, 120))
    [found] = segmentation.segment.func(image=part, objects=None, points=[[120.0, 85.0]])
    mask = found.mask.array
    assert mask.shape == (120, 160)
    assert not mask[:50, :].any() and not mask[:, :80].any()  # nothing outside the crop


def test_segment_all_returns_masked_detections(tiny_models, scene):
    from visprog_tools.vision import segmentation

    found = segmentation.segment_all.func(image=scene, points_per_side=2, min_score=0.0, min_stability=0.0)
    assert isinstance(found, Detections)
    assert all(b.mask is not None and b.mask.shape == (120, 160) and b.mask.area > 0 for b in found)
    assert [b.mask.area for b in found] == sorted((b.mask.area for b in found), reverse=True)


# -- CLIP ----------------------------------------------------------------------------

class CountingChat:
    """A scripted langchain-core chat model that counts its calls."""

    def __init__(self) -> None:
        from langchain_core.language_models.fake_chat_models import FakeListChatModel

        self.model = FakeListChatModel(responses=[f"It has feature {i}. It is seen often." for i in range(100)])
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self.model, name)

    def invoke(self, messages):
        self.calls += 1
        return self.model.invoke(messages)


def test_classify_batched_equals_one_by_one(tiny_models, scene):
    from visprog_tools.vision import clip

    boxes = Detections([Box(10, 10, 70, 60), Box(90, 60, 150, 110), Box(100, 20, 140, 50)])
    crops = [scene.crop(b) for b in boxes]
    batched = clip.embed_images(crops)
    single = np.concatenate([clip.embed_images([c]) for c in crops])
    assert batched.shape == (3, 32)
    np.testing.assert_allclose(batched, single, atol=1e-5)
    named = clip.classify.func(image=scene, categories=["red block", "blue block", "green block"], objects=boxes)
    assert {b.label for b in named} <= {"red block", "blue block", "green block"}
    assert all(0 <= b.score <= 1 for b in named)
    one = clip.classify.func(image=scene, categories=["red block"], objects=boxes)
    assert len(one) == 1 and one[0].label == "red block"
    assert clip.classify_image.func(image=scene, categories=["a", "b"]) in {"a", "b"}


def test_cupl_descriptions_from_the_chat_model_are_cached_in_cupl_format(tiny_models, scene):
    from visprog.toolkit.context import reset_context, set_context
    from visprog_tools.vision import clip

    chat = CountingChat()
    token = set_context(RunContext(chat_model=chat))
    try:
        first = clip.describe_classes(["heron", "egret"])
        calls = chat.calls
        again = clip.describe_classes(["heron", "egret"])
    finally:
        reset_context(token)
    assert calls == 2 * len(clip.CUPL_QUESTIONS) and chat.calls == calls  # second time from disk
    assert first == again and all(len(v) >= len(clip.CUPL_QUESTIONS) for v in first.values())
    [stored] = list((tiny_models.config.cache_dir / "cupl").glob("*.json"))
    data = json.loads(stored.read_text())
    assert set(data) == {"heron", "egret"} and all(isinstance(s, str) for s in data["heron"])


def test_templates_without_a_chat_model_and_loaded_cupl_files(tiny_models, tmp_path):
    from visprog_tools.vision import clip

    assert clip.describe_classes(["heron"])["heron"][0] == "a photo of a heron."
    path = tmp_path / "prompts.json"
    path.write_text(json.dumps({"heron": ["A tall wading bird with a long neck."]}))
    try:
        assert clip.load_class_descriptions(path) == 1
        assert clip.describe_classes(["heron"])["heron"] == ["A tall wading bird with a long neck."]
    finally:
        clip.clear_class_descriptions()


def test_published_cupl_file_loads(tiny_models):
    from pathlib import Path

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


def test_text_embeddings_are_cached_per_model_and_sentence(tiny_models, monkeypatch):
    from visprog_tools.vision import clip
    from visprog_tools.vision.specs import CLIP

    first = clip.embed_sentences(["a photo of a heron.", "a photo of an egret."])
    model = tiny_models.load(CLIP)[0]
    clip.text_cache().clear_memory()  # force the SQLite path
    monkeypatch.setattr(model, "encode_text", lambda *a, **k: pytest.fail("cache miss"))
    again = clip.embed_sentences(["a photo of a heron.", "a photo of an egret."])
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


# -- BLIP ----------------------------------------------------------------------------

@pytest.fixture
def colored() -> list[Image]:
    return [load_image(PIL.Image.new("RGB", (40, 50), c)) for c in ["red", "blue", "white", "black"]]


def test_vqa_batched_equals_one_by_one(tiny_models, colored):
    from visprog_tools.vision.blip import vqa

    batched = vqa.func(image=colored, question="what color is the car?")
    single = [vqa.func(image=im, question="what color is the car?") for im in colored]
    assert isinstance(batched, list) and batched == single
    assert all(isinstance(a, str) and a for a in batched)
    assert len(set(batched)) > 1  # answers depend on the image


def test_caption_batched_equals_one_by_one(tiny_models, colored):
    from visprog_tools.vision.blip import caption

    batched = caption.func(image=colored)
    assert batched == [caption.func(image=im) for im in colored]
    assert len(set(batched)) > 1


def test_vqa_argument_errors(tiny_models, colored):
    result = run_program("A = VQA(image=[LEFT, RIGHT], question=['a?'])\nFINAL=RESULT(var=A)", inputs={"LEFT": colored[0].pil, "RIGHT": colored[1].pil})
    assert result.error is not None and result.error.argument == "question" and "2 images" in result.error.message


# -- result cache --------------------------------------------------------------------

def test_result_cache_hits_are_much_faster(tiny_models, tmp_path, scene):
    from visprog.models.cache import ResultCache

    program = "B=LOC(image=IMAGE, object='dog')\nA=VQA(image=CROP(image=IMAGE, box=B), question='what is this?')\nFINAL=RESULT(var=A)"
    cache = ResultCache(tmp_path / "results")
    first = run_program(program, scene, context=RunContext(cache=cache))
    second = run_program(program, scene, context=RunContext(cache=ResultCache(tmp_path / "results")))
    assert first.error is None and first.result == second.result
    cached = [c.cached for s in second.trace.steps for c in s.calls if c.tool in ("detect", "vqa")]
    assert cached == [True, True]
    miss = sum(c.duration_s for s in first.trace.steps for c in s.calls if c.tool == "vqa")
    hit = sum(c.duration_s for s in second.trace.steps for c in s.calls if c.tool == "vqa")
    assert hit < miss


def test_cache_key_changes_with_the_model(tiny_models, tmp_path, scene):
    from visprog.models.config import Config
    from visprog.models.manager import ModelManager
    from visprog.models.cache import ResultCache
    from visprog_tools.vision.detection import detect

    bound = {"image": scene, "query": "dog", "threshold": 0.1, "nms_iou": 0.5}
    other = ModelManager(Config(models={"detector": "somewhere/else"}))
    assert ResultCache(None).key(detect, bound) != ResultCache(None, manager=other).key(detect, bound)
    assert ResultCache(None).key(detect, bound) == ResultCache(None).key(detect, dict(bound))


def test_device_selection_is_configurable(tmp_path):
    from visprog.models.config import Config
    from visprog.models.manager import ModelManager

    assert ModelManager(Config(device="cpu", cache_dir=tmp_path)).dtype == "float32"
    auto = ModelManager(Config(device="auto", cache_dir=tmp_path))
    assert auto.device == ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
    assert ModelManager(Config(device="cuda:1", cache_dir=tmp_path)).dtype == "float16"
