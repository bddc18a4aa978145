"""Anatomical plausibility checker: speed and failures per criterion on ground-truth phantom maps.

    .venv/bin/python -m bench.bench_anatomy   (from the repository root)
        [--size 64] [--spacing 3.0] [--maps 1000] [--patients 20] [--seed 0]

Draws the kit's phantom exams (aecourse.cardiac.phantoms), crops them as the kit's converter does
(aecourse.cardiac.acdc.crop_volume) to ``--size`` pixels at ``--spacing`` mm, and times the
checker (maps per second of CPU time: the machine may be shared) on ``--maps`` of those
ground-truth maps (cycled if there are fewer), then on as many
corrupted copies (a tenth of the pixels given random labels: the worst case, many small parts
and holes). Prints maps per second and, when the checker has them, the failures per criterion.
"""

import argparse
import json
import time

import numpy as np

from aecourse.cardiac import anatomy
from aecourse.cardiac.acdc import crop_volume
from aecourse.cardiac.dataset import PHASES
from aecourse.cardiac.phantoms import make_exam, plan_phantoms


def phantom_maps(n_patients: int, size: int, spacing: float, seed: int) -> np.ndarray:
    """Every kept slice, both phases, of the first ``n_patients`` phantom exams of the kit's set
    (the patients ``aecourse-prepare-cardiac --seed SEED`` writes)."""
    maps = []
    for job in plan_phantoms(seed=seed)[:n_patients]:
        exam = make_exam(job.group, np.random.default_rng(job.seed))
        for phase in PHASES:
            labels = exam.labels[phase]
            maps.append(crop_volume(np.zeros(labels.shape, np.float32), labels, exam.spacing_mm[:2],
                                    size, spacing).labels)
    return np.concatenate(maps)


def check_kwargs(spacing: float) -> dict:
    """The spacing argument, for checkers that take one (the older checker did not)."""
    return {"spacing_mm": spacing} if hasattr(anatomy, "CRITERIA") else {}


def time_checker(maps: np.ndarray, spacing: float) -> tuple[float, float]:
    """Maps per second of CPU time (the machine may be shared) on ``maps``, and the plausible fraction."""
    start = time.process_time()
    rate = anatomy.plausibility_rate(maps, **check_kwargs(spacing))
    return len(maps) / (time.process_time() - start), rate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--spacing", type=float, default=3.0, help="mm per pixel of the maps")
    parser.add_argument("--maps", type=int, default=1000)
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    truth = phantom_maps(args.patients, args.size, args.spacing, args.seed)
    timed = truth[np.arange(args.maps) % len(truth)]
    rng = np.random.default_rng(args.seed)
    corrupted = timed.copy()
    flip = rng.random(corrupted.shape) < 0.1
    corrupted[flip] = rng.integers(0, 4, int(flip.sum()))

    anatomy.plausibility_rate(timed[:10], **check_kwargs(args.spacing))  # warm-up
    truth_speed, _ = time_checker(timed, args.spacing)
    noisy_speed, noisy_rate = time_checker(corrupted, args.spacing)
    truth_rate = anatomy.plausibility_rate(truth, **check_kwargs(args.spacing))
    report = {"maps": f"{args.size}x{args.size} at {args.spacing:g} mm",
              "ground_truth_maps": len(truth), "ground_truth_plausible": truth_rate,
              "maps_per_s_ground_truth": round(truth_speed), "maps_per_s_corrupted": round(noisy_speed),
              "corrupted_plausible": noisy_rate}
    if hasattr(anatomy, "criteria_failures"):
        failures = anatomy.criteria_failures(truth, spacing_mm=args.spacing)
        report["ground_truth_failures"] = {name: count for name, count in failures.items() if count}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
