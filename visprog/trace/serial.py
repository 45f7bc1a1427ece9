"""The trace's JSON form: bounded by default, complete on request.

Values go through the value codec (:mod:`visprog.values.codec`), with three changes
that keep a trace small whatever the program did:

* **Images are stored once**, in a table at the top of the document (``"images"``),
  and values refer to them by key (``{"type": "Image", "ref": "i0", ...}``): any value
  type that is one picture (``ValueType.raster``) is stored so; other
  embedded pictures (mask PNGs) likewise go to ``"blobs"`` and are referred to as
  ``{"$blob": "b0"}``.
* **Without ``full``**, an image of more than :data:`EXACT_PIXELS` pixels is stored as
  a JPEG at most :data:`MAX_SIDE` pixels on a side (``"scaled"``/``"lossy"`` say so);
  reading it back scales it to its recorded size, so coordinates stay valid. After
  :data:`MAX_IMAGE_BYTES` of pictures, images are ``"omitted"`` (they come back as grey
  images of the right size). Strings longer than :data:`MAX_STRING` characters and
  containers longer than :data:`MAX_ITEMS` items are replaced by a ``"summary"`` that
  names what was there (read back as a ``"<...>"`` string). The document's
  ``"encoding"`` object counts each of these.
* **Integers of any size** are exact: beyond 4,000 digits they are stored in hex.

With ``full`` every image is a lossless PNG at its own size and nothing is summarised.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import PIL.Image

from visprog.values.codec import MAX_DEPTH, decode_value, encode_value
from visprog.values.protocol import sequence_item_kind, value_type, value_type_named

__all__ = ["EXACT_PIXELS", "MAX_IMAGE_BYTES", "MAX_ITEMS", "MAX_SIDE", "MAX_STRING", "TraceDecoder", "TraceEncoder"]

#: Images with at most this many pixels are stored exactly (PNG) even without ``full``.
EXACT_PIXELS = 128 * 128
#: Largest side of a stored image without ``full``.
MAX_SIDE = 256
#: Bytes of stored pictures after which images are omitted (without ``full``).
MAX_IMAGE_BYTES = 2_000_000
#: Longest string stored whole without ``full``.
MAX_STRING = 20_000
#: Most items of a list, tuple, dict or sequence value type (Detections) stored without ``full``.
MAX_ITEMS = 1_000
#: Integers with more bits than this are stored as hex text (JSON readers and Python's
#: own int-to-text conversion refuse very long decimal numbers).
MAX_PLAIN_INT_BITS = 13_000
#: Embedded data URLs longer than this go to the ``"blobs"`` table.
BLOB_MIN_CHARS = 256


def _data_url(pil: PIL.Image.Image, fmt: str, *, fast: bool = False) -> str:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        pil.save(buffer, format="JPEG", quality=85)
    else:
        pil.save(buffer, format="PNG", compress_level=1 if fast else 6)
    mime = "jpeg" if fmt == "JPEG" else "png"
    return f"data:image/{mime};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_data_url(url: str) -> PIL.Image.Image:
    payload = url.split(",", 1)[1]
    pil = PIL.Image.open(io.BytesIO(base64.b64decode(payload)))
    pil.load()
    return pil


class TraceEncoder:
    """Encodes the values of one trace; :attr:`images`, :attr:`blobs` and
    :meth:`encoding` go into the document beside them.

    Args:
        full: store every image exactly and summarise nothing.
    """

    def __init__(self, *, full: bool = False) -> None:
        self.full = full
        self.images: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, str] = {}
        self._image_keys: dict[int, str] = {}
        self._blob_keys: dict[str, str] = {}
        self._keep: list[Any] = []  # keeps keyed objects alive so that their ids stay theirs
        self._bytes = 0
        self.counts = {"images": 0, "downscaled": 0, "lossy": 0, "omitted": 0, "summarised": 0}

    def encoding(self) -> dict[str, Any]:
        """What was kept and what was reduced, for the document's ``"encoding"`` field."""
        return {"full": self.full, **self.counts}

    def value(self, value: Any, depth: int = 0) -> Any:
        """A JSON-able encoding of one program value."""
        kind = type(value)
        if value is None or kind is bool:
            return value
        if kind is str:
            if not self.full and len(value) > MAX_STRING:
                return self._summary(f"str of {len(value):,} characters, starting {value[:200]!r}")
            return value
        if kind is int:
            if value.bit_length() > MAX_PLAIN_INT_BITS:
                return {"type": "int", "hex": hex(value)}
            return value
        spec = value_type(kind)
        if spec is not None and spec.raster is not None and spec.from_raster is not None:
            return self._raster(spec.name, *spec.raster(value))
        if kind in (list, tuple, dict) or sequence_item_kind(kind) is not None:
            if depth > MAX_DEPTH:
                return {"type": "unknown", "repr": "nested too deeply"}
            if not self.full and len(value) > MAX_ITEMS:
                return self._summary(f"{spec.name if spec is not None else kind.__name__} of {len(value):,} items")
            if kind is list:
                return [self.value(v, depth + 1) for v in value]
            if kind is tuple:
                return {"type": "tuple", "items": [self.value(v, depth + 1) for v in value]}
            if kind is dict:
                return {"type": "dict", "items": [[self.value(k, depth + 1), self.value(v, depth + 1)] for k, v in value.items()]}
        return self._blobbed(encode_value(value))

    def _summary(self, text: str) -> dict[str, Any]:
        self.counts["summarised"] += 1
        return {"type": "summary", "text": f"{text}, not stored; save with full=True (--full) to keep it"}

    def _raster(self, name: str, pil: PIL.Image.Image, meta: dict[str, Any]) -> dict[str, Any]:
        """A value that is one picture (``ValueType.raster``: an Image): the picture goes
        to the image table, once per picture object; the metadata stays inline."""
        key = self._image_keys.get(id(pil))
        if key is None:
            key = f"i{len(self.images)}"
            self._image_keys[id(pil)] = key
            self._keep.append(pil)
            self.images[key] = self._image_entry(pil)
        return {"type": name, **meta, "ref": key}

    def _image_entry(self, pil: PIL.Image.Image) -> dict[str, Any]:
        self.counts["images"] += 1
        entry: dict[str, Any] = {"size": list(pil.size)}
        if self.full or pil.width * pil.height <= EXACT_PIXELS:
            # Full traces can hold hundreds of large images: PNG's fastest level.
            entry["url"] = _data_url(pil, "PNG", fast=self.full)
        elif self._bytes >= MAX_IMAGE_BYTES:
            self.counts["omitted"] += 1
            entry["omitted"] = True
            return entry
        else:
            small = pil
            if max(pil.size) > MAX_SIDE:
                small = pil.copy()
                small.thumbnail((MAX_SIDE, MAX_SIDE))
                entry["scaled"] = True
                self.counts["downscaled"] += 1
            entry["url"] = _data_url(small.convert("RGB"), "JPEG")
            entry["lossy"] = True
            self.counts["lossy"] += 1
        self._bytes += len(entry["url"])
        return entry

    def _blobbed(self, data: Any) -> Any:
        """``data`` with every long data URL moved to the blob table (deduplicated)."""
        if isinstance(data, str):
            if len(data) > BLOB_MIN_CHARS and data.startswith("data:"):
                key = self._blob_keys.get(data)
                if key is None:
                    key = self._blob_keys[data] = f"b{len(self.blobs)}"
                    self.blobs[key] = data
                return {"$blob": key}
            return data
        if isinstance(data, list):
            return [self._blobbed(v) for v in data]
        if isinstance(data, dict):
            return {k: self._blobbed(v) for k, v in data.items()}
        return data


