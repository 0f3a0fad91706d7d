"""tvp_py.py: what the reference Python workloads share: the command line,
the modes (tvp's mode names mapped to Python's APIs), the timing, and one
JSON object on stdout.

Each workload script (count.py, sleep.py) defines a task function at module
level (so process pools can pickle it by name) and calls main(). Interface:

  python3 count.py --mode MODE --workers W --tasks T --size N [--repeat R]
  python3 count.py --list-modes

MODE is a tvp mode name; it maps to the Python API that does the same job:

  serial           a plain loop in the main thread
  thread-spawn     one threading.Thread per task, started and joined
  fork-spawn       one multiprocessing.Process per task (the seeds' Process)
  thread-pool      multiprocessing.pool.ThreadPool
  fork-pool        multiprocessing.Pool
  executor-thread  concurrent.futures.ThreadPoolExecutor
  executor-fork    concurrent.futures.ProcessPoolExecutor

As in tvp, a pool's start-up (creating it and running one empty task per
worker) is timed apart as setup_ns, and the spawn modes create their threads
or processes inside the timed region, because that is what they measure.
wall_ns holds one figure per repetition. Exit status: 0 when every task's
result checked out, 1 when one did not, 2 for a bad command line.
"""

import argparse
import concurrent.futures as cf
import json
import multiprocessing as mp
import multiprocessing.pool as mpp
import os
import platform
import sys
import threading
import time

MODES = {
    "serial": "loop",
    "thread-spawn": "threading.Thread",
    "fork-spawn": "multiprocessing.Process",
    "thread-pool": "multiprocessing.pool.ThreadPool",
    "fork-pool": "multiprocessing.Pool",
    "executor-thread": "concurrent.futures.ThreadPoolExecutor",
    "executor-fork": "concurrent.futures.ProcessPoolExecutor",
}


def _noop(_):
    return None


def _spawned(task, arg, out, i):
    out[i] = task(arg)


def _process_main(task, arg, conn):
    conn.send(task(arg))
    conn.close()


def _run_spawn_threads(task, args, workers):
    # One thread per task, at most `workers` alive at once (tvp's spawn
    # modes do the same: they create as many as the worker count allows).
    out = [None] * len(args)
    for start in range(0, len(args), workers):
        ts = [threading.Thread(target=_spawned, args=(task, args[i], out, i))
              for i in range(start, min(start + workers, len(args)))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return out


def _run_spawn_processes(task, args, workers, ctx):
    out = []
    for start in range(0, len(args), workers):
        batch = []
        for i in range(start, min(start + workers, len(args))):
            recv, send = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_process_main, args=(task, args[i], send),
                            name="task-%d" % i)
            p.start()
            send.close()
            batch.append((p, recv))
        for p, recv in batch:
            out.append(recv.recv())
            p.join()
    return out


class _Pool:
    """A started pool of the kind `mode` names, behind one map()."""

    def __init__(self, mode, workers, ctx):
        if mode == "thread-pool":
            self.p = mpp.ThreadPool(workers)
        elif mode == "fork-pool":
            self.p = ctx.Pool(workers)
        elif mode == "executor-thread":
            self.p = cf.ThreadPoolExecutor(workers)
        else:
            self.p = cf.ProcessPoolExecutor(workers, mp_context=ctx)
        self.executor = mode.startswith("executor-")
        # Start every worker before the clock starts, as tvp's pools do.
        self.map(_noop, list(range(workers)))

    def map(self, task, args):
        if self.executor:
            return list(self.p.map(task, args))
        return self.p.map(task, args, chunksize=1)

    def close(self):
        if self.executor:
            self.p.shutdown(wait=True)
        else:
            self.p.close()
            self.p.join()


def _gil_enabled():
    probe = getattr(sys, "_is_gil_enabled", None)
    return bool(probe()) if probe else True


def main(workload, task, size_unit, default_size, check):
    """Parses the command line, runs the tasks, prints the JSON object.
    check(arg, index, result) says whether task index's result is right."""
    ap = argparse.ArgumentParser(description="tvp reference workload '%s' in Python" % workload)
    ap.add_argument("--mode", default="serial", choices=sorted(MODES))
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--size", type=int, default=default_size,
                    help="per task, in %s" % size_unit)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--list-modes", action="store_true")
    a = ap.parse_args()
    if a.list_modes:
        print(json.dumps(MODES))
        return 0
    for name in ("workers", "tasks", "size", "repeat"):
        if getattr(a, name) < 1:
            ap.error("--%s must be at least 1" % name)

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    args = [a.size] * a.tasks
    setup_ns, walls, ok = 0, [], True
    pool = None
    if a.mode in ("thread-pool", "fork-pool", "executor-thread", "executor-fork"):
        t0 = time.monotonic_ns()
        pool = _Pool(a.mode, a.workers, ctx)
        setup_ns = time.monotonic_ns() - t0
    try:
        for _ in range(a.repeat):
            t0 = time.monotonic_ns()
            if a.mode == "serial":
                res = [task(x) for x in args]
            elif a.mode == "thread-spawn":
                res = _run_spawn_threads(task, args, a.workers)
            elif a.mode == "fork-spawn":
                res = _run_spawn_processes(task, args, a.workers, ctx)
            else:
                res = pool.map(task, args)
            walls.append(time.monotonic_ns() - t0)
            ok = ok and len(res) == len(args) and all(
                check(args[i], i, r) for i, r in enumerate(res))
    finally:
        if pool:
            pool.close()

    print(json.dumps({
        "lang": "python",
        "workload": workload,
        "mode": a.mode,
        "api": MODES[a.mode],
        "workers": a.workers,
        "tasks": a.tasks,
        "size": a.size,
        "size_unit": size_unit,
        "setup_ns": setup_ns,
        "wall_ns": walls,
        "results_ok": ok,
        "start_method": ctx.get_start_method(),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "gil": _gil_enabled(),
            "executable": sys.executable,
        },
        "pid": os.getpid(),
    }))
    return 0 if ok else 1
