"""count.py: the seeds' CPU-bound loop in Python: each task counts from 0 to
--size and returns the count. Under CPython's GIL only one thread runs
bytecode at a time, so threads do not make it faster; processes do.
Interface and JSON: see tvp_py.py."""

import sys

import tvp_py


def count(n):
    total = 0
    for _ in range(n):
        total += 1
    return total


if __name__ == "__main__":
    sys.exit(tvp_py.main("count", count, "iterations", 10_000_000,
                         lambda n, i, r: r == n))
