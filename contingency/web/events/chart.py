"""The event chart drawn on the server as inline SVG (no script, no chart library, no CDN: the site's
Content-Security-Policy forbids inline scripts and styles, and SVG presentation attributes are neither).

Two panels over the same time axis, from contingency.events.timeline rows: a line of the prepayment meters
remaining, and bars of the requests accepted, rejected and quarantined in each interval. The page puts the
same numbers in a table beside it (the chart's accessible equivalent). This module only does geometry: every
value becomes coordinates, with ``value`` kept beside them so a test can check what is plotted where.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 720
PANEL_HEIGHT = 180
LEFT = 64  # room for the value labels
RIGHT = 16
TOP = 24  # room for the panel's title
BOTTOM = 28  # room for the time labels
GAP = 24

SERIES = (
    # (key, label, colour) — colours with a contrast of at least 3:1 against white (WCAG 1.4.11).
    ("accepted", "Accepted", "#1d6b3a"),
    ("rejected", "Rejected", "#b3261e"),
    ("quarantined", "Quarantined", "#8a5a00"),
)
LINE_COLOUR = "#1f4e9c"


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str
    colour: str


@dataclass
class Panel:
    title: str
    top: float
    bottom: float
    maximum: int
    ticks: list[Tick] = field(default_factory=list)

    def y(self, value: float) -> float:
        """The vertical position of ``value``: 0 on the panel's base line, ``maximum`` at its top."""
        return round(self.bottom - (self.bottom - self.top) * (value / self.maximum if self.maximum else 0), 2)


def nice_maximum(value: int) -> int:
    """The top of the value axis: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # not reached


def _panel(title: str, top: float, maximum: int) -> Panel:
    panel = Panel(title=title, top=top + TOP, bottom=top + PANEL_HEIGHT - BOTTOM, maximum=nice_maximum(maximum))
    panel.ticks = [Tick(value=v, y=panel.y(v)) for v in sorted({0, panel.maximum // 2, panel.maximum})]
    return panel


def _time_label(moment) -> str:
    return f"{moment:%d %b %H:%M}"


def build(rows: list[dict]) -> dict | None:
    """The chart of ``rows`` (contingency.events.timeline.event_timeline), or None when there is nothing to
    draw. The prepayment line has one point at the start of the window and one at the end of every interval;
    each interval has one bar per request series, side by side."""
    if not rows:
        return None
    n = len(rows)
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / n

    def x_at(i: float) -> float:
        return round(LEFT + slot * i, 2)

    highest = max([rows[0]["prepayment_start"]] + [r["prepayment"] for r in rows])
    meters = _panel("Prepayment meters remaining", 0, highest)
    points = [Point(x=x_at(0), y=meters.y(rows[0]["prepayment_start"]), value=rows[0]["prepayment_start"],
                    label=_time_label(rows[0]["start"]))]
    points += [Point(x=x_at(i + 1), y=meters.y(r["prepayment"]), value=r["prepayment"], label=_time_label(r["end"]))
               for i, r in enumerate(rows)]

    requests = _panel("Requests per interval", PANEL_HEIGHT + GAP,
                      max(r[key] for r in rows for key, _, _ in SERIES))
    bar_width = round(slot * 0.8 / len(SERIES), 2)
    bars = []
    for i, r in enumerate(rows):
        for j, (key, _, colour) in enumerate(SERIES):
            y = requests.y(r[key])
            bars.append(Bar(x=round(x_at(i) + slot * 0.1 + bar_width * j, 2), y=y, width=bar_width,
                            height=round(requests.bottom - y, 2), value=r[key], series=key, colour=colour))

    # A handful of time labels along the bottom: the start, the end and a few between; the first and the last are
    # anchored at their outer end so that neither runs off the drawing.
    every = max(1, n // 4)
    marks = list(range(0, n + 1, every))
    if marks[-1] != n:
        marks.append(n)
    time_labels = [(x_at(i), _time_label(rows[i]["start"] if i < n else rows[-1]["end"]),
                    "start" if i == 0 else "end" if i == n else "middle") for i in marks]

    return {
        "width": WIDTH, "height": 2 * PANEL_HEIGHT + GAP, "left": LEFT, "right": WIDTH - RIGHT,
        "meters": meters, "points": points, "polyline": " ".join(f"{p.x},{p.y}" for p in points),
        "line_colour": LINE_COLOUR, "requests": requests, "bars": bars, "time_labels": time_labels,
        "series": [{"key": key, "label": label, "colour": colour} for key, label, colour in SERIES],
        "any_requests": any(b.value for b in bars),
    }
