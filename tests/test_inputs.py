"""The one input normaliser (load_image), value-type validation and the input boundary
(prepare_inputs through run_program): documented rules, one clear InputError each."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from visprog import Box, Detections, Image, InputError, Limits, Mask, Registry, load_image, run_program, tool


def _exif(orientation: int) -> bytes:
    exif = PIL.Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


# How to store an upright picture so that EXIF orientation N displays it upright.
_STORE = {
    2: PIL.Image.Transpose.FLIP_LEFT_RIGHT, 3: PIL.Image.Transpose.ROTATE_180, 4: PIL.Image.Transpose.FLIP_TOP_BOTTOM,
    5: PIL.Image.Transpose.TRANSPOSE, 6: PIL.Image.Transpose.ROTATE_90, 7: PIL.Image.Transpose.TRANSVERSE,
    8: PIL.Image.Transpose.ROTATE_270,
}


@pytest.fixture(scope="module")
def upright() -> np.ndarray:
    from skimage import data

    return np.asarray(data.astronaut())[:120, :80].copy()  # type: ignore[no-untyped-call]


# -- EXIF -----------------------------------------------------------------------------

@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_upright_pixels(tmp_path: Path, upright: np.ndarray, orientation: int) -> None:
    stored = PIL.Image.fromarray(upright)
    if orientation in _STORE:
        stored = stored.transpose(_STORE[orientation])
    path = tmp_path / "phone.png"  # lossless, so the pixels must match exactly
    stored.save(path, exif=_exif(orientation))
    image = load_image(path)
    assert np.array_equal(image.to_array(), upright)
    if orientation == 1:
        assert image.notes == ()
    else:
        assert image.notes[0].startswith(f"rotated by EXIF orientation {orientation} (")


def test_exif_applies_to_in_memory_pil_images_and_bytes(upright: np.ndarray) -> None:
    buffer = io.BytesIO()
    PIL.Image.fromarray(upright).transpose(_STORE[6]).save(buffer, format="PNG", exif=_exif(6))
    from_bytes = load_image(buffer.getvalue())
    from_pil = load_image(PIL.Image.open(io.BytesIO(buffer.getvalue())))
    assert np.array_equal(from_bytes.to_array(), upright)
    assert np.array_equal(from_pil.to_array(), upright)
    assert "rotated by EXIF orientation 6 (rotated 90° clockwise)" in from_pil.notes


def test_phone_photo_stored_sideways_has_its_face_found(tmp_path: Path) -> None:
    """The issue's case: orientation 6 gave 0 faces instead of 1."""
    from skimage import data

    path = tmp_path / "phone.jpg"
    PIL.Image.fromarray(data.astronaut()).transpose(_STORE[6]).save(path, exif=_exif(6), quality=95)  # type: ignore[no-untyped-call]
    result = run_program("F = FACEDET(image=IMAGE)\nN = COUNT(box=F)\nR = RESULT(var=N)", str(path))
    assert result.error is None, result.error
    assert result.result == 1


def test_invalid_exif_orientation_is_noted_not_applied(tmp_path: Path, upright: np.ndarray) -> None:
    path = tmp_path / "odd.png"
    PIL.Image.fromarray(upright).save(path, exif=_exif(9))
    image = load_image(path)
    assert np.array_equal(image.to_array(), upright)
    assert image.notes == ("EXIF orientation 9 is not valid (1-8); ignored",)


