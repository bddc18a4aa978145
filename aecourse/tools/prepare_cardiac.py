"""Prepare the cardiac data of the course: one HDF5 file of 2-D short-axis slices.

    aecourse-prepare-cardiac                        # synthetic phantoms, no download
    aecourse-prepare-cardiac --size 256             # 256 x 256 slices (the original session's)
    aecourse-prepare-cardiac --acdc ~/ACDC/database  # the real ACDC data set

Without ``--acdc``, synthetic exams are written in the ACDC layout to <data>/acdc_phantoms/
(reused when already there with the same settings) and converted by the same code as the real
data. Default output: <data>/cardiac_<size>.h5, where <data> is the kit's data folder
(``--data-dir``, else $AECOURSE_DATA, else the course's data/, else the per-user folder: see
aecourse.paths). An output made from the same source with the same settings is reused
(``--force`` remakes it). Never commit ACDC or files made from it: its licence forbids
redistribution.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import h5py

from aecourse.cardiac.acdc import DEFAULT_SIZE, DEFAULT_SPACING_MM, AcdcFormatError, convert_acdc
from aecourse.cardiac.dataset import describe_file
from aecourse.cardiac.phantoms import MANIFEST_NAME, phantoms_up_to_date, write_acdc_phantoms
from aecourse.paths import data_dir_and_reason

PHANTOMS_NAME = "acdc_phantoms"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="aecourse-prepare-cardiac", description=__doc__.split("\n\n")[0])
    parser.add_argument("--acdc", type=Path,
                        help="folder with ACDC's training/ and testing/ (default: synthetic phantoms)")
    parser.add_argument("--data-dir", type=Path,
                        help="the kit's data folder (default: $AECOURSE_DATA, the course's data/, "
                             "else the per-user folder)")
    parser.add_argument("--out", type=Path, help="output HDF5 file (default: <data>/cardiac_<size>.h5)")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE,
                        help="slice size in pixels (default: %(default)s)")
    parser.add_argument("--spacing", type=float, default=DEFAULT_SPACING_MM,
                        help="in-plane pixel spacing in mm (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the phantoms and of the train/val split")
    parser.add_argument("--val-fraction", type=float, default=0.2, help="share of training/ patients for val")
    parser.add_argument("--phantoms-dir", type=Path, help=f"where phantoms go (default: <data>/{PHANTOMS_NAME})")
    parser.add_argument("--n-train", type=int, default=100, help="phantom patients in training/")
    parser.add_argument("--n-test", type=int, default=50, help="phantom patients in testing/")
    parser.add_argument("--force", action="store_true", help="convert again even if the output is up to date")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def prepare_phantoms(args: argparse.Namespace) -> Path:
    """Write the phantom exams unless the same set is already there."""
    settings = dict(n_train=args.n_train, n_test=args.n_test, seed=args.seed)
    if phantoms_up_to_date(args.phantoms_dir, **settings):
        print(f"Phantoms already in {args.phantoms_dir} (same settings): reused.")
        return args.phantoms_dir
    start = time.perf_counter()
    write_acdc_phantoms(args.phantoms_dir, **settings, progress=not args.quiet)
    print(f"Wrote {args.n_train} + {args.n_test} phantom exams to {args.phantoms_dir} "
          f"in {time.perf_counter() - start:.1f} s.")
    return args.phantoms_dir


def output_up_to_date(out: Path, source: Path, settings: dict) -> bool:
    """Whether ``out`` was converted from ``source`` with ``settings`` (and after the phantoms)."""
    try:
        with h5py.File(out, "r") as h5:
            made = {key: h5.attrs[key].item() for key in settings} | {"source": h5.attrs["source"]}
    except (OSError, KeyError):
        return False
    manifest = source / MANIFEST_NAME
    if manifest.exists() and manifest.stat().st_mtime > out.stat().st_mtime:
        return False
    return made == settings | {"source": str(source.resolve())}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.size < 16 or args.size % 16:
        print(f"error: --size must be a multiple of 16 (the VAE downsamples 16x), not {args.size}",
              file=sys.stderr)
        return 2
    data, reason = data_dir_and_reason(args.data_dir)
    if args.out is None or args.phantoms_dir is None:
        print(f"Data folder: {data} ({reason}).")
    out = args.out or data / f"cardiac_{args.size}.h5"
    args.phantoms_dir = args.phantoms_dir or data / PHANTOMS_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.acdc:
        print(f"Using real ACDC from {args.acdc}.")
        source = args.acdc
    else:
        print(f"Using synthetic phantoms (no --acdc given), seed {args.seed}, in {args.phantoms_dir}.")
        source = prepare_phantoms(args)
    settings = dict(size=args.size, spacing_mm=args.spacing, val_fraction=args.val_fraction, seed=args.seed)
    if not args.force and output_up_to_date(out, source, settings):
        print(f"{out} is up to date (same source and settings): reused; --force to convert again.")
    else:
        start = time.perf_counter()
        try:
            convert_acdc(source, out, **settings, progress=not args.quiet)
        except AcdcFormatError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"Wrote {out} ({out.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s.")
    print(describe_file(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
