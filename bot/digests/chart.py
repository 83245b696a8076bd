"""The chart in a manager's SLA digest: daily breaches as bars, achievement as a line.

Rendered with matplotlib's object API (``Figure`` + ``FigureCanvasAgg``), never ``pyplot``:
pyplot keeps a global figure registry and picks a GUI backend from the environment, neither of
which belongs in a bot that renders from worker threads. Because the canvas is Agg, the output does
not depend on ``MPLBACKEND`` or on any backend configured in a matplotlibrc.

matplotlib is imported on the first render, not when this module is imported: the import costs
most of a second, and the bot should not pay for it at start-up (or in tests that never draw).
"""

from __future__ import annotations

import io
import math
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Day", "render_chart"]


@dataclass(frozen=True)
class Day:
    day: date
    breaches: int  # SLA targets breached that day
    achieved: int  # targets met that day

    @property
    def achievement(self) -> float | None:
        """Share of the day's targets that were met, 0.0-1.0; None when there was nothing to measure."""
        total = self.achieved + self.breaches
        if total == 0:
            return None
        return self.achieved / total


# Slack previews images at roughly this size; 10 x 5 inches at 100 dpi gives 1000 x 500 px.
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 5.0, 100

# A calm palette: muted terracotta bars, deep slate-blue line, soft greys for the scaffolding.
BAR_COLOUR = "#E29578"
LINE_COLOUR = "#3D5A80"
TEXT_COLOUR = "#374151"
MUTED_COLOUR = "#6B7280"
GRID_COLOUR = "#E5E7EB"
SPINE_COLOUR = "#D1D5DB"

# English abbreviations rather than strftime("%a"/"%b"), so labels do not depend on the process locale.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Plot area margins, as fractions of the figure width; the title and legend line up with the left one.
_LEFT, _RIGHT = 0.075, 0.915

# Both y axes end this much above their top tick, leaving room for bar labels and 100 % markers.
_HEADROOM = 1.1

# At most this many labelled ticks on the x axis; longer ranges label every n-th day.
_MAX_X_LABELS = 14

# matplotlib documents itself as not thread-safe (shared font and text-layout caches, among others).
# Separate figures in separate threads mostly work, but a render takes a fraction of a second and
# digests are few, so we serialise renders rather than rely on "mostly". The same lock guards the
# one-time set-up in _prepare_matplotlib().
_LOCK = threading.Lock()
_prepared = False


