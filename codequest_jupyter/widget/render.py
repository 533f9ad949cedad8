"""HTML for the panel's HTML widgets, built from the view-model.

Everything that comes from a learner, a test or a challenge (test names, messages,
expected/actual values, captured output, hints, titles, paths) goes through
:func:`esc` before it reaches markup: the HTML widget puts its value into the page as
it is. Styles are inline, with JupyterLab's theme variables and plain fallbacks, so
the panel looks right in any frontend (Notebook 7, JupyterLab, VS Code, Voilà).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from .deadline import late_result_text
from .history import Hints, HistoryEntry
from .model import Banner, RunState, TestRow
from .wording import status_label

FONT = "font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;line-height:1.45"
MONO = (
    "font-family:var(--jp-code-font-family,monospace);font-size:12px;white-space:pre-wrap;"
    "word-break:break-word;margin:2px 0;padding:4px 6px;border-radius:3px;"
    "background:var(--jp-layout-color2,#f3f4f6);max-height:16em;overflow:auto"
)
TONES = {
    "pass": "var(--jp-success-color1,#1a7f37)",
    "fail": "var(--jp-error-color1,#cf222e)",
    "warn": "var(--jp-warn-color1,#9a6700)",
    "idle": "var(--jp-ui-font-color2,#6e7781)",
}
MUTED = TONES["idle"]
RESULT_WORDS = {
    "passed": ("✓", "All tests passed", "pass"),
    "failed": ("✗", "Some tests did not pass", "fail"),
    "error": ("⚠", "The tests could not run", "warn"),
}


def esc(value: object) -> str:
    """``value`` as text that HTML shows literally (quotes escaped too, for attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _pre(text: str | None) -> str:
    return f'<pre style="{MONO}">{esc(text)}</pre>'


def _label(text: str) -> str:
    return f'<div style="color:{MUTED};font-size:11px;margin-top:4px">{esc(text)}</div>'


# -- header -------------------------------------------------------------------------


def header_html(title: str, difficulty: str, what: str, where: str, saved_at: str | None) -> str:
    """The challenge's title, what is graded and where the results go."""
    level = f' <span style="color:{MUTED}">· {esc(difficulty)}</span>' if difficulty else ""
    saved = f" (saved {esc(saved_at)})" if saved_at else ""
    return (
        f'<div style="{FONT}"><div style="font-size:15px;font-weight:600">{esc(title)}{level}</div>'
        f'<div style="color:{MUTED}">Grades the last saved version of '
        f"<code>{esc(what)}</code>{saved}: save the notebook first (Ctrl+S).<br>"
        f"{esc(where)}</div></div>"
    )


def schedule_html(lines: Sequence[tuple[str, str]]) -> str:
    """The deadline, time left, late policy and submissions used, one per line."""
    if not lines:
        return ""
    return (
        f'<div style="{FONT}">'
        + "".join(f'<div style="color:{TONES[tone]}">{esc(text)}</div>' for text, tone in lines)
        + "</div>"
    )


def blocked_html(reason: str | None) -> str:
    """Why Run tests or Submit is off (empty when both are on)."""
    if not reason:
        return ""
    return f'<div style="{FONT};color:{TONES["warn"]}">{esc(reason)}</div>'


# -- tests --------------------------------------------------------------------------


def row_html(row: TestRow) -> str:
    """One test: status, name, points and time; details expand on click."""
    label = row.label
    tone = TONES[label.tone]
    hidden = (
        f' <span style="font-size:11px;padding:0 4px;border:1px solid {MUTED};border-radius:3px;'
        f'color:{MUTED}">hidden</span>'
        if row.hidden
        else ""
    )
    facts = [row.points_text] if row.points_text else []
    if row.finished and row.duration_ms is not None:
        facts.append(f"{row.duration_ms} ms")
    head = (
        f'<span style="color:{tone};font-weight:700" title="{esc(label.label)}">{esc(label.glyph)}</span> '
        f'<span title="{esc(row.id)}">{esc(row.name)}</span>{hidden}'
        f' <span style="color:{tone}">{esc(label.label)}</span>'
        f'<span style="float:right;color:{MUTED}">{esc(" · ".join(facts))}</span>'
    )
    if not row.has_details:
        return f'<div style="{FONT};padding:1px 0">{head}</div>'
    return (
        f'<details style="{FONT};padding:1px 0"><summary style="cursor:pointer">{head}</summary>'
        f'<div style="margin:2px 0 6px 18px">{details_html(row)}</div></details>'
    )


def details_html(row: TestRow) -> str:
    """Message, expected vs actual side by side, captured output, traceback."""
    parts: list[str] = []
    if row.message:
        parts.append(_pre(row.message))
    if row.expected is not None or row.actual is not None:
        parts.append(
            '<div style="display:flex;gap:8px">'
            f'<div style="flex:1;min-width:0">{_label("Expected")}{_pre(row.expected)}</div>'
            f'<div style="flex:1;min-width:0">{_label("Actual")}{_pre(row.actual)}</div></div>'
        )
    if row.output:
        label = (
            "Output (cut at the limit: the end is left out)" if row.output_truncated else "Output"
        )
        parts.append(_label(label) + _pre(row.output))
    if row.traceback:
        parts.append(
            f'<details><summary style="cursor:pointer;color:{MUTED};font-size:11px">Traceback'
            f"</summary>{_pre(row.traceback)}</details>"
        )
    return "".join(parts)


# -- the outcome --------------------------------------------------------------------


def summary_html(state: RunState | None) -> str:
    """``✓ All tests passed · 4/4 passed · 4/4 points · 0.4 s``, or what is happening."""
    if state is None:
        return ""
    what = "Submission" if state.mode == "submit" else "Run"
    summary = state.summary()
    if summary is None:
        if state.phase == "failed":
            return f'<div style="{FONT};color:{TONES["warn"]}">{esc(what)}: not graded</div>'
        return f'<div style="{FONT};color:{MUTED}">{esc(what)}: {esc(state.progress_text())}</div>'
    glyph, words, tone = RESULT_WORDS.get(state.status, ("", state.status, "idle"))
    late = late_result_text(state.result or {})
    late_note = (
        f'<div style="color:{TONES["warn"]}"><b>late</b> · {esc(late)}</div>' if late else ""
    )
    return (
        f'<div style="{FONT}"><b style="color:{TONES[tone]}">{esc(glyph)} {esc(words)}</b>'
        f' <span style="color:{MUTED}">({esc(what.lower())})</span> · {esc(summary)}'
        f"{late_note}</div>"
    )


def _cell_note(error: dict) -> str:
    cell = int(error.get("cell", 0)) + 1
    if error.get("kind") == "timeout":
        return f"<li>Cell {cell} took too long and was interrupted: {esc(error.get('evalue'))}</li>"
    return f"<li>Cell {cell} raised {esc(error.get('ename'))}: {esc(error.get('evalue'))}</li>"


def banner_html(
    banner: Banner | None, cell_errors: Sequence[dict] = (), output_truncated: bool = False
) -> str:
    """The error that stopped the tests, then warnings that did not: the cells that raised
    or timed out while the notebook ran, and output cut at its limit."""
    parts: list[str] = []
    if banner is not None:
        where = (
            f' <span style="font-weight:400">({esc(banner.where)})</span>' if banner.where else ""
        )
        trace = (
            f'<details><summary style="cursor:pointer;font-size:11px">Details</summary>'
            f"{_pre(banner.traceback)}</details>"
            if banner.traceback
            else ""
        )
        parts.append(
            f'<div style="border-left:4px solid {TONES["warn"]};padding:4px 8px;margin:4px 0;'
            f'background:var(--jp-warn-color3,#fff8c5)"><b>⚠ {esc(banner.title)}</b>{where}'
            f'<div style="white-space:pre-wrap">{esc(banner.message)}</div>{trace}</div>'
        )
    shown = banner.cell if banner is not None else None
    notes = [_cell_note(e) for e in cell_errors if e.get("cell") != shown]
    if notes:
        parts.append(
            f'<div style="color:{TONES["warn"]}">While your notebook ran (the tests ran anyway):'
            f'<ul style="margin:2px 0">{"".join(notes)}</ul></div>'
        )
    if output_truncated:
        parts.append(
            f'<div style="color:{MUTED}">Some output was cut at its limit: what a test or '
            "your notebook printed beyond it is left out.</div>"
        )
    return f'<div style="{FONT}">{"".join(parts)}</div>' if parts else ""


# -- history and hints --------------------------------------------------------------


def history_html(entries: Sequence[HistoryEntry], note: str | None = None) -> str:
    """The last submissions: when, mode, status, score, points."""
    if not entries:
        text = note or "No submissions yet."
        return f'<div style="{FONT};color:{MUTED}">{esc(text)}</div>'
    rows = []
    for entry in entries:
        label = status_label(entry.status)
        rows.append(
            "<tr>"
            f'<td style="padding:0 8px 0 0">{esc(entry.when)}</td>'
            f'<td style="padding:0 8px 0 0">{esc("submit" if entry.mode == "submit" else "run")}</td>'
            f'<td style="padding:0 8px 0 0;color:{TONES[label.tone]}">{esc(label.glyph)} {esc(entry.status)}</td>'
            f'<td style="padding:0 8px 0 0">{esc(entry.score_text)}</td>'
            f'<td style="color:{MUTED}">{esc(entry.points_text)}</td>'
            "</tr>"
        )
    extra = f'<div style="color:{MUTED}">{esc(note)}</div>' if note else ""
    return f'<div style="{FONT}"><table style="border-collapse:collapse">{"".join(rows)}</table>{extra}</div>'


def hints_html(hints: Hints | None, error: str | None = None) -> str:
    if error:
        return f'<div style="{FONT};color:{TONES["warn"]}">{esc(error)}</div>'
    if hints is None:
        return ""
    items = "".join(f'<li style="white-space:pre-wrap">{esc(text)}</li>' for text in hints.unlocked)
    body = (
        f'<ul style="margin:2px 0">{items}</ul>' if items else "<div>No hints unlocked yet.</div>"
    )
    more = ""
    if hints.locked:
        noun = "hint unlocks" if hints.locked == 1 else "hints unlock"
        more = f'<div style="color:{MUTED}">{hints.locked} more {noun} after more attempts.</div>'
    return f'<div style="{FONT}">{body}{more}</div>'
