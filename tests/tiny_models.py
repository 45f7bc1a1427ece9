"""Tiny random-weight models, built from small configs, saved in each library's own
format, so that the tools' real loaders load them back (no hub, no network)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"] + (
    "a the dog cat red blue green what is color yes no there photo of man woman sky car ? ."
).split()
TINY_CLIP = "visprog-tiny-clip"
TINY_SAM = "vit_tiny_test"


def build_owl(folder: Path, family: str = "owlv2") -> Path:
    """A tiny OWLv2 (or, with ``family="owlvit"``, OWL-ViT) detector saved with
    ``save_pretrained`` in ``folder/family``: 64x64 input, 16-pixel patches (so 16 boxes)."""
    import torch
    import transformers
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    prefix = "Owlv2" if family == "owlv2" else "OwlViT"
    Config: Any = getattr(transformers, f"{prefix}Config")
    Model: Any = getattr(transformers, f"{prefix}ForObjectDetection")
    ImageProcessor: Any = getattr(transformers, f"{prefix}ImageProcessor")
    Processor: Any = getattr(transformers, f"{prefix}Processor")

    # A byte-level vocabulary with no merges: every character is a token.
    to_unicode: Any = bytes_to_unicode
    chars: list[str] = list(to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    # As the real OWL tokenizers: at most 16 tokens (the processor pads every query to
    # that length, padding="max_length"), padded on the right with "!" (id 0).
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=16, pad_token="!", padding_side="right")
    config = Config(
        text_config=dict(
            vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
            max_position_embeddings=16, bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"], pad_token_id=0,
        ),
        vision_config=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37, image_size=64, patch_size=16),
        projection_dim=32,
    )
    torch.manual_seed(0)
    model = Model(config)
    model.eval()
    with torch.no_grad():
        # Random box heads saturate into zero-width boxes; a small last layer keeps the
        # predictions near OWL's grid prior, like a trained model's well-formed boxes.
        model.box_head.dense2.weight.mul_(0.01)
        model.box_head.dense2.bias.zero_()
    if family == "owlv2":
        image_processor = ImageProcessor(size={"height": 64, "width": 64})
    else:
        image_processor = ImageProcessor(size={"height": 64, "width": 64}, crop_size={"height": 64, "width": 64})
    target = folder / family
    model.save_pretrained(target)
    Processor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(target)
    return target


def build_blip(folder: Path, kind: str) -> Path:
    """A tiny BLIP captioner (``kind="caption"``) or VQA model (``"vqa"``) saved in
    ``folder/blip-kind``: 32x32 input, a 25-word vocabulary, special tokens never predicted."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipForQuestionAnswering,
        BlipImageProcessor,
        BlipProcessor,
    )

    # As Salesforce/blip-*-base's tokenizer: 512 tokens at most, padded on the right.
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(WORDS)}, bos_token="[DEC]", model_max_length=512, padding_side="right")
    text = dict(
        vocab_size=len(WORDS), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=32, encoder_hidden_size=32, initializer_range=0.6, bos_token_id=tokenizer.bos_token_id,
        sep_token_id=tokenizer.sep_token_id, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.sep_token_id,
    )
    vision = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37, image_size=32, patch_size=8, initializer_range=0.6)
    config = BlipConfig(text_config=text, vision_config=vision, projection_dim=32)
    torch.manual_seed(0)
    model: Any = (BlipForConditionalGeneration if kind == "caption" else BlipForQuestionAnswering)(config)
    model.eval()
    with torch.no_grad():  # never predict special tokens, so answers are words
        model.text_decoder.cls.predictions.bias[:6] = -100.0
    target = folder / f"blip-{kind}"
    model.save_pretrained(target)
    processor: Any = BlipProcessor
    processor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer).save_pretrained(target)
    return target


def register_tiny_clip(folder: Path) -> None:
    """Register the tiny open_clip architecture ``TINY_CLIP`` (its JSON config in ``folder``)."""
    import open_clip

    config = {
        "embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
        "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    }
    path = folder / f"{TINY_CLIP}.json"
    path.write_text(json.dumps(config))
    open_clip.add_model_config(path)


def build_clip(folder: Path) -> str:
    """A tiny open_clip model (32x32 input, 32-d embeddings); returns its ``ARCH:CHECKPOINT`` id."""
    import open_clip
    import torch

    register_tiny_clip(folder)
    torch.manual_seed(0)
    model = open_clip.create_model(TINY_CLIP)
    checkpoint = folder / "tiny-clip.pt"
    torch.save({"state_dict": model.state_dict()}, checkpoint)
    return f"{TINY_CLIP}:{checkpoint}"


def register_tiny_sam() -> None:
    """Add ``TINY_SAM`` (a 1-layer, 16-wide image encoder) to segment-anything's registry."""
    from segment_anything import sam_model_registry
    from segment_anything.build_sam import _build_sam

    sam_model_registry[TINY_SAM] = functools.partial(
        _build_sam, encoder_embed_dim=16, encoder_depth=1, encoder_num_heads=1, encoder_global_attn_indexes=[0]
    )


def build_sam(folder: Path) -> str:
    """A tiny SAM checkpoint; returns its ``VARIANT:CHECKPOINT`` id."""
    import torch
    from segment_anything import sam_model_registry

    register_tiny_sam()
    torch.manual_seed(0)
    sam = sam_model_registry[TINY_SAM](checkpoint=None)
    checkpoint = folder / "sam-tiny.pth"
    torch.save(sam.state_dict(), checkpoint)
    return f"{TINY_SAM}:{checkpoint}"


def build_all(folder: Path) -> dict[str, str]:
    """Model key -> model id, for every hub-loaded model."""
    return {
        "detector": str(build_owl(folder, "owlv2")),
        "detector_owlvit": str(build_owl(folder, "owlvit")),
        "captioner": str(build_blip(folder, "caption")),
        "vqa": str(build_blip(folder, "vqa")),
        "clip": build_clip(folder),
        "segmenter": build_sam(folder),
    }
