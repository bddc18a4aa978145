"""Thin wrapper for `aecourse-prefetch-mnist` (aecourse.tools.prefetch_mnist): same options."""

from aecourse.tools.prefetch_mnist import main

if __name__ == "__main__":
    raise SystemExit(main())
