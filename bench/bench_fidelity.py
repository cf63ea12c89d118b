"""How close the serving model comes to public measurements, with the shipped constants and leave-one-out.

    python bench/bench_fidelity.py

For every point of data/serving_measurements.csv the closed form describes, prints the ratio model/measured
with the shipped calibration (data/serving_efficiency.csv) and, for the points a vendor is fitted to, the
leave-one-out ratio (fitted without that point). Points on engines older than the calibration window, or on a
deliberately untuned engine, are shown but not fitted. Then the summary figures:

    fidelity_worst_ratio       the shipped model's ratio farthest from 1 (fitted points)
    fidelity_geomean_ratio     geometric mean of the shipped model's ratios (fitted points)
    fidelity_loo_worst_ratio   the leave-one-out ratio farthest from 1
    fidelity_loo_within_share  share of leave-one-out ratios within 0.8-1.25 (the target is all of them)
"""

from __future__ import annotations

import math

from planner.estimate.fitting import (
    CURRENT_SINCE,
    calibration_set,
    leave_one_out,
    predict,
    untuned,
    usable,
    vendor_of,
)
from planner.estimate.serving_constants import ServingConstants
from planner.inputs.calibration import load_measurements

VENDORS = ("nvidia", "amd")
LOW, HIGH = 0.8, 1.25  # the target band of every leave-one-out ratio


def _farthest(ratios: list[float]) -> float:
    return max(ratios, key=lambda r: abs(math.log(r)))


def main() -> None:
    points = load_measurements()
    loo: dict[str, float] = {}
    for vendor in VENDORS:
        fitted = calibration_set(points, vendor)
        loo.update({p.id: r for p, r in zip(fitted, leave_one_out(fitted, ServingConstants()), strict=True)})
    shipped: dict[str, float] = {}
    print(f"{'point':<64} {'metric':<20} {'measured':>10} {'model':>10} {'ratio':>6} {'loo':>6}")
    for p in usable(points):
        model = predict(p)
        assert model is not None
        ratio = model / p.value
        if p.id in loo:
            shipped[p.id] = ratio
        why = "old" if p.as_of < CURRENT_SINCE else "untuned" if untuned(p) else "-"
        mark = f"{loo[p.id]:6.2f}" if p.id in loo else f"{why:>6}"
        print(f"{p.id[:64]:<64} {p.metric:<20} {p.value:10.1f} {model:10.1f} {ratio:6.2f} {mark}  ({vendor_of(p)})")
    skipped = len(points) - len(usable(points))
    print(f"\n{len(shipped)} fitted points; {skipped} not described by the closed form (fixed request rate, TTFT "
          f"under load, or the model does not fit the GPUs); points before {CURRENT_SINCE} and on untuned engines "
          "are not fitted")
    ratios, loo_ratios = list(shipped.values()), list(loo.values())
    print(f"fidelity_worst_ratio {_farthest(ratios):.3f}")
    print(f"fidelity_geomean_ratio {math.exp(sum(map(math.log, ratios)) / len(ratios)):.3f}")
    print(f"fidelity_loo_worst_ratio {_farthest(loo_ratios):.3f}")
    print(f"fidelity_loo_within_share {sum(LOW <= r <= HIGH for r in loo_ratios) / len(loo_ratios):.3f}")


if __name__ == "__main__":
    main()
