"""Threads from an actor's CPU share (issue 22, build item 3), without Ray: the OCR's
onnxruntime sessions take ``OMP_NUM_THREADS`` as their intra-op thread count."""

from __future__ import annotations

import os
import sys

import pytest


def _sessions(engine):
    return [engine.text_det.infer.session, engine.text_cls.infer.session, engine.text_rec.session.session]


def test_ocr_sessions_take_the_threads_of_the_cpu_share(monkeypatch):
    pytest.importorskip("rapidocr_onnxruntime")
    from visprog_tools.vision import specs

    from visprog.evaluation.ray_backend import thread_settings

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, "0")
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    try:
        thread_settings(1)  # what a Ray actor with one CPU does
    finally:
        if torch is not None:
            torch.set_num_threads(before)
    assert specs.ocr_threads() == 1
    engine = specs.OCR.load("rapidocr-pp-ocr", "cpu", "float32", None)
    assert [s.get_session_options().intra_op_num_threads for s in _sessions(engine)] == [1, 1, 1]

    # Unset (or not a usable count): onnxruntime's own default (0: one per core).
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert specs.ocr_threads() is None
    monkeypatch.setenv("OMP_NUM_THREADS", str((os.cpu_count() or 1) + 1))
    assert specs.ocr_threads() is None
    engine = specs.OCR.load("rapidocr-pp-ocr", "cpu", "float32", None)
    assert [s.get_session_options().intra_op_num_threads for s in _sessions(engine)] == [0, 0, 0]
