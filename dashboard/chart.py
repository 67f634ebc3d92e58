"""The 30-day chart of failures per day by cause, drawn on the server as SVG."""

from dataclasses import dataclass
from datetime import date, timedelta

from activity.models import Cause

WIDTH, HEIGHT = 600, 180
TOP, BOTTOM, LEFT = 10, 22, 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    cause: str
    cause_label: str
    day: date
    n: int


@dataclass(frozen=True)
class Chart:
    days: int
    bars: list[Bar]
    maximum: int
    total: int
    ticks: list[tuple[float, date]]
    legend: list[tuple[str, str, int]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: float = HEIGHT - BOTTOM


def failure_chart(per_day: dict[tuple[date, str], int], *, today: date, days: int = 30) -> Chart:
    """Stacked bars: one column per day (oldest first), one segment per cause."""
    first = today - timedelta(days=days - 1)
    causes = [c for c in Cause.values if any(cause == c for (_d, cause) in per_day)]
    totals = {first + timedelta(i): 0 for i in range(days)}
    for (day, _cause), n in per_day.items():
        if day in totals:
            totals[day] += n
    maximum = max(totals.values(), default=0)
    plot_height = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT) / days
    bars: list[Bar] = []
    ticks: list[tuple[float, date]] = []
    labels = dict(Cause.choices)
    for i in range(days):
        day = first + timedelta(i)
        x = LEFT + i * step
        # Every 7th day from today backwards, so that the last tick is today's.
        if (days - 1 - i) % 7 == 0:
            ticks.append((x + step / 2, day))
        y: float = HEIGHT - BOTTOM
        for cause in causes:
            n = per_day.get((day, cause), 0)
            if not n:
                continue
            height = plot_height * n / maximum
            y -= height
            bars.append(
                Bar(
                    x=round(x + 1, 1),
                    y=round(y, 1),
                    width=round(step - 2, 1),
                    height=round(height, 1),
                    cause=cause,
                    cause_label=str(labels[cause]),
                    day=day,
                    n=n,
                )
            )
    legend = [
        (c, str(labels[c]), sum(n for (d, k), n in per_day.items() if k == c and d >= first))
        for c in causes
    ]
    return Chart(
        days=days,
        bars=bars,
        maximum=maximum,
        total=sum(totals.values()),
        ticks=ticks,
        legend=legend,
    )
