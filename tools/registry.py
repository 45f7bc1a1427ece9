"""The default registry: every tool of this package plus VisProg's step names.

Found by ``visprog.default_registry()`` through the ``visprog.registries`` entry point.
Building it imports the tool modules, which is cheap: no torch, no weights.
"""

from __future__ import annotations

from visprog_tools import editing, image_ops, knowledge, viper
from visprog_tools.people import tools as people
from visprog_tools.vision import blip, clip, depth, detection, faces, ocr, segmentation

from visprog.toolkit.registry import Registry
from visprog.toolkit.tool import Alias

_CROP = {"image": "image", "box": "box"}
_EDIT = {"image": "image", "object": "objects"}


def build_registry() -> Registry:
    """All tools of ``visprog_tools`` with their VisProg aliases."""
    tools = [
        detection.detect, segmentation.segment, segmentation.segment_all,
        clip.classify, clip.classify_image, clip.select, clip.similarity,
        blip.caption, blip.vqa, faces.detect_faces, ocr.read_text,
        image_ops.crop, image_ops.crop_left_of, image_ops.crop_right_of, image_ops.crop_above,
        image_ops.crop_below, image_ops.crop_in_front_of, image_ops.crop_behind, image_ops.count,
        image_ops.image_half, image_ops.tag,
        editing.color_pop, editing.bg_blur, editing.emoji, editing.replace, editing.blur, editing.pixelate,
        people.detect_people, people.pose, people.hands,
        knowledge.list_items,
        depth.depth,
        # ViperGPT's API: ImagePatch(image), its model-backed methods, the free helpers.
        *viper.TOOLS,
    ]
    aliases = [
        Alias("LOC", "detect", {"image": "image", "object": "query"}),
        Alias("COUNT", "count", {"box": "boxes"}),
        Alias("CROP", "crop", _CROP),
        Alias("CROP_LEFTOF", "crop_left_of", _CROP),
        Alias("CROP_RIGHTOF", "crop_right_of", _CROP),
        Alias("CROP_ABOVE", "crop_above", _CROP),
        Alias("CROP_BELOW", "crop_below", _CROP),
        Alias("CROP_FRONTOF", "crop_in_front_of", _CROP),
        Alias("CROP_INFRONT", "crop_in_front_of", _CROP),
        Alias("CROP_INFRONTOF", "crop_in_front_of", _CROP),
        Alias("CROP_BEHIND", "crop_behind", _CROP),
        Alias("CROP_AHEAD", "crop_behind", _CROP),
        Alias("VQA", "vqa", {"image": "image", "question": "question"}),
        Alias("SEG", "segment_all", {"image": "image"}),
        Alias("SELECT", "select", {"image": "image", "object": "objects", "query": "query", "category": "category"}),
        Alias("COLORPOP", "color_pop", _EDIT),
        Alias("BGBLUR", "bg_blur", _EDIT),
        Alias("REPLACE", "replace", {**_EDIT, "prompt": "prompt"}),
        Alias("EMOJI", "emoji", {**_EDIT, "emoji": "emoji"}),
        Alias("FACEDET", "detect_faces", {"image": "image"}),
        Alias("LIST", "list_items", {"query": "query", "max": "max"}),
        Alias("CLASSIFY", "classify", {"image": "image", "object": "objects", "categories": "categories"}),
        Alias("TAG", "tag", _EDIT),
        Alias("BLUR", "blur", _EDIT),
        Alias("PIXELATE", "pixelate", _EDIT),
        Alias("PERSONDET", "detect_people", {"image": "image"}),
        Alias("POSE", "pose", {"image": "image"}),
        Alias("HANDS", "hands", {"image": "image"}),
    ]
    return Registry(tools, aliases)
