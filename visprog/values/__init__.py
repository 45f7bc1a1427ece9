"""Layer 1, values: the typed values that flow between tools and programs, and their codec."""

from visprog.values.codec import decode_value, encode_value
from visprog.values.core import Box, Detections, Image, Mask, load_image

__all__ = ["Box", "Detections", "Image", "Mask", "decode_value", "encode_value", "load_image"]