class TraceDecoder:
    """Decodes values written by :class:`TraceEncoder` (and version-1 traces, whose
    images are inline)."""

    def __init__(self, images: dict[str, Any] | None = None, blobs: dict[str, str] | None = None) -> None:
        self.images = images or {}
        self.blobs = blobs or {}
        self._decoded: dict[str, PIL.Image.Image] = {}

    def value(self, data: Any) -> Any:
        if data is None or isinstance(data, (bool, int, str)):
            return data
        if isinstance(data, list):
            return [self.value(v) for v in data]
        if not isinstance(data, dict):
            return f"<{type(data).__name__}>"
        kind = data.get("type")
        if kind == "tuple":
            return tuple(self.value(v) for v in data["items"])
        if kind == "dict":
            return {self.value(k): self.value(v) for k, v in data["items"]}
        if kind == "int" and "hex" in data:
            return int(data["hex"], 16)
        if kind == "summary":
            return f"<{data.get('text', 'summarised')}>"
        spec = value_type_named(str(kind)) if "ref" in data else None
        if spec is not None and spec.from_raster is not None:
            meta = {k: v for k, v in data.items() if k not in ("type", "ref")}
            return spec.from_raster(self._pil(str(data["ref"])), meta)
        return decode_value(self._unblob(data))

    def _pil(self, key: str) -> PIL.Image.Image:
        if key not in self._decoded:
            entry = self.images.get(key)
            if entry is None:
                raise ValueError(f"image {key!r} is missing from the trace's image table")
            size = (int(entry["size"][0]), int(entry["size"][1]))
            if entry.get("omitted"):
                pil = PIL.Image.new("RGB", size, (128, 128, 128))
            else:
                pil = _from_data_url(entry["url"]).convert("RGB")
                if pil.size != size:
                    pil = pil.resize(size, PIL.Image.Resampling.BICUBIC)
            self._decoded[key] = pil
        return self._decoded[key]

    def _unblob(self, data: Any) -> Any:
        if isinstance(data, dict):
            if set(data) == {"$blob"}:
                return self.blobs[data["$blob"]]
            return {k: self._unblob(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self._unblob(v) for v in data]
        return data
