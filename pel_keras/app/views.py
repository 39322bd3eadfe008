"""HTML of the page's verdict card and batch table, decided at the page's threshold (nothing re-scored).

File names and reasons come from users and files, so every one is escaped.
"""

import dataclasses
import html

from pel_keras.prediction.results import ERROR, NO_FACE, OK

CSS = """
.pel-verdict {display: flex; align-items: center; gap: 1.2rem; padding: 0.9rem 1.2rem; border-radius: 10px;
  border: 1px solid var(--border-color-primary); background: var(--block-background-fill);}
.pel-badge {font-size: 1.9rem; font-weight: 700; letter-spacing: 0.06em; padding: 0.25rem 1rem; border-radius: 8px;
  color: white; white-space: nowrap;}
.pel-badge.small {font-size: 0.85rem; padding: 0.1rem 0.55rem; border-radius: 5px; letter-spacing: 0.03em;}
.pel-fake {background: #c62828;} .pel-real {background: #2e7d32;} .pel-none {background: #6b7280;}
.pel-error {background: #b26a00;}
.pel-score {font-size: 1.5rem; font-weight: 600;} .pel-detail {color: var(--body-text-color-subdued);}
.pel-name {font-weight: 600; word-break: break-all;}
.pel-table {width: 100%; border-collapse: collapse;} .pel-table td, .pel-table th {padding: 0.3rem 0.5rem;
  text-align: left; border-bottom: 1px solid var(--border-color-primary);}
.pel-table th {font-weight: 600; color: var(--body-text-color-subdued);}
"""

_BADGES = {
    "fake": ("FAKE", "pel-fake"),
    "real": ("REAL", "pel-real"),
    NO_FACE: ("NO FACE", "pel-none"),
    ERROR: ("NOT SCORED", "pel-error"),
}


def _badge(result, small=False):
    label, style = _BADGES[result.verdict if result.status == OK else result.status]
    return f'<span class="pel-badge {style}{" small" if small else ""}">{label}</span>'


def _faces_line(result):
    summary = result.to_dict()
    return (
        f"a face in {summary['frames_with_face']} of {summary['frames_sampled']} sampled "
        f"{'frames' if result.kind != 'image' else 'image'}, {summary['faces']} faces scored"
    )


def verdict_html(result, threshold):
    """The verdict card of one :class:`~pel_keras.prediction.results.InputResult`, decided at ``threshold``."""
    result = dataclasses.replace(result, threshold=threshold)
    name = f'<div class="pel-name">{html.escape(result.input)}</div>'
    if result.status != OK:
        return (
            f'<div class="pel-verdict" id="pel-verdict" data-verdict="{result.status}">{_badge(result)}<div>{name}'
            f'<div class="pel-detail">{html.escape(result.reason or "")}</div></div></div>'
        )
    return (
        f'<div class="pel-verdict" id="pel-verdict" data-verdict="{result.verdict}">{_badge(result)}<div>{name}'
        f'<div><span class="pel-score">score {result.score:.3f}</span> <span class="pel-detail">'
        f'(threshold {threshold:.2f}: fake above it)</span></div><div class="pel-detail">{_faces_line(result)}; the '
        "score is the mean over frames of the largest face's fake probability</div></div></div>"
    )


def batch_html(results, threshold):
    """A table of every input of the batch: verdict, score and what happened, decided at ``threshold``."""
    rows = []
    for result in results:
        result = dataclasses.replace(result, threshold=threshold)
        score = "" if result.score is None else f"{result.score:.3f}"
        note = _faces_line(result) if result.status == OK else result.reason or ""
        rows.append(
            f"<tr><td>{html.escape(result.input)}</td><td>{_badge(result, small=True)}</td><td>{score}</td>"
            f'<td class="pel-detail">{html.escape(note)}</td></tr>'
        )
    return (
        '<table class="pel-table" id="pel-batch"><tr><th>file</th><th>verdict</th><th>score</th><th></th></tr>'
        + "".join(rows)
        + "</table>"
    )
