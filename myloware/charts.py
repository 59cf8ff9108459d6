"""Server-rendered SVG charts for the console's dashboard: no JavaScript, no CDN, nothing to
install; each bar is a link to the filtered list it counts. Text is escaped by format_html."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 480, 180
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 36, 22, 8


@dataclass
class Series:
    name: str
    colour: str


@dataclass
class Bar:
    label: str  # under the bar (sparse: every few bars)
    values: dict[str, float]  # series name -> value
    links: dict[str, str] = field(default_factory=dict)  # series name -> URL of its filtered list
    title: str = ""


def stacked_bars(bars: Sequence[Bar], series: Sequence[Series], *, label_every: int = 1) -> SafeString:
    """Vertical stacked bars (one per time bucket), with a y axis of the maximum total."""
    top: float = max((sum(bar.values.values()) for bar in bars), default=0) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - 4, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(len(bars), 1)
    parts: list[SafeString] = [_axis(top, plot_h)]
    for index, bar in enumerate(bars):
        x = PAD_LEFT + index * slot + slot * 0.1
        y: float = PAD_TOP + plot_h
        for item in series:
            value = bar.values.get(item.name, 0)
            if not value:
                continue
            h = value / top * plot_h
            y -= h
            rect = format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>',
                _n(x),
                _n(y),
                _n(slot * 0.8),
                _n(h),
                item.colour,
                bar.title or bar.label,
                _number(value),
                item.name,
            )
            parts.append(_linked(rect, bar.links.get(item.name)))
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    _n(x + slot * 0.4),
                    HEIGHT - 6,
                    bar.label,
                )
            )
    return _svg(parts)


@dataclass
class Range:
    label: str
    median: float | None
    p90: float | None
    count: int
    link: str = ""


def range_bars(rows: Sequence[Range]) -> SafeString:
    """Horizontal bars: a light bar to the p90, a dark one to the median, with both written out."""
    top = max((row.p90 or 0 for row in rows), default=0) or 1
    row_h = 30
    height = PAD_TOP + row_h * max(len(rows), 1) + 4
    label_w, plot_w = 80, WIDTH - 80 - 200
    parts: list[SafeString] = []
    for index, row in enumerate(rows):
        y = PAD_TOP + index * row_h
        p90_w = (row.p90 or 0) / top * plot_w
        median_w = (row.median or 0) / top * plot_w
        bars = format_html(
            '<rect x="{}" y="{}" width="{}" height="18" fill="#b39ddb"><title>p90 {}</title></rect>'
            '<rect x="{}" y="{}" width="{}" height="18" fill="#5e35b1"><title>median {}</title></rect>',
            label_w,
            y,
            _n(p90_w),
            _duration(row.p90),
            label_w,
            y,
            _n(median_w),
            _duration(row.median),
        )
        parts.append(format_html('<text x="0" y="{}">{}</text>', y + 13, row.label))
        parts.append(_linked(bars, row.link))
        parts.append(
            format_html(
                '<text x="{}" y="{}">median {} · p90 {} · n={}</text>',
                label_w + plot_w + 6,
                y + 13,
                _duration(row.median),
                _duration(row.p90),
                row.count,
            )
        )
    return _svg(parts, height=height)


def legend(series: Sequence[Series]) -> SafeString:
    return format_html(
        '<div class="legend">{}</div>',
        format_html_join(
            "",
            '<span><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" fill="{}"/></svg>{}</span>',
            ((s.colour, s.name) for s in series),
        ),
    )


def _axis(top: float, plot_h: float) -> SafeString:
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-opacity=".3"/>'
        '<text x="{}" y="{}" text-anchor="end">{}</text><text x="{}" y="{}" text-anchor="end">0</text>',
        PAD_LEFT,
        PAD_TOP,
        PAD_LEFT,
        PAD_TOP + plot_h,
        PAD_LEFT - 4,
        PAD_TOP + 10,
        _number(top),
        PAD_LEFT - 4,
        PAD_TOP + plot_h,
    )


def _linked(inner: SafeString, url: str | None) -> SafeString:
    return format_html('<a href="{}">{}</a>', url, inner) if url else inner


def _svg(parts: list[SafeString], *, height: int = HEIGHT) -> SafeString:
    body = mark_safe("".join(parts))  # noqa: S308 - every part was built by format_html
    return format_html(
        '<svg viewBox="0 0 {} {}" role="img" xmlns="http://www.w3.org/2000/svg">{}</svg>', WIDTH, height, body
    )


def _n(value: float) -> str:
    """A coordinate (format_html escapes its arguments, so numbers are formatted first)."""
    return f"{value:.1f}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
