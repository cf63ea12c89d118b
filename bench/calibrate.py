"""Fit the serving model's per-vendor efficiencies to the public measurements, and report leave-one-out errors.

    python bench/calibrate.py            # print the fit and its errors
    python bench/calibrate.py --write    # also write data/serving_efficiency.csv
    python bench/calibrate.py --sweep-overlap   # leave-one-out errors for each overlap exponent tried

For each vendor stack (NVIDIA, AMD) the calibrated constants (planner.estimate.serving_constants.CALIBRATED:
compute, weight-read, KV-read and tensor-parallel efficiency, step and per-sequence overhead, and the compute
factors of the FP8 and FP4 rates) minimise the squared log ratios model/measured over that vendor's points in
data/serving_measurements.csv measured since planner.estimate.fitting.CURRENT_SINCE (planner.estimate.fitting).
A constant no point of a later vendor decides (AMD has no point at the FP4 rate) is taken from the first's row.
Leave-one-out refits without each point and predicts it: the error to expect on a configuration the fit has not
seen.

The overlap exponent (``serving.overlap_exponent``: how far an iteration's compute and memory time overlap) is a
modelling choice, not a fitted constant: ``--sweep-overlap`` refits every vendor at each exponent of
``OVERLAP_EXPONENTS`` and prints how many leave-one-out ratios fall within 0.8-1.25; the default is the best.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from planner.estimate.fitting import CURRENT_SINCE, START, calibration_set, fit, fitted_names, leave_one_out, log_ratios
from planner.estimate.serving_constants import CALIBRATED, ServingConstants
from planner.inputs.calibration import EFFICIENCY_FILE, MEASUREMENTS_FILE, VendorEfficiency, load_measurements
from planner.inputs.paths import data_dir

VENDORS = ("nvidia", "amd")
OVERLAP_EXPONENTS = (1.0, 1.25, 1.5, 1.75, 2.0, 3.0, 16.0)  # 16: about the plain maximum
COLUMNS = ("vendor", *CALIBRATED, "points", "engine", "source", "as_of")


def _spread(ratios: list[float]) -> str:
    worst = max(ratios, key=lambda r: abs(math.log(r)))
    inside = sum(0.8 <= r <= 1.25 for r in ratios)
    geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    rms = math.sqrt(sum(math.log(r) ** 2 for r in ratios) / len(ratios))
    return f"geomean {geomean:.3f}, worst {worst:.2f}, {inside}/{len(ratios)} within 0.8-1.25, rms log {rms:.3f}"


def calibrate(vendor: str, reference: VendorEfficiency | None = None) -> VendorEfficiency:
    """Fit one vendor and print its figures; returns the row for data/serving_efficiency.csv.

    A rate factor no point of the vendor ran at (``fitting.fitted_names``) is taken from ``reference``, the
    first vendor's row, and the row's source says so."""
    points = calibration_set(load_measurements(), vendor)
    borrowed = [n for n in CALIBRATED if n not in fitted_names(points)] if reference else []
    start = tuple(getattr(reference, n) if n in borrowed else START[i] for i, n in enumerate(CALIBRATED))
    constants = fit(points, ServingConstants(), start)
    fitted = [math.exp(r) for r in log_ratios(points, constants)]
    loo = leave_one_out(points, ServingConstants(), start)
    values = {name: round(float(getattr(constants, name)), 3) for name in CALIBRATED}
    print(f"{vendor}: {len(points)} points; " + ", ".join(f"{k} {v:g}" for k, v in values.items()))
    print(f"  fit:           {_spread(fitted)}")
    print(f"  leave-one-out: {_spread(loo)}")
    engines = sorted({p.engine.split(" (")[0] for p in points})
    note = f"; {', '.join(borrowed)} from {reference.vendor} (no point decides it)" if reference and borrowed else ""
    return VendorEfficiency(
        vendor=vendor, **values, points=len(points), engine=", ".join(engines)[:120],
        source=f"bench/calibrate.py: least squares in log space over the {len(points)} points of data/"
               f"{MEASUREMENTS_FILE} on {vendor} GPUs measured since {CURRENT_SINCE}{note}",
        as_of=date.today().strftime("%Y-%m"))


def _sweep_one(exponent: float) -> str:
    """One exponent's leave-one-out figures over every vendor, as a line."""
    base = ServingConstants(overlap_exponent=exponent)
    ratios: list[float] = []
    for vendor in VENDORS:
        ratios += leave_one_out(calibration_set(load_measurements(), vendor), base, START)
    return f"overlap exponent {exponent:g}: leave-one-out {_spread(ratios)}"


def sweep_overlap() -> None:
    """Print the leave-one-out spread of every exponent in ``OVERLAP_EXPONENTS`` (refitting each)."""
    with ProcessPoolExecutor() as pool:
        for line in pool.map(_sweep_one, OVERLAP_EXPONENTS):
            print(line)


def _write(rows: list[VendorEfficiency]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([getattr(row, c) for c in COLUMNS])
    path = data_dir() / EFFICIENCY_FILE
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write data/{EFFICIENCY_FILE}")
    parser.add_argument("--sweep-overlap", action="store_true", help="leave-one-out errors per overlap exponent")
    args = parser.parse_args()
    if args.sweep_overlap:
        sweep_overlap()
        return
    rows = [calibrate(VENDORS[0])]
    rows += [calibrate(vendor, rows[0]) for vendor in VENDORS[1:]]
    if args.write:
        print(f"wrote {_write(rows).name}")


if __name__ == "__main__":
    main()
