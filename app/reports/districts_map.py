"""A map of Sri Lanka's 25 districts shaded by a figure (sales or orders), drawn by the app as
SVG from the shapes in app/reports/map/ (source and licence: map/SOURCE.md).

Shades are five steps of the largest figure (a district with none stays blank), so the map
reads the same way whatever the shop's size; the page gives every figure in a table too.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from app.accounts.districts import DISTRICTS, district_name

SHAPES = Path(__file__).with_name("map") / "sri_lanka_districts.json"
SHADES = 5
METRICS = ("sales", "orders")


@functools.cache
def _drawing() -> dict:
    return json.loads(SHAPES.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class District:
    code: str
    name: str
    path: str
    value: int
    shade: int  # 0 (none) to SHADES (the largest)


@dataclass(frozen=True)
class DistrictMap:
    view_box: str
    districts: list[District]  # the largest figure first
    top: int
    # The largest figure each shade (1 … SHADES) stands for, for the legend.
    steps: list[int]


def shade_of(value: int, top: int) -> int:
    if value <= 0 or top <= 0:
        return 0
    return min(SHADES, max(1, math.ceil(value * SHADES / top)))


def district_map(figures: dict[str, int], locale: str) -> DistrictMap:
    """The map for `figures` (district code → value); districts without one are 0."""
    drawing = _drawing()
    top = max([value for value in figures.values() if value > 0], default=0)
    districts = [District(code, district_name(code, locale), drawing["districts"][code],
                          figures.get(code, 0), shade_of(figures.get(code, 0), top))
                 for code in DISTRICTS]
    districts.sort(key=lambda d: (-d.value, d.name))
    steps = [top * n // SHADES for n in range(1, SHADES + 1)] if top else []
    return DistrictMap(drawing["viewBox"], districts, top, steps)
