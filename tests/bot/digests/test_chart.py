"""The digest chart: a valid PNG of the right size for every shape of input, from any thread, the same every time."""

from __future__ import annotations

import io
import math
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.digests import chart
from bot.digests.chart import Day, render_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2025, 11, 24)  # a Monday; the 14 days run into December
REPO = Path(__file__).resolve().parents[3]

# (breaches, achieved) per day: quiet days (0, 0) leave gaps in the achievement line.
FORTNIGHT = [
    (2, 10), (0, 12), (5, 7), (1, 9), (0, 0), (0, 0), (0, 3),
    (3, 11), (7, 8), (0, 0), (2, 14), (1, 6), (0, 0), (0, 5),
]  # fmt: skip


def fortnight() -> list[Day]:
    return [Day(START + timedelta(days=i), b, a) for i, (b, a) in enumerate(FORTNIGHT)]


def all_zero() -> list[Day]:
    return [Day(START + timedelta(days=i), 0, 0) for i in range(14)]


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, payload) chunks of a PNG, checking the signature and every chunk's CRC."""
    assert data[:8] == PNG_SIGNATURE
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        payload = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + payload) == crc, f"bad CRC in {kind!r} chunk"
        chunks.append((kind, payload))
        offset += 12 + length
    return chunks


def assert_valid_png(data: bytes, *, width: int = 1000, height: int = 500) -> None:
    """A complete, well-formed PNG of the given size whose image data decompresses to the right length."""
    chunks = png_chunks(data)
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    w, h, bit_depth, colour_type = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (w, h) == (width, height)
    channels = {2: 3, 6: 4}[colour_type]  # RGB or RGBA
    raw = zlib.decompress(b"".join(payload for kind, payload in chunks if kind == b"IDAT"))
    assert len(raw) == h * (1 + w * channels * bit_depth // 8)  # one filter byte per row


def pixels(data: bytes):
    """The decoded image as an array of RGB floats 0-1 (matplotlib's reader; matplotlib is loaded by then)."""
    from matplotlib.image import imread

    return imread(io.BytesIO(data), format="png")[..., :3]


def count_colour(data: bytes, hex_colour: str) -> int:
    import numpy as np

    target = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(pixels(data) - target).max(axis=-1) < 0.02).sum())


def figure_for(days: list[Day], title: str = "t"):
    chart._prepare_matplotlib()  # as render_chart does before matplotlib is first imported
    return chart._build_figure(sorted(days, key=lambda d: d.day), title)


# --- Day ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("breaches", "achieved", "expected"),
    [(0, 0, None), (1, 3, 0.75), (4, 0, 0.0), (0, 9, 1.0)],
)
def test_achievement_is_the_share_met_and_none_when_nothing_was_due(breaches, achieved, expected):
    assert Day(START, breaches, achieved).achievement == expected


# --- charts ------------------------------------------------------------------------------------------------------


def test_fourteen_days_with_breaches_and_gaps_is_a_1000_by_500_png():
    data = render_chart(fortnight(), title="SLA — Support EU, last 14 days")

    assert_valid_png(data)
    assert 10_000 < len(data) < 200_000
    assert count_colour(data, chart.BAR_COLOUR) > 5_000  # the bars are there
    assert count_colour(data, chart.LINE_COLOUR) > 500  # and so is the line


def test_line_has_gaps_on_days_with_nothing_to_measure_and_axes_are_labelled():
    figure = figure_for(fortnight())
    bars, line_axes = figure.axes

    (line,) = line_axes.get_lines()
    values = list(line.get_ydata())
    assert len(values) == 14
    assert [i for i, v in enumerate(values) if math.isnan(v)] == [4, 5, 9, 12]
    assert values[0] == pytest.approx(100 * 10 / 12)
    assert values[6] == 100.0

    labels = [t.get_text() for t in bars.get_xticklabels()]
    assert labels[0] == "Mon\n24 Nov"  # the first day carries its month
    assert labels[1] == "Tue\n25"
    assert labels[7] == "Mon\n1 Dec"  # and so does the 1st of a month
    assert labels[-1] == "Sun\n7"

    assert all(float(t).is_integer() for t in bars.get_yticks())  # whole breaches only
    assert list(line_axes.get_yticks()) == [0, 25, 50, 75, 100]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["Breaches", "Achievement"]


