"""The depth tool and DepthMap: direction (larger = farther), alignment to crops, the
median ViperGPT's compute_depth takes, and the real loader on tiny random-weight
Depth Anything and DPT models (offline; see tests/tiny_depth.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from visprog_tools.vision.depth import (
    CLAMP_FRACTION,
    DepthMap,
    _output_of,
    decode_depth_map,
    depth,
    depth_from_prediction,
    depth_map_picture,
    depth_map_token,
    encode_depth_map,
)

from visprog import (
    Box,
    Image,
    InputError,
    ModelUnavailable,
    Registry,
    ToolError,
    load_image,
)


@pytest.fixture
def scene() -> Image:
    """A 160x120 picture with coloured blocks (the same as test_models_tiny's)."""
    pixels = np.full((120, 160, 3), 200, dtype=np.uint8)
    pixels[10:60, 10:70] = (220, 30, 30)
    pixels[60:110, 90:150] = (30, 30, 220)
    pixels[20:50, 100:140] = (30, 200, 30)
    return load_image(pixels)


# -- DepthMap --------------------------------------------------------------------

def test_median_is_the_lower_middle_value_like_torch() -> None:
    dm = DepthMap(np.array([[1.0, 2.0], [3.0, 4.0]]), Box(0, 0, 2, 2))
    assert dm.median() == 2.0  # numpy's median would say 2.5
    assert dm.median(Box(0, 1, 2, 2)) == 3.0
    assert dm.array.dtype == np.float32 and dm.shape == (2, 2)


def test_median_matches_torch_median_on_random_maps() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    array = rng.random((37, 52)).astype(np.float32)
    dm = DepthMap(array, Box(5, 7, 57, 44))
    for x1, y1, x2, y2 in [(5, 7, 57, 44), (10, 10, 20, 30), (30, 20, 31, 22), (50, 40, 80, 90)]:
        local = array[max(y1 - 7, 0) : min(y2 - 7, 37), max(x1 - 5, 0) : min(x2 - 5, 52)]
        assert dm.median(Box(x1, y1, x2, y2)) == float(torch.from_numpy(local).median())


def test_values_are_read_in_root_coordinates_and_clipped() -> None:
    array = np.arange(12, dtype=np.float32).reshape(3, 4)  # covers root x 10..13, y 20..22
    dm = DepthMap(array, Box(10, 20, 14, 23))
    assert dm.values(Box(11, 21, 13, 22)).tolist() == [5.0, 6.0]
    assert dm.values(Box(0, 0, 11, 21)).tolist() == [0.0]  # only the overlap counts
    assert dm.values(Box(10.4, 20.4, 11.4, 21.4)).tolist() == [0.0]  # corners round to whole pixels
    with pytest.raises(InputError, match=r"covers no pixel of the depth map over \(10, 20, 14, 23\)"):
        dm.median(Box(0, 0, 10, 20))


@pytest.mark.parametrize(
    ("array", "box", "message"),
    [
        (np.zeros((2, 2, 1)), Box(0, 0, 2, 2), "2-D"),
        (np.zeros((2, 3)), Box(0, 0, 2, 2), r"shape \(2, 3\) does not match its box"),
        (np.zeros((2, 2)), Box(0.5, 0, 2.5, 2), "integer corners"),
    ],
)
def test_bad_depth_maps_are_refused_in_one_line(array: np.ndarray, box: Box, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        DepthMap(array, box)
    assert "\n" not in str(info.value)


def test_inverse_depth_is_inverted_so_larger_is_farther() -> None:
    disparity = np.array([[4.0, 2.0, 1.0], [0.5, 0.0, -3.0]], dtype=np.float32)
    values, clamped = depth_from_prediction(disparity, "inverse")
    assert values[0].tolist() == [0.25, 0.5, 1.0]
    assert values[1, 0] == 2.0
    assert clamped == 2  # the zero and the negative (bicubic undershoot) disparities
    floor = 4.0 * CLAMP_FRACTION
    assert values[1, 1] == values[1, 2] == pytest.approx(1 / floor)
    assert values[1, 2] > values[1, 0]  # the clamped pixels read as the farthest
    metric, none = depth_from_prediction(disparity, "metric")
    assert none == 0 and np.array_equal(metric, disparity)


def test_model_kinds() -> None:
    assert _output_of(SimpleNamespace(model_type="dpt")) == ("inverse", "relative")
    assert _output_of(SimpleNamespace(model_type="depth_anything", depth_estimation_type="relative")) == ("inverse", "relative")
    assert _output_of(SimpleNamespace(model_type="depth_anything", depth_estimation_type="metric")) == ("metric", "metric")
    assert _output_of(SimpleNamespace(model_type="dpt", depth_estimation_type="metric")) == ("metric", "metric")
    with pytest.raises(ToolError, match="declares depth_estimation_type 'disparity'"):
        _output_of(SimpleNamespace(model_type="dpt", depth_estimation_type="disparity"))
    with pytest.raises(ToolError, match="depth model type 'glpn' is not supported"):
        _output_of(SimpleNamespace(model_type="glpn"))


def test_depth_is_a_typed_tool_that_imports_no_torch() -> None:
    registry = Registry([depth])
    assert [(p.name, p.type_name) for p in depth.params] == [("image", "Image")]
    assert depth.returns == "DepthMap" and depth.family == "vision"
    assert [m.key for m in depth.models] == ["depth"]
    assert "def depth(image: Image) -> DepthMap:" in registry.stubs()
    code = "import sys, visprog_tools.vision.depth; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_codec_round_trips_exactly_and_tokens_tell_maps_apart() -> None:
    rng = np.random.default_rng(1)
    dm = DepthMap(rng.random((6, 9)).astype(np.float32) * 100, Box(3, 4, 12, 10), kind="metric", clamped=2)
    data = encode_depth_map(dm)
    back = decode_depth_map(json.loads(json.dumps(data)))
    assert np.array_equal(back.array, dm.array) and back.box == dm.box and (back.kind, back.clamped) == ("metric", 2)
    assert back.median(Box(4, 5, 9, 8)) == dm.median(Box(4, 5, 9, 8))
    assert depth_map_token(back) == depth_map_token(dm)
    other = DepthMap(dm.array + 1, dm.box, kind="metric")
    assert depth_map_token(other) != depth_map_token(dm)
    with pytest.raises(InputError, match="not an encoded depth map"):
        decode_depth_map({"box": [0, 0, 2, 2], "kind": "relative", "clamped": 0, "float32": "AAAA"})


def test_picture_shows_near_as_bright() -> None:
    array = np.tile(np.linspace(1.0, 10.0, 50, dtype=np.float32), (20, 1))  # near on the left
    picture = depth_map_picture(DepthMap(array, Box(0, 0, 50, 20)))
    pixels = np.asarray(picture)
    assert picture.size == (50, 20) and picture.mode == "L"
    assert pixels[0, 0] == 255 and pixels[0, -1] == 0 and (np.diff(pixels[0].astype(int)) <= 0).all()


# -- through the real loader, on tiny models --------------------------------------

@pytest.fixture(scope="session")
def tiny_depth_ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.tiny_depth import build_depth_anything, build_dpt

    folder = tmp_path_factory.mktemp("tiny-depth")
    return {
        "random": build_depth_anything(folder),
        "constant": build_depth_anything(folder, constant=2.0),
        "metric": build_depth_anything(folder, kind="metric", constant=0.0),
        "dpt": build_dpt(folder),
        "dpt-metric": build_dpt(folder, declared="metric"),
    }


def _use(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("VISPROG_MODEL_DEPTH", str(folder))
    monkeypatch.setenv("VISPROG_DEVICE", "cpu")


@pytest.mark.models
def test_relative_model_gives_one_over_its_prediction(
    tiny_depth_ids: dict[str, Path], monkeypatch: pytest.MonkeyPatch, scene: Image
) -> None:
    _use(monkeypatch, tiny_depth_ids["constant"])
    dm = depth.func(image=scene)
    assert isinstance(dm, DepthMap) and dm.kind == "relative" and dm.clamped == 0
    assert dm.shape == (120, 160) and dm.box.as_tuple() == (0, 0, 160, 120)
    np.testing.assert_allclose(dm.array, 0.5, rtol=1e-5)  # prediction ReLU(2.0) * max_depth 1 = 2
    assert dm.median(Box(10, 10, 70, 60)) == pytest.approx(0.5, rel=1e-5)


@pytest.mark.models
def test_metric_model_is_kept_as_metres(tiny_depth_ids: dict[str, Path], monkeypatch: pytest.MonkeyPatch, scene: Image) -> None:
    _use(monkeypatch, tiny_depth_ids["metric"])
    dm = depth.func(image=scene)
    assert dm.kind == "metric" and dm.clamped == 0
    np.testing.assert_allclose(dm.array, 10.0, rtol=1e-5)  # sigmoid(0) * max_depth 20


@pytest.mark.models
def test_depth_of_a_crop_covers_the_crop_in_root_coordinates(
    tiny_depth_ids: dict[str, Path], monkeypatch: pytest.MonkeyPatch, scene: Image
) -> None:
    _use(monkeypatch, tiny_depth_ids["random"])
    part = scene.crop(Box(40, 30, 150, 110))
    in_crop = depth.func(image=part)
    standalone = depth.func(image=Image(part.pil))
    assert in_crop.box.as_tuple() == (40, 30, 150, 110) and in_crop.shape == (80, 110)
    assert standalone.box.as_tuple() == (0, 0, 110, 80)
    np.testing.assert_array_equal(in_crop.array, standalone.array)
    assert np.isfinite(in_crop.array).all() and (in_crop.array > 0).all()
    assert len(np.unique(in_crop.array)) > 100  # a real, varying prediction, not a constant
    # the same pixels, addressed in root coordinates and in the crop's own
    assert in_crop.median(Box(60, 50, 100, 90)) == standalone.median(Box(20, 20, 60, 60))
    assert in_crop.median(Box(60, 50, 100, 90)) == float(np.sort(in_crop.array[20:60, 20:60], axis=None)[(1600 - 1) // 2])


@pytest.mark.models
def test_dpt_checkpoints_load_too(tiny_depth_ids: dict[str, Path], monkeypatch: pytest.MonkeyPatch, scene: Image) -> None:
    _use(monkeypatch, tiny_depth_ids["dpt"])
    dm = depth.func(image=scene)
    assert dm.kind == "relative" and dm.shape == (120, 160)
    assert np.isfinite(dm.array).all() and (dm.array > 0).all()


@pytest.mark.models
@pytest.mark.parametrize("name", ["random", "dpt", "dpt-metric"])
def test_depth_equals_the_depth_estimation_pipeline(
    name: str, tiny_depth_ids: dict[str, Path], monkeypatch: pytest.MonkeyPatch, scene: Image
) -> None:
    """Side by side with ``pipeline("depth-estimation")``: ``1 / predicted_depth`` for a
    relative checkpoint, ``predicted_depth`` itself for a DPT that declares metric output
    (``depth_estimation_type`` in its config)."""
    from transformers import pipeline

    _use(monkeypatch, tiny_depth_ids[name])
    dm = depth.func(image=scene)
    predicted = pipeline("depth-estimation", model=str(tiny_depth_ids[name]), device="cpu")(scene.pil)["predicted_depth"]
    reference = predicted.float().reshape(scene.height, scene.width).numpy()
    if name == "dpt-metric":
        assert dm.kind == "metric"
        np.testing.assert_allclose(dm.array, reference, rtol=1e-5)
    else:
        assert dm.kind == "relative"
        positive = reference > reference.max() * 1e-3
        np.testing.assert_allclose(dm.array[positive], 1.0 / reference[positive], rtol=1e-5)


@pytest.mark.models
def test_missing_model_fails_with_one_line_naming_the_key(monkeypatch: pytest.MonkeyPatch, scene: Image) -> None:
    pytest.importorskip("transformers")
    monkeypatch.setenv("VISPROG_MODEL_DEPTH", "nobody/no-such-depth-model")
    monkeypatch.setenv("VISPROG_DEVICE", "cpu")
    with pytest.raises(ModelUnavailable, match=r"'nobody/no-such-depth-model'.*visprog models pull depth.*VISPROG_MODEL_DEPTH"):
        depth.func(image=scene)


def test_deliberate_deviations_from_the_references_are_documented() -> None:
    """Each choice that makes a tool's answer differ from its reference recipe is stated
    where users read it: the tool's description (``visprog tools --json``, the planner's
    prompt) or its module's docstring (issue 20)."""
    import visprog_tools.vision.blip as blip
    import visprog_tools.vision.clip as clip
    import visprog_tools.vision.depth as depth_module
    import visprog_tools.vision.detection as detection
    import visprog_tools.vision.segmentation as segmentation

    def said(text: str, *phrases: str) -> None:
        flat = " ".join(text.split())
        missing = [p for p in phrases if p not in flat]
        assert not missing, missing

    said(detection.detect.func.__doc__ or "", "strictly above")
    said(detection.__doc__ or "", "strictly above", "non-maximum suppression", "a photo of an apple")
    said(clip.__doc__ or "", "three templates", 'extra class "other"', "open_clip.build_zero_shot_classifier")
    said(clip.select.func.__doc__ or "", "probability over the candidates")
    said(segmentation.__doc__ or "", "points_per_side=16", "(SAM: 32", "0.95", "multimask_output=False")
    said(blip.__doc__ or "", "30 new tokens", "same token length")
    said(depth_module.__doc__ or "", 'declare ``"depth_estimation_type": "metric"``')
