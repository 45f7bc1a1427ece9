"""People offline: person boxes, per-person masks, pose and hands.

The weights are Google's MediaPipe models (Apache-2.0) taken from the ``mediapipe``
0.10.21 wheel on PyPI (see :mod:`visprog_tools.people.weights`) and run with
``ai-edge-litert``; the pre- and post-processing (SSD anchors, rotated crops, mapping
back to root pixels) is :mod:`visprog_tools.people.pipeline`.
"""
