"""Reading a results file back: metrics overall and per question type, a failure
taxonomy, time breakdown; printed as text or written as one self-contained HTML page
(inline SVG plots, no scripts, no network) that links each item to its saved trace."""

from __future__ import annotations

import html
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from visprog.evaluation.runner import read_results

__all__ = ["FAILURE_KINDS", "RAN", "Summary", "format_summary", "outcome", "summarize", "write_report"]

#: Item outcomes, in report order. ``correct`` items have no failure kind.
FAILURE_KINDS = ("correct", "partial_credit", "wrong_answer", "no_program", "checker", "runtime", "input", "internal")
#: The outcome of an item that ran without error, when there is no gold answer (``batch``).
RAN = "ran"


def outcome(record: Mapping[str, Any], metric: str) -> str:
    """An item's outcome: its failure kind, else ``correct`` (``ran`` without gold answers)."""
    kind = record["error_kind"]
    if kind is not None:
        return str(kind)
    return RAN if metric == "none" else "correct"
VQA_RULE = (
    "partial credit (VQA): an answer given by k of the 10 humans scores min(1, k/3) averaged over the "
    "10 ways to leave one human out (1 human 0.3, 2 humans 0.6, 3 humans 0.9, 4 or more 1.0)"
)
VQA_UNANIMOUS = (
    "when all human answers are the same, the official script compares the answer without normalising it, "
    "so '2' scores 0 against ten 'two' answers (and 'Yes' against ten 'yes'); see the item's note"
)
STAGES = ("load_s", "plan_s", "check_s", "run_s", "score_s", "trace_s")
MAX_ROWS = 5000


@dataclass
class Summary:
    """Figures of one results file.

    Attributes:
        path: the results file.
        header: its header line.
        records: item records (last one per id), in file order.
        metric: the metric name.
        overall: ``n`` and the metric's figures (``score``: mean item score, which is
            VQA accuracy for ``vqa``; ``accuracy``: share correct; ``top1``/``top5``;
            ``mean_iou``), each in [0, 1].
        by_type: type key -> value -> ``{"n", "score", "accuracy"}`` (and ``top5``).
        failures: outcome (:data:`FAILURE_KINDS`) -> count.
        runtime_by_tool: for runtime failures, tool (or error kind when no tool) -> count.
        times: mean seconds per item of each stage, ``total_s``, ``model_s``,
            ``other_tools_s`` and ``framework_s``.
        overhead: framework time as a share of model time, over the items the result
            cache did not answer (None without model time).
        noted: items whose tools noted a fallback (an answer reached another way).
        cached: items with at least one tool call answered by the result cache.
    """

    path: Path
    header: dict[str, Any]
    records: list[dict[str, Any]]
    metric: str
    overall: dict[str, float] = field(default_factory=dict)
    by_type: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    runtime_by_tool: dict[str, int] = field(default_factory=dict)
    times: dict[str, float] = field(default_factory=dict)
    overhead: float | None = None
    noted: int = 0
    cached: int = 0

    def record(self, item_id: str) -> dict[str, Any]:
        """The record of one item.

        Raises:
            KeyError: no such item.
        """
        for r in self.records:
            if r["id"] == item_id:
                return r
        raise KeyError(item_id)


def _figures(records: Sequence[Mapping[str, Any]], metric: str) -> dict[str, float]:
    n = len(records)
    out: dict[str, float] = {"n": float(n)}
    if not n:
        return out
    out["score"] = sum(float(r["score"]) for r in records) / n
    out["accuracy"] = sum(1 for r in records if r["correct"]) / n
    if metric == "topk":
        for k in ("top1", "top5"):
            out[k] = sum(float(r.get("extra", {}).get(k, 0.0)) for r in records) / n
    if metric == "iou":
        out["mean_iou"] = sum(float(r.get("extra", {}).get("iou", 0.0)) for r in records) / n
    if metric == "none":
        out["ran"] = sum(1 for r in records if r["error_kind"] is None) / n
    return out