def render_chart(days: Sequence[Day], *, title: str) -> bytes:
    """Render the digest chart as PNG bytes (1000 x 500 px).

    Days may be in any order; dates missing between the first and the last day are shown as empty
    slots. An empty sequence gives a chart that says "No data". The same input always gives the
    same bytes (for the same matplotlib version).
    """
    ordered = sorted(days, key=lambda d: d.day)
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if previous.day == current.day:
            raise ValueError(f"duplicate day in chart data: {current.day.isoformat()}")
    for d in ordered:
        if d.breaches < 0 or d.achieved < 0:
            raise ValueError(f"negative count in chart data for {d.day.isoformat()}")

    with _LOCK:
        _prepare_matplotlib()
        figure = _build_figure(ordered, title)
        buffer = io.BytesIO()
        # metadata={"Software": None} drops the "matplotlib version x.y" text chunk, so the bytes
        # depend only on the input; Agg writes no timestamp of its own.
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _prepare_matplotlib() -> None:
    """Point matplotlib at a private config/cache dir under the system temp dir, unless told otherwise.

    matplotlib needs a writable directory for its font cache. Left to itself it uses
    ~/.config/matplotlib and ~/.cache/matplotlib, and when HOME is not writable (common for service
    users in containers) it logs a warning and builds the font cache again, in a fresh temp dir, in
    every process. So when MPLCONFIGDIR is unset we set it to <tempdir>/liaison-matplotlib-<uid>:
    nothing is written to HOME (tests included), gunicorn workers share one cache, there is no
    warning, and no stray matplotlibrc in ~/.config changes how the chart looks. An explicit
    MPLCONFIGDIR always wins. The directory is only used if it is ours (owned by this user, mode
    0700, not a symlink); otherwise we leave the choice to matplotlib. It must run before matplotlib
    is first imported, since matplotlib reads the variable once, at import.
    """
    global _prepared
    if _prepared:
        return
    _prepared = True
    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules or not hasattr(os, "getuid"):
        return
    uid = os.getuid()
    path = os.path.join(tempfile.gettempdir(), f"liaison-matplotlib-{uid}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o077:
        os.environ["MPLCONFIGDIR"] = path


def _build_figure(days: Sequence[Day], title: str) -> Figure:
    """The chart as a matplotlib Figure on an Agg canvas; ``days`` sorted, unique, not negative."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator, PercentFormatter

    # Fixed margins rather than a layout engine: the canvas size never changes, and constrained
    # layout would roughly double the render time. They leave room for four-digit tick labels.
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=_LEFT, right=_RIGHT, bottom=0.12, top=0.855)
    _add_title(figure, title)

    if not days:
        figure.text(0.5, 0.45, "No data", ha="center", va="center", fontsize=22, color=MUTED_COLOUR)
        return figure

    first = days[0].day
    span = (days[-1].day - first).days + 1

    bars = figure.add_subplot()
    line_axes = bars.twinx()

    # Breaches: bars on the left axis, whole numbers only, the count above each non-empty bar.
    positions = [(d.day - first).days for d in days]
    breaches = [d.breaches for d in days]
    bar_container = bars.bar(positions, breaches, width=0.62, color=BAR_COLOUR, zorder=2)
    bars.bar_label(
        bar_container, labels=[str(b) if b else "" for b in breaches], padding=3, fontsize=10, color=TEXT_COLOUR
    )
    # Four whole-number steps, so the left ticks line up with 0/25/50/75/100 % on the right and the
    # grid serves both axes.
    step = _tick_step(max(breaches))
    bars.set_ylim(0, 4 * step * _HEADROOM)
    bars.yaxis.set_major_locator(FixedLocator([i * step for i in range(5)]))
    bars.set_ylabel("Breaches", fontsize=11, color=TEXT_COLOUR)
    bars.grid(axis="y", color=GRID_COLOUR, linewidth=0.8)
    bars.set_axisbelow(True)

    # Achievement: line on the right axis, 0-100 %; NaN (nothing due, or a missing day) leaves a gap.
    achievement = [math.nan] * span
    for position, d in zip(positions, days, strict=True):
        share = d.achievement
        if share is not None:
            achievement[position] = share * 100
    measured = any(not math.isnan(a) for a in achievement)
    if measured:
        line_axes.plot(range(span), achievement, color=LINE_COLOUR, linewidth=2.2, marker="o", markersize=5)
    else:
        bars.text(
            0.5,
            0.55,
            "No SLA targets were due in this period",
            transform=bars.transAxes,
            ha="center",
            va="center",
            fontsize=13,
            color=MUTED_COLOUR,
        )
    line_axes.set_ylim(0, 100 * _HEADROOM)
    line_axes.yaxis.set_major_locator(FixedLocator([0, 25, 50, 75, 100]))
    line_axes.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    line_axes.set_ylabel("Achievement", fontsize=11, color=TEXT_COLOUR)

    # X axis: one slot per calendar day, "Mon" over "1", with the month added on the first day and
    # on the 1st of a month ("Mon" over "1 Dec").
    every = max(1, math.ceil(span / _MAX_X_LABELS))
    ticks = list(range(0, span, every))
    labels = []
    for position in ticks:
        day = date.fromordinal(first.toordinal() + position)
        number = f"{day.day} {_MONTHS[day.month - 1]}" if position == 0 or day.day == 1 else str(day.day)
        labels.append(f"{_WEEKDAYS[day.weekday()]}\n{number}")
    bars.set_xticks(ticks, labels)
    bars.set_xlim(-0.6, span - 0.4)

    for axes in (bars, line_axes):
        axes.tick_params(colors=TEXT_COLOUR, labelsize=10, length=0, pad=6)
        for side, spine in axes.spines.items():
            spine.set_visible(side == "bottom")
            spine.set_color(SPINE_COLOUR)

    handles = [Patch(color=BAR_COLOUR, label="Breaches")]
    if measured:
        handles.append(Line2D([], [], color=LINE_COLOUR, linewidth=2.2, marker="o", label="Achievement"))
    figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(_LEFT - 0.008, 0.915),
        ncols=len(handles),
        frameon=False,
        fontsize=11,
        labelcolor=TEXT_COLOUR,
        borderaxespad=0.0,
    )
    return figure


def _add_title(figure: Figure, title: str) -> None:
    """Title in the top-left corner, made smaller (then cut short with "…") until it fits the width."""
    text = figure.text(_LEFT, 0.965, title, ha="left", va="top", fontweight="bold", color=TEXT_COLOUR)
    renderer = figure.canvas.get_renderer()
    available = (_RIGHT - _LEFT) * figure.bbox.width
    for size in (16, 15, 14, 13, 12):
        text.set_fontsize(size)
        if text.get_window_extent(renderer).width <= available:
            return
    shown = title
    while shown and text.get_window_extent(renderer).width > available:
        shown = shown[:-1]
        text.set_text(shown.rstrip() + "…")


def _tick_step(most: int) -> int:
    """A whole-number tick step for the breaches axis such that four steps reach ``most``."""
    step = max(1, math.ceil(most / 4))
    if step > 10:  # round to a multiple of 5, 50, 500, ... so the ticks read well (130 -> 150)
        unit = 5 * 10 ** (len(str(step)) - 2)
        step = math.ceil(step / unit) * unit
    return step
