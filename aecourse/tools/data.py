"""The kit's data folder on the command line.

    aecourse-data                 # which folder the kit uses, why, and what is prepared there
    aecourse-prepare              # MNIST and the 128x128 cardiac data: a student's one data step
    aecourse-prepare --size 256   # the cardiac data at 256x256 as well as MNIST
"""

from __future__ import annotations

import argparse
import os

from aecourse import paths


def describe(data_dir=None) -> str:
    """The data folder, the rule that chose it, and the prepared files found there."""
    folder, reason = paths.data_dir_and_reason(data_dir)
    lines = [f"aecourse data folder: {folder}", f"  chosen by: {reason}"]
    mnist = paths.mnist_dir(data_dir)
    found = sorted(p.name for p in mnist.glob("*.npz")) if mnist.is_dir() else []
    lines.append(f"  MNIST ({mnist}): {', '.join(found) if found else 'not fetched yet (aecourse-prefetch-mnist)'}")
    cardiac = sorted(p.name for p in folder.glob("cardiac_*.h5")) if folder.is_dir() else []
    lines.append(f"  cardiac: {', '.join(cardiac) if cardiac else 'not prepared yet (aecourse-prepare-cardiac)'}")
    return "\n".join(lines)


def where_main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="aecourse-data", description=describe.__doc__)
    parser.add_argument("--data-dir", help="an explicit data folder (the rule's first step)")
    parser.add_argument("--path-only", action="store_true", help="print the folder only")
    args = parser.parse_args(argv)
    print(paths.data_dir(args.data_dir) if args.path_only else describe(args.data_dir))
    return 0


def prepare_main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="aecourse-prepare",
                                     description="Prepare the course's data: MNIST and the cardiac slices.")
    parser.add_argument("--data-dir", help="an explicit data folder (default: see `aecourse-data`)")
    parser.add_argument("--size", type=int, default=paths.DEFAULT_CARDIAC_SIZE,
                        help="cardiac slice size in pixels (default: %(default)s)")
    parser.add_argument("--only", choices=("mnist", "cardiac"), help="prepare one data set only")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.data_dir:  # the explicit setting, for this process and the tools it runs
        os.environ[paths.ENV_DATA] = os.path.abspath(args.data_dir)
    print(describe().splitlines()[0] + f" ({paths.data_dir_and_reason()[1]})")
    if args.only in (None, "mnist"):
        from aecourse.tools import prefetch_mnist

        prefetch_mnist.main([])
    if args.only in (None, "cardiac"):
        from aecourse.tools import prepare_cardiac

        status = prepare_cardiac.main(["--size", str(args.size), *(["--quiet"] if args.quiet else [])])
        if status:
            return status
    print(describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(where_main())