def summarize(path: str | Path, ids: Iterable[str] | None = None) -> Summary:
    """Read a results file and compute its figures (of the items ``ids`` only, when
    given: a ``--limit`` run of a file that holds more).

    Raises:
        InputError: not a results file.
    """
    header, records, _ = read_results(path)
    if ids is not None:
        wanted = set(ids)
        records = [r for r in records if r["id"] in wanted]
    metric = str(header.get("config", {}).get("metric") or header["dataset"]["metric"])
    summary = Summary(Path(path), header, records, metric, overall=_figures(records, metric))
    groups: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        for key, value in (r.get("types") or {}).items():
            groups[key][str(value)].append(r)
    summary.by_type = {
        key: {value: _figures(rs, metric) for value, rs in sorted(values.items())} for key, values in sorted(groups.items())
    }
    kinds = Counter(outcome(r, metric) for r in records)
    order = (RAN, *(k for k in FAILURE_KINDS if k not in ("correct", "partial_credit", "wrong_answer"))) if metric == "none" else FAILURE_KINDS
    summary.failures = {k: kinds.get(k, 0) for k in order} | {k: v for k, v in kinds.items() if k not in order}
    tools = Counter(str(r.get("error_tool") or (r.get("run_error") or {}).get("kind") or "?") for r in records if r["error_kind"] == "runtime")
    summary.runtime_by_tool = dict(tools.most_common())
    summary.noted = sum(1 for r in records if r.get("tool_notes"))
    summary.cached = sum(1 for r in records if r.get("cached_calls"))
    if records:
        n = len(records)
        times = {s: sum(float(r["times"].get(s, 0.0)) for r in records) / n for s in (*STAGES, "total_s")}
        for key in ("model_s", "other_tools_s", "framework_s"):
            times[key] = sum(float(r.get(key, 0.0)) for r in records) / n
        summary.times = times
        # Framework time against model time, over the items whose model calls all ran:
        # an item the result cache answered has next to no model time, so counting it
        # would give shares like 1188%.
        measured = [r for r in records if not r.get("cached_calls")]
        model = sum(float(r.get("model_s", 0.0)) for r in measured)
        summary.overhead = sum(float(r.get("framework_s", 0.0)) for r in measured) / model if model > 0 else None
    return summary


def _main_figures(summary: Summary) -> list[tuple[str, float]]:
    o, metric = summary.overall, summary.metric
    if "score" not in o:
        return []
    if metric == "vqa":
        return [("VQA accuracy", o["score"]), ("items with full credit (accuracy 1)", o["accuracy"])]
    if metric == "topk":
        return [("top-1", o["top1"]), ("top-5", o["top5"])]
    if metric == "iou":
        return [("accuracy (IoU ≥ 0.5)", o["accuracy"]), ("mean IoU", o["mean_iou"])]
    if metric == "none":
        return [("ran without error", o["ran"])]
    return [("accuracy", o["accuracy"])]


def format_summary(summary: Summary) -> str:
    """A few lines for the terminal."""
    h = summary.header
    lines = [f"{h['dataset']['name']}: {int(summary.overall.get('n', 0))} items ({summary.path})"]
    lines += [f"  {name}: {value:.1%}" for name, value in _main_figures(summary)]
    for key, values in summary.by_type.items():
        if len(values) <= 12:
            parts = ", ".join(f"{v} {f['score']:.1%} (n={int(f['n'])})" for v, f in values.items())
            lines.append(f"  by {key}: {parts}")
    fails = ", ".join(f"{k} {v}" for k, v in summary.failures.items() if v)
    lines.append(f"  outcomes: {fails}")
    if summary.failures.get("partial_credit"):
        lines.append(f"  {VQA_RULE}")
    quirk = sum(1 for r in summary.records if str(r.get("note", "")).startswith("official VQA rule"))
    if quirk:
        lines.append(f"  {quirk} items scored 0 by the official rule for unanimous human answers: {VQA_UNANIMOUS}")
    if summary.runtime_by_tool:
        lines.append("  runtime failures by tool: " + ", ".join(f"{k} {v}" for k, v in summary.runtime_by_tool.items()))
    if summary.noted:
        lines.append(f"  {summary.noted} items' tools noted a fallback (see tool_notes in the results)")
    if summary.cached:
        lines.append(f"  {summary.cached} items had tool results from the result cache (their model time is near zero)")
    if summary.times:
        t = summary.times
        share = f", framework/model {summary.overhead:.1%}" if summary.overhead is not None else ""
        if summary.overhead is not None and summary.cached:
            share += " over the items the cache did not answer"
        elif summary.overhead is None and summary.cached:
            share = ", framework/model not measured: the cache answered the model calls"
        lines.append(f"  time per item: {t['total_s']:.3f} s (model {t['model_s']:.3f} s, other tools {t['other_tools_s']:.3f} s, framework {t['framework_s']:.3f} s{share})")
    return "\n".join(lines)


