"""The QC report as one self-contained HTML page: inline CSS, inline SVG plots, embedded thumbnails."""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from microdrama import __version__
from microdrama.qc.contact_sheet import contact_sheet_html, format_value
from microdrama.qc.plots import bar_plot, line_plot, scatter_plot
from microdrama.qc.rules import RuleResult

if TYPE_CHECKING:
    from microdrama.qc.report import QcReport

_CSS = """
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--pass:#16a34a;--warn:#d97706;--fail:#dc2626}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
header{display:flex;justify-content:space-between;align-items:flex-start;gap:24px;margin-bottom:20px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:17px;margin:0 0 12px}
.sub{color:var(--muted)}
.badge{display:inline-block;padding:4px 10px;border-radius:999px;font-weight:700;font-size:12px;
  letter-spacing:.04em;text-transform:uppercase;color:#fff}
.badge.big{font-size:20px;padding:10px 22px}
.pass{--c:var(--pass)} .warn{--c:var(--warn)} .fail{--c:var(--fail)}
.badge.pass,.badge.warn,.badge.fail{background:var(--c)}
section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin:16px 0}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px}
.fact{background:var(--bg);border-radius:8px;padding:8px 12px}
.fact b{display:block;font-size:17px} .fact span{color:var(--muted);font-size:12px}
ul.problems{margin:0;padding:0;list-style:none}
ul.problems li{border-left:4px solid var(--c);padding:6px 12px;margin:6px 0;background:var(--bg);
  border-radius:0 6px 6px 0}
.sheet{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px}
figure.shot{margin:0;border:2px solid var(--line);border-radius:10px;overflow:hidden;background:#fff}
figure.shot.fail{border-color:var(--fail);box-shadow:0 0 0 3px #fee2e2}
figure.shot.warn{border-color:var(--warn);box-shadow:0 0 0 3px #fef3c7}
figure.shot img,.noimg{display:block;width:100%;aspect-ratio:9/16;object-fit:cover;background:#000}
.noimg{color:#fff;display:flex;align-items:center;justify-content:center}
figcaption{padding:6px 8px 8px;font-size:12px}
.cap-head{display:flex;justify-content:space-between;margin-bottom:4px} .cap-head span{color:var(--muted)}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 8px;margin:0} dt{color:var(--muted)} dd{margin:0;text-align:right;
  font-variant-numeric:tabular-nums}
.chips{margin-top:6px;display:flex;flex-wrap:wrap;gap:4px}
.chip{font-size:10px;padding:1px 6px;border-radius:999px;color:#fff;background:var(--c)}
table{width:100%;border-collapse:collapse;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{text-align:left;color:var(--muted);font-weight:600;background:var(--bg)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td{background:#fef2f2} tr.warn td{background:#fffbeb}
svg.plot{width:100%;height:auto;display:block}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
"""


def _badge(verdict: str, big: bool = False) -> str:
    return f'<span class="badge {verdict}{" big" if big else ""}">{verdict}</span>'


def _shot_links(rule: RuleResult) -> str:
    return ", ".join(f'<a href="#shot-{escape(s)}">{escape(s)}</a>' for s in rule.shots)


def _problems(report: QcReport) -> str:
    items = [r for r in report.rules if r.verdict != "pass"]
    if not items:
        return "<p>Every rule passed.</p>"
    rows = []
    for r in sorted(items, key=lambda r: r.verdict != "fail"):
        shots = f" — shots {_shot_links(r)}" if r.shots else ""
        rows.append(
            f'<li class="{r.verdict}">{_badge(r.verdict)} <b>{escape(r.id)}</b>: {escape(r.description)}. '
            f"Measured {escape(str(r.measured))}, limit {escape(r.threshold)}. {escape(r.detail)}{shots}</li>"
        )
    return f'<ul class="problems">{"".join(rows)}</ul>'


def _facts(report: QcReport) -> str:
    st, au = report.stream, report.audio
    counts = {v: sum(r.verdict == v for r in report.rules) for v in ("pass", "warn", "fail")}
    facts = [
        (f"{st.duration_s:.2f} s", f"{st.frame_count} frames"),
        (f"{st.width}×{st.height}", f"{st.display_aspect} · {st.codec} {st.pix_fmt}"),
        (f"{st.fps:g} fps", f"{st.color_primaries}/{st.color_trc}/{st.color_range}"),
        (f"{len(report.shots)} shots", f"{len(report.shots_to_regenerate())} to regenerate"),
        (f"{format_value(au.integrated_lufs)} LUFS", "integrated loudness"),
        (f"{format_value(au.true_peak_dbtp)} dBTP", "true peak"),
        (f"{counts['pass']} / {counts['warn']} / {counts['fail']}", "rules pass / warn / fail"),
    ]
    return (
        '<div class="facts">'
        + "".join(f'<div class="fact"><b>{a}</b><span>{b}</span></div>' for a, b in facts)
        + "</div>"
    )


