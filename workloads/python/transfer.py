"""transfer.py: the transfer workload in Python: each task returns --size
bytes (a pattern fixed by its index) that must reach the parent.

A thread's result reaches the caller as a reference to the same bytes
object; a process's result is pickled, written through the pool's pipe and
unpickled in the parent: the seeds' "processes must serialise to
communicate". Sweep --size 64,4K,256K,4M to see the copy overtake the work.

The bytes are random.Random(index).randbytes(size), made in C, not tvp's
multiply-add pattern: computing that word by word in Python would take
longer than moving the bytes, and the cell would measure the wrong thing.
The check remakes them after the timed region and compares every byte.
Interface and JSON: see tvp_py.py."""

import random
import sys

import tvp_py


def produce(arg):
    size, index = arg
    return random.Random(index).randbytes(size)


if __name__ == "__main__":
    sys.exit(tvp_py.main("transfer", produce, "bytes", 262144,
                         lambda arg, i, r: isinstance(r, bytes) and r == produce(arg),
                         task_arg=lambda a, i: (a.size, i)))