# -- HTML -------------------------------------------------------------------------

_E = html.escape
_OUTCOME_COLORS = {"correct": "#4caf50", "ran": "#4caf50", "partial_credit": "#e0b03a"}
_COLORS = ("#3b7dd8", "#e0803a", "#4caf50", "#c94f4f", "#8e6bbf", "#5bb5c8", "#b0a33a", "#888888")


def bar_chart(
    rows: Sequence[tuple[str, float]], *, percent: bool = True, unit: str = "", color: str = _COLORS[0],
    colors: Sequence[str] | None = None, width: int = 640,
) -> str:
    """Horizontal bars as inline SVG; values are shares in [0, 1] (``percent``) or plain
    numbers with ``unit``; ``colors`` gives each bar its own colour."""
    if not rows:
        return ""
    label_w, bar_h, gap = 220, 18, 6
    top = max((v for _, v in rows), default=0.0)
    scale = 1.0 if percent else (top or 1.0)
    span = width - label_w - 80
    height = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" font-family="sans-serif" font-size="12">']
    for i, (name, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(0.0, min(1.0, value / scale)) * span
        text = f"{value:.1%}" if percent else f"{value:.3g}{unit}"
        short = name if len(name) <= 32 else name[:31] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{_E(short)}</text>')
        fill = colors[i % len(colors)] if colors else color
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{fill}"><title>{_E(name)}: {_E(text)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{_E(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar(parts: Sequence[tuple[str, float]], *, width: int = 640) -> str:
    """One bar split into named parts (e.g. seconds), with a legend, as inline SVG."""
    total = sum(v for _, v in parts) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{30 + 20 * len(parts)}" role="img" font-family="sans-serif" font-size="12">']
    x = 0.0
    for i, (name, value) in enumerate(parts):
        w = value / total * width
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="22" fill="{_COLORS[i % len(_COLORS)]}"><title>{_E(name)}: {value:.4g} s</title></rect>')
        x += w
    for i, (name, value) in enumerate(parts):
        y = 30 + 20 * i
        out.append(f'<rect x="0" y="{y}" width="12" height="12" fill="{_COLORS[i % len(_COLORS)]}"/>')
        out.append(f'<text x="18" y="{y + 11}">{_E(name)}: {value:.4g} s ({value / total:.1%})</text>')
    out.append("</svg>")
    return "".join(out)


def _short(value: Any, limit: int = 80) -> str:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        counts = Counter(value)
        text = ", ".join(f"{k}×{n}" if n > 1 else k for k, n in counts.most_common())
    elif value is None:
        text = ""
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{_E(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top;font-size:13px}
th{background:#f3f3f3}.ok{color:#2e7d32}.bad{color:#c62828}code,pre{font-size:12px;background:#f7f7f7}pre{padding:8px;overflow:auto}
details{margin:8px 0}
"""


def render_html(summary: Summary, *, page_folder: Path | None = None) -> str:
    """The report page; trace links are made relative to ``page_folder`` (default: the
    results file's folder, where the trace paths in the records start)."""
    base = summary.path.parent.resolve()
    folder = page_folder if page_folder is not None else base
    h = summary.header
    ds = h["dataset"]
    title = f"visprog evaluation: {ds['name']}"
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_E(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{_E(title)}</h1>"]
    cfg = h.get("config", {})
    facts = [
        ("items", f"{int(summary.overall.get('n', 0))} of {ds['items']}" + (f" ({ds['skipped_missing']} left out: missing images)" if ds.get("skipped_missing") else "")),
        ("metric", summary.metric), ("program", cfg.get("program_mode", "")), ("chat model", cfg.get("chat_model") or "—"),
        ("class prompts", cfg.get("class_prompts") or "—"), ("seed", str(cfg.get("seed"))), ("backend", h.get("backend", "")),
        ("created", h.get("created", "")), ("config hash", h.get("config_hash", "")[:16]),
    ]
    out.append(_table(["setting", "value"], [[_E(k), _E(str(v))] for k, v in facts]))
    if h.get("program"):
        out.append(f"<details><summary>program</summary><pre>{_E(h['program'])}</pre></details>")
    if h.get("models"):
        rows = [[_E(k), _E(v["configured"]), _E(v["library"])] for k, v in h["models"].items()]
        out.append("<details><summary>models and versions</summary>" + _table(["model key", "id", "library"], rows))
        out.append(_table(["package", "version"], [[_E(k), _E(v)] for k, v in h.get("versions", {}).items()]) + "</details>")
    out.append("<h2>Results</h2>")
    main = _main_figures(summary)
    out.append(_table(["figure", "value"], [[_E(n), f"{v:.2%}"] for n, v in main]))
    for key, values in summary.by_type.items():
        out.append(f"<h3>By {_E(key)}</h3>")
        shown = sorted(values.items(), key=lambda kv: -kv[1]["n"])[:40]
        out.append(bar_chart([(f"{v} (n={int(f['n'])})", f["score"]) for v, f in shown]))
        if len(values) > 40:
            out.append(f"<p>{len(values) - 40} more values of {_E(key)} not shown.</p>")
    out.append("<h2>Failures</h2>")
    outcomes = [(k, v) for k, v in summary.failures.items() if v]
    failures = [(k.replace("_", " "), v / max(1, len(summary.records))) for k, v in outcomes]
    out.append(bar_chart(failures, colors=[_OUTCOME_COLORS.get(k, _COLORS[3]) for k, _ in outcomes]))
    out.append(_table(["outcome", "items"], [[_E(k.replace("_", " ")), str(v)] for k, v in summary.failures.items()]))
    if summary.failures.get("partial_credit"):
        out.append(f"<p>{_E(VQA_RULE[0].upper() + VQA_RULE[1:])}.</p>")
    if any(str(r.get("note", "")).startswith("official VQA rule") for r in summary.records):
        out.append(f"<p>Official VQA rule: {_E(VQA_UNANIMOUS)}.</p>")
    if summary.noted:
        out.append(f"<p>{summary.noted} items' tools noted a fallback; their notes are in the items' detail column.</p>")
    if summary.cached:
        out.append(f"<p>{summary.cached} items had tool results from the result cache (their model time is near zero).</p>")
    if summary.runtime_by_tool:
        out.append("<h3>Runtime failures by tool</h3>" + _table(["tool", "items"], [[_E(k), str(v)] for k, v in summary.runtime_by_tool.items()]))
    if summary.times:
        t = summary.times
        out.append("<h2>Time per item</h2><p>Mean seconds per item, by stage:</p>")
        out.append(stacked_bar([(s.removesuffix("_s"), t[s]) for s in STAGES if t[s] > 0] + [("other", max(0.0, t["total_s"] - sum(t[s] for s in STAGES)))]))
        out.append("<p>Model time (tools that run a model, and LLM calls) against the rest:</p>")
        out.append(stacked_bar([("model", t["model_s"]), ("other tools", t["other_tools_s"]), ("framework", t["framework_s"])]))
        if summary.overhead is not None:
            over = " (over the items the result cache did not answer)" if summary.cached else ""
            out.append(f"<p>Framework time is {summary.overhead:.1%} of model time{over}.</p>")
    out.append("<h2>Items</h2>")
    records = summary.records
    if len(records) > MAX_ROWS:  # failures first, so they stay visible
        records = sorted(records, key=lambda r: r["error_kind"] is None)[:MAX_ROWS]
        out.append(f"<p>Showing {MAX_ROWS} of {len(summary.records)} items, failures first.</p>")
    rows = []
    for r in records:
        link = ""
        if r.get("trace"):
            href = Path(os.path.relpath(base / r["trace"], folder)).as_posix()
            link = f"<a href='{_E(quote(href))}'>trace</a>"
        kind = outcome(r, summary.metric)
        label = _E(kind.replace("_", " "))
        cell = f"<span class='ok'>{label}</span>" if kind in ("correct", RAN) else f"<span class='bad'>{label}</span>"
        detail = _E(_short(r.get("error") or r.get("note") or "; ".join(r.get("tool_notes") or []), 160))
        rows.append([_E(str(r["id"])), _E(_short(r.get("question"))), _E(_short(r.get("answer"))), _E(_short(r.get("gold"))), f"{float(r['score']):.2f}", cell, detail, link])
    out.append(_table(["id", "question", "answer", "gold", "score", "outcome", "detail", ""], rows))
    out.append("</body></html>")
    return "".join(out)


def write_report(summary: Summary, path: str | Path) -> Path:
    """Write the HTML report; trace links are relative to the results file's folder, so
    the page goes next to it (its folder is created if needed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(summary, page_folder=target.parent.resolve()), encoding="utf-8")
    return target
