"""A line chart drawn by the server as SVG: no chart library, no CDN, no script."""

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT, PAD = 720, 220, 30


@dataclass
class LineChart:
    points: str  # "x,y x,y ..." for <polyline>
    area: str  # the same closed along the bottom, for <polygon>
    dots: list[tuple[float, float, str, str]]  # x, y, label, value
    top: str  # the value of the top line
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def bottom(self) -> int:
        return self.height - self.pad

    @property
    def right(self) -> int:
        return self.width - self.pad


def line_chart(series: list[tuple[str, Decimal | int | None]]) -> LineChart | None:
    """Points of ``series`` ([(label, value)], ``None`` drawn as 0) scaled into the box,
    the highest value at the top line. ``None`` for an empty series."""
    if not series:
        return None
    values = [Decimal(value or 0) for _label, value in series]
    top = max(max(values), Decimal(1))
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(len(series) - 1, 1)
    dots = []
    for index, ((label, _value), value) in enumerate(zip(series, values, strict=True)):
        x = round(PAD + index * step, 1)
        y = round(HEIGHT - PAD - float(value / top) * inner_h, 1)
        dots.append((x, y, label, str(value)))
    points = " ".join(f"{x},{y}" for x, y, _l, _v in dots)
    area = f"{dots[0][0]},{HEIGHT - PAD} {points} {dots[-1][0]},{HEIGHT - PAD}"
    return LineChart(points=points, area=area, dots=dots, top=str(top))
