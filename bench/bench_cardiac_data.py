"""Time the cardiac data layer: phantom generation, conversion to HDF5 and loading a split.

    python -m bench.bench_cardiac_data                  # the default 100 + 50 phantom patients
    python -m bench.bench_cardiac_data --n-train 20 --n-test 10 --workers 1
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from aecourse.cardiac.acdc import convert_acdc
from aecourse.cardiac.dataset import SPLITS, load_split, split_summary
from aecourse.cardiac.phantoms import write_acdc_phantoms


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-train", type=int, default=100)
    parser.add_argument("--n-test", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="phantom processes (default: one per core)")
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        root, phantom_s = timed(write_acdc_phantoms, Path(tmp) / "acdc", args.n_train, args.n_test,
                                progress=False, workers=args.workers)
        n_files = sum(1 for _ in root.rglob("*.nii.gz"))
        out, convert_s = timed(convert_acdc, root, Path(tmp) / "cardiac.h5", size=args.size, progress=False)
        train, load_s = timed(load_split, out, "train")
        summary = split_summary(out)
        size_mb = out.stat().st_size / 1e6
    patients = args.n_train + args.n_test
    print(f"cores available: {cores}")
    print(f"phantoms : {patients} patients, {n_files} NIfTI files in {phantom_s:.1f} s "
          f"({patients / phantom_s:.1f} patients/s)")
    print(f"convert  : {convert_s:.1f} s -> {size_mb:.0f} MB, {args.size}x{args.size}")
    print(f"load     : train split ({len(train)} slices) in {load_s:.2f} s")
    for split in SPLITS:
        counts = summary[split]
        print(f"  {split:5}: {counts['patients']:3} patients, {counts['slices']:5} slices")


if __name__ == "__main__":
    main()
