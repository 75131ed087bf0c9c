"""Small inline SVG charts (line and bar) with axes, for a report that needs no script or network."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
WIDTH, HEIGHT = 860, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 170, 20, 40


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def _frame(name: str, title: str, y_low: float, y_high: float, x_labels: tuple[str, str], body: str,
           legend: Sequence[tuple[str, str]], y_format: str) -> str:
    ticks = []
    for i in range(5):
        value = y_low + (y_high - y_low) * i / 4
        y = _scale(value, y_low, y_high, HEIGHT - BOTTOM, TOP)
        ticks.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{value:{y_format}}</text>'
        )
    legend_items = "".join(
        f'<rect class="legend" x="{WIDTH - RIGHT + 12}" y="{TOP + 16 * i}" width="10" height="10" fill="{color}"/>'
        f'<text x="{WIDTH - RIGHT + 26}" y="{TOP + 9 + 16 * i}" font-size="11">{html.escape(label[:22])}</text>'
        for i, (label, color) in enumerate(legend[:14])
    )
    return (
        f'<svg class="chart" data-chart="{html.escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>'
        + "".join(ticks)
        + f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>'
        f'<text x="{LEFT}" y="{HEIGHT - 12}" font-size="11">{html.escape(x_labels[0])}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 12}" font-size="11" text-anchor="end">'
        f"{html.escape(x_labels[1])}</text>"
        + body + legend_items + "</svg>"
    )


def line_chart(name: str, title: str, series: dict[str, list[tuple[date, float]]], y_format: str = ",.0f") -> str:
    """One polyline per series over a shared date axis."""
    points = [p for values in series.values() for p in values if p[1] is not None]
    if not points:
        return ""
    days = sorted({p[0] for p in points})
    day_index = {d: i for i, d in enumerate(days)}
    y_low, y_high = min(p[1] for p in points), max(p[1] for p in points)
    lines, legend = [], []
    for i, (label, values) in enumerate(sorted(series.items())):
        color = PALETTE[i % len(PALETTE)]
        coords = " ".join(
            f"{_scale(day_index[d], 0, max(len(days) - 1, 1), LEFT, WIDTH - RIGHT):.1f},"
            f"{_scale(v, y_low, y_high, HEIGHT - BOTTOM, TOP):.1f}"
            for d, v in values if v is not None
        )
        lines.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{coords}"/>')
        legend.append((label, color))
    return _frame(name, title, y_low, y_high, (str(days[0]), str(days[-1])), "".join(lines), legend, y_format)


def bar_chart(name: str, title: str, categories: list[str], stacks: dict[str, list[float]]) -> str:
    """Stacked bars, one per category (e.g. day), one colour per stack (e.g. signal type)."""
    if not categories:
        return ""
    totals = [sum(stack[i] for stack in stacks.values()) for i in range(len(categories))]
    y_high = max(max(totals), 1)
    slot = (WIDTH - RIGHT - LEFT) / len(categories)
    bars, legend = [], []
    bottoms = [0.0] * len(categories)
    for s, (label, values) in enumerate(sorted(stacks.items())):
        color = PALETTE[s % len(PALETTE)]
        legend.append((label, color))
        for i, value in enumerate(values):
            if not value:
                continue
            y_top = _scale(bottoms[i] + value, 0, y_high, HEIGHT - BOTTOM, TOP)
            y_bottom = _scale(bottoms[i], 0, y_high, HEIGHT - BOTTOM, TOP)
            bars.append(
                f'<rect x="{LEFT + i * slot + 1:.1f}" y="{y_top:.1f}" width="{max(slot - 2, 1):.1f}" '
                f'height="{y_bottom - y_top:.1f}" fill="{color}"><title>{html.escape(categories[i])}: '
                f"{value:g} {html.escape(label)}</title></rect>"
            )
            bottoms[i] += value
    return _frame(name, title, 0, y_high, (categories[0], categories[-1]), "".join(bars), legend, ",.0f")
