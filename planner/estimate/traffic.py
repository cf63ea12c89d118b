"""The day's traffic: each hour's request rate from the traffic shape, the peak and the mean.

data/traffic_shapes.yaml holds 24 relative hourly loads per shape; ``hourly_rates`` stretches a shape so that its
busiest hour is the assessment's peak and its mean the assessment's mean (capacity sizes every hour of it).
"""

from __future__ import annotations

from functools import cache, lru_cache

import yaml

from planner.inputs.models import Assessment
from planner.inputs.paths import data_file

SHAPES_FILE = data_file("traffic_shapes.yaml")
HOURS_PER_DAY = 24
MIN_RATE_SHARE = 0.05  # an hour's rate never drops below this share of the mean
MAX_STRETCH = 1e6  # beyond this the quiet hours are at the floor already
STRETCH_BISECTIONS = 60  # halvings of the stretch interval: far below float precision of the rates


@cache
def traffic_profile(shape: str) -> tuple[float, ...]:
    """The 24 relative hourly loads of a traffic shape, normalised to a mean of 1."""
    raw = yaml.safe_load(SHAPES_FILE.read_text(encoding="utf-8"))["shapes"][shape]
    mean = sum(raw) / len(raw)
    return tuple(float(x) / mean for x in raw)


def hourly_rates(assessment: Assessment) -> tuple[float, ...]:
    """Requests/s for each hour: the shape stretched so its busiest hour is the peak and its mean the mean.

    Rate of hour h, relative to the mean: r_h = max(MIN_RATE_SHARE, peak/mean - s x (top - p_h)), where
    p is the shape and top its busiest hour. The mean of r falls as the stretch s grows, so bisection
    finds the s that gives a mean of 1. A shape too flat to reach the peak even with quiet hours at
    the floor keeps the floor (its mean is then a little above the answer).
    """
    w = assessment.workload
    return _hourly_rates(w.traffic_shape.value, w.peak_requests_per_s, w.mean_requests_per_s)


@lru_cache(maxsize=256)
def _hourly_rates(shape: str, peak: float, mean_rate: float) -> tuple[float, ...]:
    """``hourly_rates`` of plain numbers, kept: sizing asks for the same day once per instance type."""
    profile = traffic_profile(shape)
    top, ratio = max(profile), peak / mean_rate

    def rates(stretch: float) -> list[float]:
        return [max(MIN_RATE_SHARE, ratio - stretch * (top - p)) for p in profile]

    low, high = 0.0, 1.0
    while sum(rates(high)) / HOURS_PER_DAY > 1.0 and high < MAX_STRETCH:
        high *= 2.0
    for _ in range(STRETCH_BISECTIONS):
        mid = (low + high) / 2.0
        low, high = (mid, high) if sum(rates(mid)) / HOURS_PER_DAY > 1.0 else (low, mid)
    return tuple(r * mean_rate for r in rates(high))


def day_mean_requests_per_s(assessment: Assessment) -> float:
    """Mean requests/s over the day's hourly rates: what every monthly cost line and token bill is priced at (a
    shape too flat to reach the peak keeps its floor, so this can be a little above the answered mean)."""
    return sum(hourly_rates(assessment)) / HOURS_PER_DAY
