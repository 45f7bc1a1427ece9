"""Layer 1, values: the typed values that flow between tools and programs, the
value-type protocol that registers them once, and their JSON codec."""

from visprog.values.codec import decode_value, encode_value
from visprog.values.core import Box, Detections, Image, Mask, load_image
from visprog.values.patch import ImagePatch, VideoSegment  # registers the ViperGPT value types
from visprog.values.protocol import ValueType, is_sandbox_value, register_value_type, value_type, value_types

__all__ = [
    "Box", "Detections", "Image", "ImagePatch", "Mask", "VideoSegment", "ValueType", "decode_value", "encode_value", "is_sandbox_value",
    "load_image", "register_value_type", "value_type", "value_types",
]