def _named_by(report: QcReport, *rule_ids: str) -> dict[str, str]:
    """Shot -> the worst verdict among the given rules that name it."""
    out: dict[str, str] = {}
    for rule in report.rules:
        if rule.id in rule_ids and rule.verdict != "pass":
            for sid in rule.shots:
                out[sid] = "fail" if "fail" in (rule.verdict, out.get(sid)) else rule.verdict
    return out


def _plots(report: QcReport) -> str:
    ids = [s.shot_id for s in report.shots]
    sharp = [s.sharpness for s in report.shots]
    finite_sharp = [v for v in sharp if math.isfinite(v)]
    long_frozen = [run for run in report.frozen_runs if run[1] > report.thresholds.max_frozen_frames]
    luma = line_plot(
        report.frame_luma,
        report.stream.fps,
        [(s.start_frame, s.shot_id) for s in report.shots],
        shade_until_s=report.thresholds.opening_s,
        marks=[(i, 1) for i in report.black_frames] + long_frozen,
        title="Mean luma per frame",
        y_label="mean luma (code value)",
    )
    bars = bar_plot(
        ids,
        sharp,
        highlight=_named_by(report, "video.sharpness_spread", "video.soft_shots"),
        reference=float(np.median(finite_sharp)) if finite_sharp else None,
        title="Sharpness per shot",
        y_label="variance of Laplacian",
    )
    scatter = scatter_plot(
        ids,
        [s.mean_a for s in report.shots],
        [s.mean_b for s in report.shots],
        highlight=_named_by(report, "video.colour_spread"),
        title="Mean a*/b* per shot",
        x_label="a* (green − / red +)",
        y_label="b* (blue − / yellow +)",
    )
    return (
        f"<section><h2>Luma across the episode</h2><p class=sub>Dashed lines are shot cuts; the shaded band is the "
        f"opening {report.thresholds.opening_s:g} s held to stricter limits; red marks black frames and frozen runs."
        f"</p>{luma}</section>"
        f'<div class="grid2"><section><h2>Sharpness per shot</h2>{bars}</section>'
        f"<section><h2>Colour per shot</h2>{scatter}</section></div>"
    )


def _shot_table(report: QcReport) -> str:
    verdicts = report.shot_verdicts()
    rows = []
    for s in report.shots:
        state = verdicts[s.shot_id]
        scores = report.identity.get(s.shot_id, {})
        identity = ", ".join(f"{escape(k)} {v:.2f}" for k, v in sorted(scores.items())) or "–"
        cells = [
            s.start_s,
            s.frame_count,
            s.mean_luma,
            s.mean_a,
            s.mean_b,
            s.sharpness,
            s.flicker,
            s.opening_flicker,
            s.black_frames,
            s.longest_frozen,
        ]
        fmts = [".2f", "d", ".1f", "+.2f", "+.2f", ".0f", ".2f", ".2f", "d", "d"]
        tds = "".join(f'<td class="num">{format_value(v, f)}</td>' for v, f in zip(cells, fmts, strict=True))
        rows.append(
            f'<tr class="{state}"><td><a href="#shot-{escape(s.shot_id)}">{escape(s.shot_id)}</a></td>{tds}'
            f"<td>{identity}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "shot",
            "start s",
            "frames",
            "luma",
            "a*",
            "b*",
            "sharpness",
            "flicker",
            "opening flicker",
            "black",
            "frozen",
            "identity",
        )
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _measured(rule: RuleResult) -> str:
    return "–" if rule.measured is None else str(rule.measured)


def _rule_table(report: QcReport) -> str:
    rows = "".join(
        f'<tr class="{r.verdict if r.verdict != "pass" else ""}"><td><code>{escape(r.id)}</code></td>'
        f"<td>{escape(r.description)}</td><td class=num>{escape(_measured(r))}</td>"
        f"<td>{escape(r.threshold)}</td><td>{_badge(r.verdict)}</td><td>{_shot_links(r)}</td>"
        f"<td>{escape(r.detail)}</td></tr>"
        for r in report.rules
    )
    head = "".join(f"<th>{h}</th>" for h in ("rule", "check", "measured", "limit", "verdict", "shots", "why"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def render_html(report: QcReport) -> str:
    title = f"QC · {report.series_id} / {report.episode_id}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head>
<body><main>
<header><div><h1>{escape(report.title or report.episode_id)}</h1>
<div class="sub">{escape(report.series_id)} · episode {escape(report.episode_id)} · quality control report</div></div>
<div>{_badge(report.verdict, big=True)}</div></header>
<section>{_facts(report)}</section>
<section><h2>Findings</h2>{_problems(report)}</section>
<section><h2>Contact sheet</h2><p class="sub">Middle frame of each shot; outlined shots are named by a rule that
did not pass.</p>{contact_sheet_html(report)}</section>
{_plots(report)}
<section><h2>Measurements per shot</h2>{_shot_table(report)}</section>
<section><h2>Rules</h2>{_rule_table(report)}</section>
<footer>microdrama {escape(__version__)} · thresholds: {
        escape(", ".join(f"{k}={v}" for k, v in report.thresholds.as_dict().items()))
    }</footer>
</main></body></html>
"""
