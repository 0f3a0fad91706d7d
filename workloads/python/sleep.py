"""sleep.py: the IO-bound stand-in in Python: each task sleeps --size
nanoseconds and returns its size. A sleeping thread releases the GIL, so
threads overlap here as well as processes do. Interface and JSON: see
tvp_py.py."""

import sys
import time

import tvp_py


def nap(ns):
    time.sleep(ns / 1e9)
    return ns


if __name__ == "__main__":
    sys.exit(tvp_py.main("sleep", nap, "ns", 10_000_000,
                         lambda ns, i, r: r == ns))
