"""Open-vocabulary detection (VisProg's LOC) with OWLv2 or OWL-ViT through transformers.

The reference is the model card's recipe (``google/owlv2-base-patch16-ensemble``):
``processor(text=[["a photo of a cat", ...]], images=image)``, the model, then
``processor.post_process_grounded_object_detection(outputs, threshold, target_sizes)``,
with OWLv2's square padding undone by giving the padded square as the target size.
What this tool adds or chooses, each of which can change an answer:

* each query is put in the card's prompt, "a photo of {}", with the article English
  needs ("a photo of a cat", "a photo of an apple", "a photo of the red car", "a photo of
  apples"; ``visprog_tools.vision.phrases``);
* a box is kept when its score is **strictly above** ``threshold`` (the post-processing's
  own ``score > threshold``);
* boxes are clamped to the image (padding can put them past its edge), boxes under a
  pixel wide or tall dropped, and overlapping boxes of the same query merged by
  non-maximum suppression at ``nms_iou`` (the card applies neither);
* queries longer than the tokenizer's ``model_max_length`` (16 tokens for OWL) are
  truncated; shorter ones are padded to it, as the processor does.
"""

from __future__ import annotations

from visprog_tools.image_ops import half_box
from visprog_tools.people import tools as people
from visprog_tools.vision.phrases import with_template
from visprog_tools.vision.specs import DETECTOR

from visprog.errors import ToolError
from visprog.models.manager import model_manager
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image

SPECIAL_QUERIES = ("TOP", "BOTTOM", "LEFT", "RIGHT")
PROMPT = "a photo of {}"
"""The card's prompt; ``{}`` takes the query with its article."""


@tool(family="vision", requires=("torch", "transformers"), cacheable=True, models=[DETECTOR])
def detect(image: Image, query: str | list[str], threshold: float = 0.1, nms_iou: float = 0.5) -> Detections:
    """Find objects described in words (VisProg's LOC), best first.

    The special queries "TOP", "BOTTOM", "LEFT" and "RIGHT" return that half of the
    image without running a model, as in VisProg. When the detector can neither run nor
    be downloaded here, person words ("person", "people", "man", "woman", "child" ...)
    are answered with the people tools' person boxes (with masks) and "hand(s)" with
    their hand boxes, and the trace says so (see ``visprog_tools.people``).

    Args:
        image: where to look; may be a crop (boxes still come back in root coordinates).
        query: what to find, e.g. "dog", or several queries, e.g. ["dog", "cat"].
        threshold: in [0, 1]; a box is kept when its score is strictly above it.
        nms_iou: boxes of the same query overlapping more than this IoU are merged (NMS).

    Returns:
        Detections in root-image pixels, sorted by score, each labelled with its query.
    """
    queries = [query] if isinstance(query, str) else list(query)
    if not queries or not all(q.strip() for q in queries):
        raise ToolError("query must be non-empty text", argument="query")
    if len(queries) == 1 and queries[0] in SPECIAL_QUERIES:
        return Detections([half_box(image, queries[0])])
    if not 0.0 <= threshold <= 1.0:
        raise ToolError("threshold must be in [0, 1]", argument="threshold")
    offline = people.offline_detections(image, queries, DETECTOR)
    if offline is not None:
        return offline
    import torch
    import torchvision

    processor, model = model_manager().load(DETECTOR)
    inputs = processor(text=[[with_template(PROMPT, q) for q in queries]], images=image.pil, return_tensors="pt", truncation=True)
    inputs = {k: v.to(model.device) for k, v in inputs.items()}
    inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
    with torch.inference_mode():
        outputs = model(**inputs)
    width, height = image.size
    # OWLv2 pads the image to a square at the bottom/right before resizing; OWL-ViT does not.
    pads = bool(getattr(getattr(processor, "image_processor", None), "do_pad", False))
    target = (max(width, height), max(width, height)) if pads else (height, width)
    found = processor.post_process_grounded_object_detection(outputs=outputs, threshold=threshold, target_sizes=[target])[0]
    boxes = found["boxes"].float().cpu()
    scores = found["scores"].float().cpu()
    labels = found["labels"].cpu()
    if len(boxes):
        boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)
        boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
        # Degenerate boxes (under a pixel wide or tall) cannot be cropped or shown.
        nonempty = (boxes[:, 2] - boxes[:, 0] >= 1) & (boxes[:, 3] - boxes[:, 1] >= 1)
        boxes, scores, labels = boxes[nonempty], scores[nonempty], labels[nonempty]
        keep = torchvision.ops.batched_nms(boxes, scores, labels, nms_iou)
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
    dx, dy = image.offset
    return Detections(
        [
            Box(float(b[0]) + dx, float(b[1]) + dy, float(b[2]) + dx, float(b[3]) + dy, label=queries[int(i)], score=float(s))
            for b, s, i in zip(boxes.tolist(), scores.tolist(), labels.tolist())
        ]
    )
