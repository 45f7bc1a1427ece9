"""FACEDET with real weights (YuNet from yuface, OpenCV's Haar cascade) on real photos
from scikit-image, with face counts known by construction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from visprog import Box, Image, ModelUnavailable, ToolError, load_image, run_program

pytest.importorskip("yuface")
pytest.importorskip("cv2")
pytest.importorskip("skimage")

ASTRONAUT_FACE = (172.0, 58.0, 272.0, 180.0)  # hairline to chin, ear to ear (hand-checked)


@pytest.fixture(autouse=True)
def _no_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """Face detection runs on the CPU without torch; don't let 'auto' probe for a GPU."""
    monkeypatch.setenv("VISPROG_DEVICE", "cpu")
    monkeypatch.delenv("VISPROG_MODEL_FACES", raising=False)


def photo(name: str) -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(getattr(data, name)()).convert("RGB")


def tiles(image: PIL.Image.Image, n: int, cell: int) -> PIL.Image.Image:
    small = image.resize((cell, cell), PIL.Image.Resampling.LANCZOS)
    canvas = PIL.Image.new("RGB", (n * cell, n * cell))
    for k in range(n * n):
        canvas.paste(small, ((k % n) * cell, (k // n) * cell))
    return canvas


def faces_in(image: PIL.Image.Image | Image, min_size: int = 24) -> list[tuple[float, float, float, float, float | None]]:
    from visprog_tools.vision.faces import detect_faces

    value = image if isinstance(image, Image) else load_image(image)
    return [(*b.as_tuple(), b.score) for b in detect_faces(image=value, min_size=min_size)]


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0.0, w) * max(0.0, h)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_yunet_is_the_default_and_finds_the_astronauts_face() -> None:
    [face] = faces_in(photo("astronaut"))
    assert iou(face[:4], ASTRONAUT_FACE) > 0.6
    assert face[4] is not None and 0.6 <= face[4] <= 1.0


def test_yunet_finds_the_cameramans_turned_face() -> None:
    [face] = faces_in(photo("camera"))
    assert iou(face[:4], (186.0, 108.0, 258.0, 194.0)) > 0.5


def test_haar_misses_the_cameramans_turned_face(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISPROG_MODEL_FACES", "haar")
    assert faces_in(photo("camera")) == []


@pytest.mark.parametrize("name", ["coffee", "chelsea", "rocket"])
def test_no_faces_on_face_free_photos(name: str) -> None:
    assert faces_in(photo(name)) == []
    assert faces_in(photo(name).resize((2 * photo(name).width, 2 * photo(name).height))) == []


@pytest.mark.parametrize(("n", "cell"), [(2, 256), (3, 200)])
def test_every_face_of_a_tiled_portrait_is_found_once(n: int, cell: int) -> None:
    found = faces_in(tiles(photo("astronaut"), n, cell))
    assert len(found) == n * n
    # One face per tile, each inside its own tile.
    cells = sorted((int((f[0] + f[2]) / 2 // cell), int((f[1] + f[3]) / 2 // cell)) for f in found)
    assert cells == sorted((c, r) for c in range(n) for r in range(n))


def test_a_face_pasted_onto_a_face_free_photo_is_found_where_it_was_put() -> None:
    head = photo("astronaut").crop((130, 0, 320, 250))
    canvas = photo("rocket")
    canvas.paste(head, (400, 100))
    [face] = faces_in(canvas)
    expected = (ASTRONAUT_FACE[0] - 130 + 400, ASTRONAUT_FACE[1] + 100, ASTRONAUT_FACE[2] - 130 + 400, ASTRONAUT_FACE[3] + 100)
    assert iou(face[:4], expected) > 0.6


def test_faces_in_a_crop_come_back_in_root_coordinates() -> None:
    root = load_image(photo("astronaut"))
    part = root.crop(Box(100, 20, 400, 300))
    [whole] = faces_in(root)
    [inside] = faces_in(part)
    assert np.allclose(whole[:4], inside[:4], atol=4)


@pytest.mark.parametrize("backend", ["yunet", "haarcascade_frontalface_default.xml"])
def test_a_picture_over_the_detection_size_is_shrunk_and_says_so(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """YuNet's native code crashed the process (SIGSEGV) on pictures above ~70 MP: a
    bigger picture is shrunk to MAX_DETECT_PIXELS first, boxes come back in the picture's
    own coordinates, and the trace says so. (The limit is lowered here to keep it fast.)"""
    from visprog_tools.vision import faces

    monkeypatch.setenv("VISPROG_MODEL_FACES", backend)
    big = photo("astronaut").resize((1024, 1024), PIL.Image.Resampling.LANCZOS)  # the face at 2x
    monkeypatch.setattr(faces, "MAX_DETECT_PIXELS", 400 * 400)
    run = run_program("F = detect_faces(IMAGE)\nresult(F)", inputs={"IMAGE": big})
    assert run.error is None, run.error
    truth = tuple(2 * v for v in ASTRONAUT_FACE)
    assert max(iou(face.as_tuple(), truth) for face in run.result) > 0.5  # Haar may add a false positive
    [call] = run.trace.steps[0].calls
    assert any("1024x1024 picture was shrunk to 400x400 for face detection" in n for n in call.notes), call.notes


def test_a_face_cut_by_the_image_edge_is_clipped_to_the_image() -> None:
    # The face's left part is cut off: YuNet reports x < 0 there; the box stops at 0.
    cut = photo("astronaut").crop((200, 40, 512, 512))
    [(x1, y1, x2, y2, _)] = faces_in(cut)
    assert x1 == 0.0 and 0 < y1 < y2 <= cut.height and 40 < x2 <= cut.width


def test_min_size_is_checked_and_applied() -> None:
    with pytest.raises(ToolError, match="min_size"):
        faces_in(photo("astronaut"), min_size=0)
    assert faces_in(photo("astronaut"), min_size=150) == []  # the face is about 90x110


@pytest.mark.parametrize("model_id", ["haar", "haarcascade_frontalface_default.xml", "PATH"])
def test_haar_stays_selectable(monkeypatch: pytest.MonkeyPatch, model_id: str) -> None:
    from visprog_tools.vision.specs import resolve_face_model

    if model_id == "PATH":
        _, path = resolve_face_model("haar")
        assert path is not None
        model_id = str(path)
    monkeypatch.setenv("VISPROG_MODEL_FACES", model_id)
    [face] = faces_in(photo("astronaut"))
    assert iou(face[:4], ASTRONAUT_FACE) > 0.5
    assert face[4] is None  # the cascade has no score


def test_an_unknown_face_model_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISPROG_MODEL_FACES", "retinaface")
    with pytest.raises(ModelUnavailable) as caught:
        faces_in(photo("astronaut"))
    message = str(caught.value)
    assert "\n" not in message and "'yunet'" in message and "VISPROG_MODEL_FACES" in message


def test_a_missing_cascade_file_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VISPROG_MODEL_FACES", str(tmp_path / "nope.xml"))
    with pytest.raises(ModelUnavailable, match="nope.xml"):
        faces_in(photo("astronaut"))


def test_presence_is_known_without_loading() -> None:
    from visprog_tools.vision.specs import FACES

    assert FACES.default == "yunet"
    assert FACES.present("yunet", Path("."))
    assert FACES.present("haar", Path("."))
    assert not FACES.present("/no/such/cascade.xml", Path("."))


@pytest.mark.parametrize("backend", ["yunet", "haar"])
def test_eight_threads_get_the_same_faces_as_one(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    monkeypatch.setenv("VISPROG_MODEL_FACES", backend)
    astronaut = photo("astronaut")
    images = [load_image(tiles(astronaut, n, 160)) for n in (1, 2, 3)] + [load_image(photo("coffee"))]
    expected = [faces_in(image) for image in images]
    assert [len(e) for e in expected] == [1, 4, 9, 0]
    jobs = [images[k % len(images)] for k in range(48)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(faces_in, jobs))
    assert got == [expected[k % len(images)] for k in range(48)]


def test_facedet_counts_faces_in_a_program() -> None:
    program = "OBJ0=FACEDET(image=IMAGE)\nN0=COUNT(box=OBJ0)\nFINAL=RESULT(var=N0)"
    result = run_program(program, tiles(photo("astronaut"), 2, 256))
    assert result.error is None
    assert result.result == 4
