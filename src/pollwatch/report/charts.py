"""Charts as self-contained SVG ``data:`` URIs, drawn with matplotlib.

Figures are made with the object API (``Figure``, never pyplot), so no GUI
backend is ever selected and no global figure state is kept.

Output is byte-for-byte deterministic: fixed sizes, text drawn as paths (no
font lookup by the viewer), a fixed ``svg.hashsalt`` for element ids and no
date in the metadata.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pollwatch.cluster.record import CampaignRecord, WaveRecord
from pollwatch.report.text import country, day, plural, shorten
from pollwatch.report.view import Chart

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

PALETTE = (
    "#1f5f8b",
    "#c0392b",
    "#d68910",
    "#1e8449",
    "#7d3c98",
    "#2e86c1",
    "#a04000",
    "#117a65",
    "#b03a2e",
    "#5d6d7e",
)
OTHER = "#aab7b8"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "pollwatch-report",
    "date.epoch": "1970-01-01T00:00:00",  # date numbers are days since EPOCH
    "date.converter": "concise",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
TOP = 8  # bars per panel; the rest are summed as "other"


def campaign_charts(record: CampaignRecord) -> tuple[Chart, ...]:
    colours = country_colours(record.edge_countries)
    charts = []
    if record.waves:
        charts.append(waves_chart(record.waves, colours))
    if record.edge_countries or record.edge_asns:
        charts.append(origins_chart(record.edge_countries, record.edge_asns, colours))
    return tuple(charts)


def country_colours(counts: Mapping[str, int]) -> dict[str, str]:
    ranked = sorted(counts, key=lambda code: (-counts[code], code))
    return {code: PALETTE[i] if i < len(PALETTE) else OTHER for i, code in enumerate(ranked)}


def waves_chart(waves: Sequence[WaveRecord], colours: Mapping[str, str]) -> Chart:
    """One bar per wave from its first to its last message, coloured by its main entry country."""
    with matplotlib.rc_context(RC):
        figure = _draw_waves(waves, colours)
        uri = _svg_uri(figure)
    alt = "; ".join(
        f"wave {w.wave_id}: {plural(w.size, 'message')} on {day(w.start)} "
        f"entering from {country(_main_country(w))}"
        for w in waves
    )
    return Chart("Waves timeline", f"Waves timeline. {alt}.", uri)


def origins_chart(
    countries: Mapping[str, int], networks: Mapping[str, int], colours: Mapping[str, str]
) -> Chart:
    """Messages by the country and the network (AS) of the server that handed them over."""
    with matplotlib.rc_context(RC):
        uri = _svg_uri(_draw_origins(countries, networks, colours))
    alt = ", ".join(f"{country(code)}: {n}" for code, n in top_counts(countries))
    return Chart("Origin countries and networks", f"Messages by entry country: {alt}.", uri)


def _draw_waves(waves: Sequence[WaveRecord], colours: Mapping[str, str]) -> Figure:
    figure = Figure(figsize=(8.0, min(1.6 + 0.42 * len(waves), 9.0)), dpi=100)
    axes = figure.add_subplot()
    first, last = min(w.start for w in waves), max(w.end for w in waves)
    least = max((last - first) * 0.012, timedelta(minutes=20))
    for wave in waves:
        main = _main_country(wave)
        start = _days(wave.start)
        width = max(wave.end - wave.start, least) / timedelta(days=1)
        axes.barh(wave.wave_id, width, left=start, height=0.55, color=colours.get(main, OTHER))
        axes.annotate(
            f" {wave.size} · {main}", (start + width, wave.wave_id), va="center", fontsize=8
        )
    _time_axis(axes, first, last + (last - first) * 0.12 + least)
    axes.set_yticks([w.wave_id for w in waves], [f"Wave {w.wave_id}" for w in waves])
    axes.invert_yaxis()
    axes.set_title(
        "Waves: when the messages arrived (messages · main entry country)", loc="left", fontsize=10
    )
    return figure


def _draw_origins(
    countries: Mapping[str, int], networks: Mapping[str, int], colours: Mapping[str, str]
) -> Figure:
    figure = Figure(figsize=(8.0, 3.2), dpi=100)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.35)})
    country_rows = top_counts(countries)
    _bars(
        left,
        [(country(code) if code != "other" else "other", n) for code, n in country_rows],
        [colours.get(code, OTHER) for code, _ in country_rows],
        "By country",
    )
    network_rows = top_counts(networks)
    _bars(
        right,
        [(shorten(name, 34), n) for name, n in network_rows],
        [PALETTE[0]] * len(network_rows),
        "By network (AS)",
    )
    figure.suptitle(
        "Where the messages entered the recipients' mail systems", x=0.01, ha="left", fontsize=10
    )
    return figure


def top_counts(counts: Mapping[str, int], top: int = TOP) -> list[tuple[str, int]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) <= top:
        return ranked
    return [*ranked[: top - 1], ("other", sum(n for _, n in ranked[top - 1 :]))]


def _bars(axes: Axes, rows: Sequence[tuple[str, int]], colours: Sequence[str], title: str) -> None:
    labels = [label for label, _ in rows]
    values = [n for _, n in rows]
    positions = list(range(len(rows)))
    axes.barh(positions, values, color=colours, height=0.6)
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_title(title, loc="left", fontsize=9)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for position, value in zip(positions, values, strict=True):
        axes.annotate(f" {value}", (value, position), va="center", fontsize=8)
    axes.set_xlim(0, max(values, default=1) * 1.18)


def _time_axis(axes: Axes, start: datetime, end: datetime) -> None:
    axes.xaxis_date(UTC)
    axes.set_xlim(_days(start), _days(end))
    axes.set_xlabel("time (UTC)", fontsize=8)
    axes.grid(axis="x", color="#e5e8e8", linewidth=0.6)
    axes.set_axisbelow(True)


def _main_country(wave: WaveRecord) -> str:
    if not wave.edge_countries:
        return "??"
    return min(wave.edge_countries, key=lambda code: (-wave.edge_countries[code], code))


def _days(moment: datetime) -> float:
    return (moment - EPOCH) / timedelta(days=1)


def _svg_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