# -- dtypes, ranges, modes ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        ([0, 7, 255], np.uint8, [0, 7, 255]),
        ([False, True, True], np.bool_, [0, 255, 255]),
        ([0.0, 0.5, 1.0], np.float32, [0, 128, 255]),
        ([0.0, 0.25, 1.0], np.float64, [0, 64, 255]),
        ([0.0, 0.5, 1.0], np.float16, [0, 128, 255]),
        ([-0.0005, 0.5, 1.0004], np.float64, [0, 128, 255]),  # rounding noise within 1e-3 is clipped
        ([0, 257, 65535], np.uint16, [0, 1, 255]),  # never modulo 256 (256 -> 0 was the bug)
        ([256, 512, 65535], np.uint16, [1, 2, 255]),
        ([7, 100, 255], np.int64, [7, 100, 255]),  # 8-bit data in a wide integer type
        ([0, 1000, 65535], np.int32, [0, 4, 255]),  # 16-bit data in int32 (PIL's 'I')
        ([-32768, 0, 32767], np.int16, [0, 128, 255]),  # negative int16: the full range, never wrapped
        ([0, 100, 200], np.uint32, [0, 100, 200]),
    ],
)
def test_dtype_rules(values: list[object], dtype: type, expected: list[int]) -> None:
    image = load_image(np.array(values, dtype=dtype).reshape(1, 3))
    assert image.to_array()[0, :, 0].tolist() == expected
    assert image.to_array().shape == (1, 3, 3)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.full((2, 2, 3), 200.0), r"values in \[200, 200\]; float images must lie in \[0, 1\]"),
        (np.array([[0.1, np.nan]]), "NaN or infinite"),
        (np.array([[0.1, np.inf]], dtype=np.float32), "NaN or infinite"),
        (np.array([[0, 10**9]], dtype=np.int64), "outside 8- and 16-bit ranges"),
        (np.array([[-5, 3]], dtype=np.int32), "outside 8- and 16-bit ranges"),
        (np.zeros((2, 2), dtype=np.complex64), "dtype complex64 is not an image"),
        (np.array([["a", "b"]]), "is not an image"),
        (np.zeros((3, 40, 50), dtype=np.uint8), r"shape \(3, 40, 50\) looks channel-first"),
        (np.zeros((1, 4, 4, 3), dtype=np.uint8), "an image array is"),
        (np.zeros((4,), dtype=np.uint8), "an image array is"),
        (np.zeros((40, 40, 5), dtype=np.uint8), "an image array is"),
        (np.zeros((0, 4, 3), dtype=np.uint8), "has no pixels"),
    ],
)
def test_arrays_that_cannot_be_images_are_refused(array: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_image(array)


def test_shapes_grey_and_alpha() -> None:
    assert load_image(np.full((3, 5), 9, np.uint8)).to_array()[0, 0].tolist() == [9, 9, 9]
    assert load_image(np.full((3, 5, 1), 9, np.uint8)).size == (5, 3)
    grey_alpha = load_image(np.array([[[0, 128]]], dtype=np.uint8))
    assert grey_alpha.to_array()[0, 0].tolist() == [127, 127, 127]  # half-transparent black over white
    rgba = load_image(np.array([[[255, 0, 0, 0], [0, 0, 255, 255]]], dtype=np.uint8))
    assert rgba.to_array()[0].tolist() == [[255, 255, 255], [0, 0, 255]]
    assert rgba.notes == ("transparent pixels composited over white",)
    opaque = load_image(np.array([[[1, 2, 3, 255]]], dtype=np.uint8))
    assert opaque.to_array()[0, 0].tolist() == [1, 2, 3] and opaque.notes == ()


def test_pil_modes(tmp_path: Path) -> None:
    grey16 = tmp_path / "grey16.png"
    PIL.Image.fromarray(np.array([[0, 32896], [65535, 1000]], dtype=np.uint16)).save(grey16)
    image = load_image(grey16)  # a 16-bit grey PNG used to clip to white
    assert image.to_array()[:, :, 0].tolist() == [[0, 128], [255, 4]]
    assert image.notes == ("16-bit values scaled to 8 bits (value / 257)",)

    floats = PIL.Image.fromarray(np.array([[0.0, 1.0], [0.5, 0.25]], dtype=np.float32))
    assert floats.mode == "F"
    assert load_image(floats).to_array()[:, :, 0].tolist() == [[0, 255], [128, 64]]

    int32 = PIL.Image.fromarray(np.array([[0, 65535]], dtype=np.int32))
    assert int32.mode == "I"
    assert load_image(int32).to_array()[0, :, 0].tolist() == [0, 255]

    palette = PIL.Image.new("P", (4, 4), 0)
    palette.putpalette([0, 0, 0] * 256)
    palette.info["transparency"] = 0
    assert load_image(palette).to_array()[0, 0].tolist() == [255, 255, 255]

    cmyk = load_image(PIL.Image.new("CMYK", (2, 2), (0, 255, 255, 0)))
    assert cmyk.to_array()[0, 0].tolist() == [255, 0, 0]
    assert cmyk.notes == ("converted from CMYK to RGB without a colour profile",)

    assert load_image(PIL.Image.new("1", (2, 2), 1)).to_array()[0, 0].tolist() == [255, 255, 255]


def test_image_constructor_converts_modes_by_the_same_rules() -> None:
    image = Image(PIL.Image.fromarray(np.array([[65535]], dtype=np.uint16)))
    assert image.to_array()[0, 0].tolist() == [255, 255, 255]
    assert image.notes == ("16-bit values scaled to 8 bits (value / 257)",)


def test_multi_frame_images_use_the_first_frame_with_a_note(tmp_path: Path) -> None:
    frames = [PIL.Image.new("RGB", (6, 6), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    image = load_image(tmp_path / "a.gif")
    assert image.to_array()[0, 0].tolist() == [255, 0, 0]
    assert image.notes == ("first of 2 frames used",)


# -- unreadable sources -------------------------------------------------------------------------

def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_unreadable_sources_give_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "noise.jpg").write_bytes(os.urandom(2000))
    (tmp_path / "notes.jpg").write_text("hello")
    (tmp_path / "empty.png").write_bytes(b"")
    good = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    PIL.Image.fromarray(noise).save(good, format="PNG")
    (tmp_path / "cut.png").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    (tmp_path / "folder.png").mkdir()
    cases = {
        tmp_path / "noise.jpg": "noise.jpg: not a readable image",
        tmp_path / "notes.jpg": "notes.jpg: not a readable image",
        tmp_path / "empty.png": "empty.png: not a readable image",
        tmp_path / "cut.png": "cut.png: not a readable image",
        tmp_path / "folder.png": "is a directory, not an image file",
        tmp_path / "missing.jpg": "image not found",
        "https://example.org/cat.jpg": "https://example.org/cat.jpg: URLs are not read",
        b"": "<bytes>: empty",
        b"\x00" * 100: "<bytes>: not a readable image",
        42: "cannot make an image from int",
    }
    for source, message in cases.items():
        with pytest.raises(InputError) as caught:
            load_image(source)
        text = str(caught.value)
        assert message in text, (source, text)
        assert "\n" not in text and "<_io" not in text and "BytesIO object" not in text


def test_a_closed_pil_image_is_an_input_error(tmp_path: Path) -> None:
    PIL.Image.new("RGB", (4, 4)).save(tmp_path / "c.png")
    with PIL.Image.open(tmp_path / "c.png") as image:
        pass
    with pytest.raises(InputError, match="PIL image: cannot read its pixels"):
        load_image(image)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InputError, match="not a regular file"):
        load_image(fifo)
    assert time.monotonic() - started < 1.0


# -- the pixel budget ----------------------------------------------------------------------------

def test_pixel_budget_checked_before_decoding(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(60000, 60000))
    big = tmp_path / "big.png"
    big.write_bytes(_png_header(8000, 8000))
    started = time.monotonic()
    with pytest.raises(InputError, match="larger than the limit"):
        load_image(bomb)
    with pytest.raises(InputError, match=r"8000x8000 = 64,000,000 pixels, larger than the limit of 50,000,000 pixels \(max_image_pixels\)"):
        load_image(big)
    assert time.monotonic() - started < 1.0


RAISE_HINT = (
    "shrink it, or raise the limit: load_image(..., max_pixels=N), Limits(max_image_pixels=N) for run_program "
    "and the others, --max-image-pixels N on the command line"
)


def test_an_image_over_the_limit_says_its_size_the_limit_and_how_to_raise_it(tmp_path: Path) -> None:
    """One line, whatever Pillow thinks of the file: over visprog's limit only (8000^2), over
    Pillow's warning limit (12000^2: no DecompressionBombWarning besides the line), over
    twice it (20000^2: Pillow refuses it before it has a size)."""
    import warnings

    cases = {(8000, 8000): "8000x8000 = 64,000,000 pixels", (12000, 12000): "12000x12000 = 144,000,000 pixels",
             (20000, 20000): "400,000,000 pixels"}
    for (width, height), size in cases.items():
        path = tmp_path / f"{width}.png"
        path.write_bytes(_png_header(width, height))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(InputError) as refused:
                load_image(path)
        assert str(refused.value) == (
            f"{path}: the image is {size}, larger than the limit of 50,000,000 pixels (max_image_pixels); {RAISE_HINT}"
        )
        assert [w.message for w in caught if issubclass(w.category, PIL.Image.DecompressionBombWarning)] == []


def test_a_raised_limit_is_honoured_past_pillows_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow's decompression-bomb limit (a module global; 89M pixels, files over twice it
    refused) gives way to the caller's max_pixels / Limits(max_image_pixels) while the
    image loads, and comes back afterwards. Shown at small scale (Pillow's limit set to
    1,000 pixels, a real 60x50 picture: over twice it) and at full scale (a 20000x20000
    header, which then fails only as the truncated file it is)."""
    path = tmp_path / "small.png"
    PIL.Image.new("RGB", (60, 50), (10, 200, 30)).save(path)
    monkeypatch.setattr(PIL.Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(InputError, match=r"60x50 = 3,000 pixels, larger than the limit of 2,000 pixels"):
        load_image(path, max_pixels=2000)
    image = load_image(path, max_pixels=5000)
    assert image.size == (60, 50) and image.pil.getpixel((5, 5)) == (10, 200, 30)
    result = run_program("R = RESULT(var=IMAGE)", path, limits=Limits(max_image_pixels=5000))
    assert result.error is None and result.result.size == (60, 50)
    assert load_image(path).size == (60, 50)  # the default limit (50M) is the caller's too
    assert PIL.Image.MAX_IMAGE_PIXELS == 1000  # put back
    monkeypatch.undo()
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(20000, 20000))
    with pytest.raises(InputError, match="not a readable image .*truncated"):  # past every size check
        load_image(bomb, max_pixels=400_000_000)
    assert PIL.Image.MAX_IMAGE_PIXELS == int(1024 * 1024 * 1024 // 4 // 3)


def test_pillows_limit_is_put_back_after_concurrent_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loads on many threads with different budgets: each is honoured, Pillow's value comes
    back after the last one; a value someone else set meanwhile is kept."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from visprog.values import core

    path = tmp_path / "small.png"
    PIL.Image.new("RGB", (60, 50)).save(path)
    monkeypatch.setattr(PIL.Image, "MAX_IMAGE_PIXELS", 1000)
    start = threading.Barrier(8)

    def load(budget: int) -> tuple[int, int]:
        start.wait(timeout=60)
        return load_image(path, max_pixels=budget).size

    budgets = [3000, 4000, 5000, 100_000, 3000, 4000, 5000, 100_000] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(load, budgets)) == [(60, 50)] * len(budgets)
    assert PIL.Image.MAX_IMAGE_PIXELS == 1000 and core._PILLOW_LIMIT.raises == []
    with core._PILLOW_LIMIT.allows(5000):
        assert PIL.Image.MAX_IMAGE_PIXELS == 5000
        PIL.Image.MAX_IMAGE_PIXELS = 7000  # e.g. the CLI's --max-image-pixels
    assert PIL.Image.MAX_IMAGE_PIXELS == 7000


def test_pixel_budget_on_arrays_pil_images_and_images() -> None:
    huge = np.broadcast_to(np.uint8(0), (20000, 20000, 3))  # no memory behind it: nothing may copy it
    started = time.monotonic()
    with pytest.raises(InputError, match="20000x20000 = 400,000,000 pixels, larger than the limit"):
        load_image(huge)
    assert time.monotonic() - started < 0.5
    with pytest.raises(InputError, match="larger than the limit of 100 pixels"):
        load_image(PIL.Image.new("RGB", (20, 10)), max_pixels=100)
    with pytest.raises(InputError, match="larger than the limit of 100 pixels"):
        load_image(Image(PIL.Image.new("RGB", (20, 10))), max_pixels=100)


def test_huge_array_input_refused_before_any_tool_runs() -> None:
    huge = np.broadcast_to(np.uint8(0), (20000, 20000, 3))
    with pytest.raises(InputError, match="input 'IMAGE': array: the image is 20000x20000"):
        run_program("F = FACEDET(image=IMAGE)\nR = RESULT(var=F)", huge)
    with pytest.raises(InputError, match="max_image_pixels"):
        run_program("R = RESULT(var=IMAGE)", np.zeros((20, 20, 3), np.uint8), limits=Limits(max_image_pixels=100))


# -- copies and immutability ------------------------------------------------------------------------

def test_inputs_are_copies() -> None:
    pixels = np.zeros((4, 4, 3), np.uint8)
    pil = PIL.Image.fromarray(pixels)
    from_array, from_pil = load_image(pixels), load_image(pil)
    pixels[:] = 255
    pil.paste((255, 255, 255), (0, 0, 4, 4))
    assert from_array.to_array().max() == 0 and from_pil.to_array().max() == 0


def test_values_are_immutable() -> None:
    image = Image(PIL.Image.new("RGB", (4, 4)))
    with pytest.raises(AttributeError):
        image.offset = (1, 1)
    source = np.zeros((4, 4), bool)
    mask = Mask(source, "m", 0.5)
    source[:] = True
    assert mask.area == 0  # the mask holds its own copy
    with pytest.raises(ValueError):
        mask.array[0, 0] = True
    with pytest.raises(AttributeError):
        mask.label = "other"
    import copy

    assert copy.deepcopy(image) is image and copy.deepcopy(mask) is mask


# -- value-type constructors validate their fields -------------------------------------------------------

def test_box_fields_become_plain_values() -> None:
    box = Box(np.int64(1), np.int32(2), np.float32(3.5), 4, label=np.str_("cat"), score=np.float64(0.25))  # type: ignore[arg-type]
    assert [type(v) for v in box.as_tuple()] == [int, int, float, int]
    assert type(box.label) is str and type(box.score) is float
    assert box.area == 5.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x1": float("nan")}, "Box x1 must be finite"),
        ({"x2": float("inf")}, "Box x2 must be finite"),
        ({"x2": np.int64(9_000_000_000_000_000_000)}, r"beyond ±1e\+09 pixels"),
        ({"x2": 10**400}, r"beyond ±1e\+09 pixels"),
        ({"y1": True}, "Box y1 must be a number, got bool"),
        ({"y1": "3"}, "Box y1 must be a number, got str"),
        ({"label": os}, "Box label must be a str or None, got module"),
        ({"label": 7}, "Box label must be a str or None, got int"),
        ({"score": float("nan")}, "Box score must be finite"),
        ({"score": "high"}, "Box score must be a number"),
        ({"x1": 5}, "need x1 <= x2"),
        ({"mask": np.zeros((2, 2), bool)}, "Box mask must be a Mask or None"),
    ],
)
def test_box_fields_are_validated(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"x1": 0, "y1": 0, "x2": 2, "y2": 2, **kwargs}
    with pytest.raises(InputError, match=message):
        Box(**fields)  # type: ignore[arg-type]


def test_detections_and_masks_are_validated() -> None:
    class Sneaky(Box):
        pass

    with pytest.raises(InputError, match="Detections holds Box values, got Sneaky"):
        Detections([Sneaky(0, 0, 1, 1)])
    with pytest.raises(InputError, match="got int"):
        Detections([Box(0, 0, 1, 1), 3])  # type: ignore[list-item]
    with pytest.raises(InputError, match="threshold a soft mask|got dtype float64"):
        Mask(np.full((2, 2), 0.7))
    with pytest.raises(InputError, match="2-D"):
        Mask(np.zeros((2, 2, 2), bool))
    with pytest.raises(InputError, match="Mask label"):
        Mask(np.zeros((2, 2), bool), label=os)  # type: ignore[arg-type]
    assert Mask(np.array([[0, 255], [3, 0]], dtype=np.uint8)).area == 2  # integers: nonzero is inside
    assert repr(Detections([Box(0, 0, 1, 1)])) == "Detections(1 box)"


@tool
def module_labelled() -> Box:
    """A box whose label is a module.

    Returns:
        Never valid.
    """
    return Box(0, 0, 1, 1, label=os)  # type: ignore[arg-type]


def test_a_tool_cannot_hand_a_module_through_a_box_label() -> None:
    result = run_program("b = module_labelled()\nresult(b.label)", registry=Registry([module_labelled]))
    assert result.error is not None and result.error.kind == "ToolError"
    assert "label must be a str" in result.error.message


# -- the input boundary -------------------------------------------------------------------------------------

@tool
def count_items(items: list[str]) -> int:
    """Count items.

    Args:
        items: text items.

    Returns:
        How many.
    """
    return len(items)


REG = Registry([count_items])


def test_str_paths_are_images(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    PIL.Image.new("RGB", (6, 4), (1, 2, 3)).save(path)
    result = run_program("R = RESULT(var=IMAGE)", str(path), registry=REG)
    assert result.error is None and isinstance(result.result, Image) and result.result.size == (6, 4)
    named = run_program("R = RESULT(var=LEFT)", inputs={"LEFT": str(path), "Q": "what is it?"}, registry=REG)
    assert isinstance(named.result, Image)
    text = run_program("R = RESULT(var=Q)", inputs={"Q": "a photo of a cat"}, registry=REG)
    assert text.result == "a photo of a cat"
    with pytest.raises(InputError, match="input 'LEFT': image not found: .*left.jpg"):
        run_program("R = RESULT(var=LEFT)", inputs={"LEFT": str(tmp_path / "left.jpg")}, registry=REG)
    with pytest.raises(InputError, match="input 'IMAGE': image not found"):
        run_program("R = RESULT(var=IMAGE)", str(tmp_path / "nope"), registry=REG)


def test_caller_containers_are_not_changed_by_the_program() -> None:
    names = ["heron", "egret"]
    table = {"a": [1, 2]}
    program = "CLASSES.append('stork')\nT['a'].append(3)\nT['b'] = [0]\nresult(count_items(CLASSES))"
    result = run_program(program, inputs={"CLASSES": names, "T": table}, registry=REG)
    assert result.error is None and result.result == 3
    assert names == ["heron", "egret"] and table == {"a": [1, 2]}


def test_input_values_are_normalised_or_refused() -> None:
    result = run_program("result([N, F, B])", inputs={"N": np.int64(3), "F": np.float32(0.5), "B": np.bool_(True)}, registry=REG)
    assert result.result == [3, 0.5, True] and [type(v) for v in result.result] == [int, float, bool]
    loop: list[object] = []
    loop.append(loop)
    bad = {
        "S": ({1, 2}, "input 'S': unsupported input type set"),
        "M": (os, "input 'M': unsupported input type module"),
        "F": (len, "input 'F': unsupported input type builtin_function_or_method"),
        "L": (loop, "input 'L'.*nested deeper than 20 levels"),
        "D": ({object(): 1}, "input 'D': unsupported input type object"),
    }
    for name, (value, message) in bad.items():
        with pytest.raises(InputError, match=message):
            run_program("result(1)", inputs={name: value}, registry=REG)
    with pytest.raises(InputError, match="input 'IMAGE' is given twice"):
        run_program("result(1)", np.zeros((2, 2, 3), np.uint8), inputs={"IMAGE": np.zeros((2, 2, 3), np.uint8)}, registry=REG)
    with pytest.raises(InputError, match="not a valid program variable"):
        run_program("result(1)", inputs={"_private": 1}, registry=REG)