def test_missing_dates_become_empty_slots_and_input_order_does_not_matter():
    days = [Day(START + timedelta(days=13), 1, 1), Day(START, 2, 2)]  # 12 days missing in between

    bars, line_axes = figure_for(days).axes

    (line,) = line_axes.get_lines()
    assert len(line.get_ydata()) == 14
    assert [p.get_x() + p.get_width() / 2 for p in bars.patches] == [0, 13]
    assert render_chart(days, title="t") == render_chart(list(reversed(days)), title="t")


def test_all_zero_days_render_without_a_line():
    data = render_chart(all_zero(), title="Nothing due")

    assert_valid_png(data)
    assert count_colour(data, chart.LINE_COLOUR) == 0
    figure = figure_for(all_zero())
    bars, line_axes = figure.axes
    assert line_axes.get_lines() == []
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["Breaches"]
    assert "No SLA targets were due in this period" in [t.get_text() for t in bars.texts]
    assert list(bars.get_yticks()) == [0, 1, 2, 3, 4]


def test_no_days_is_a_png_saying_no_data():
    data = render_chart([], title="Empty")

    assert_valid_png(data)
    figure = figure_for([], "Empty")
    assert figure.axes == []
    assert [t.get_text() for t in figure.texts] == ["Empty", "No data"]


def test_a_long_title_is_shrunk_then_cut_to_fit():
    title = "Support EU, Tier 2, weekend cover and escalations, " * 4
    figure = figure_for(fortnight(), title)

    (text, *_) = figure.texts
    assert text.get_text().endswith("…")
    assert text.get_window_extent(figure.canvas.get_renderer()).x1 <= figure.bbox.width
    assert_valid_png(render_chart(fortnight(), title=title))


def test_large_counts_get_round_ticks():
    days = [Day(START + timedelta(days=i), b, 10) for i, b in enumerate([0, 518, 130])]

    bars, _ = figure_for(days).axes

    assert list(bars.get_yticks()) == [0, 150, 300, 450, 600]


@pytest.mark.parametrize(
    "days",
    [
        [Day(START, 1, 1), Day(START, 2, 2)],
        [Day(START, -1, 1)],
        [Day(START, 1, -1)],
    ],
    ids=["duplicate day", "negative breaches", "negative achieved"],
)
def test_bad_input_is_refused(days):
    with pytest.raises(ValueError):
        render_chart(days, title="t")


# --- bytes and threads -------------------------------------------------------------------------------------------


def test_same_input_gives_the_same_bytes_without_a_software_stamp():
    first = render_chart(fortnight(), title="Same")
    second = render_chart(fortnight(), title="Same")

    assert first == second
    text_chunks = [payload for kind, payload in png_chunks(first) if kind in (b"tEXt", b"iTXt", b"zTXt")]
    assert not any(payload.startswith(b"Software") for payload in text_chunks)
    assert b"atplotlib" not in first


def test_renders_from_two_threads_at_once_are_valid_and_identical_to_sequential_ones():
    inputs = [(fortnight(), "Team A"), (all_zero(), "Team B"), (fortnight()[:7], "Team C"), ([], "Team D")]
    expected = [render_chart(days, title=title) for days, title in inputs]

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda args: render_chart(args[0], title=args[1]), inputs * 2))

    for data in results:
        assert_valid_png(data)
    assert results == expected * 2


# --- environment -------------------------------------------------------------------------------------------------


def test_fresh_process_ignores_mplbackend_writes_only_under_tmp_and_warns_about_nothing(tmp_path):
    """In a new interpreter: importing the module does not import matplotlib; a render uses Agg whatever
    MPLBACKEND says, puts matplotlib's cache under the temp dir (HOME here cannot even be created), and
    neither a warning nor a log line comes out."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPL", "XDG_"))}
    env.update(
        HOME=str(blocker / "home"),  # mkdir under a regular file fails for every user, root included
        TMPDIR=str(temp),
        MPLBACKEND="tkagg",
        PYTHONPATH=str(REPO),
    )
    script = textwrap.dedent(
        """
        import logging, os, sys
        from datetime import date
        logging.basicConfig(level=logging.WARNING)
        import bot.digests.chart as chart
        assert "matplotlib" not in sys.modules, "importing the chart module should not import matplotlib"
        data = chart.render_chart([chart.Day(date(2025, 12, 1), 1, 3)], title="t")
        assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        assert "tkinter" not in sys.modules and "matplotlib.pyplot" not in sys.modules
        print(os.environ["MPLCONFIGDIR"])
        """
    )

    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    config_dir = Path(done.stdout.strip())
    assert config_dir.parent == temp
    assert any(config_dir.glob("fontlist-*.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-dir", "tmp"]  # nothing in the working dir
