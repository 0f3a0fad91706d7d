"""tvp_py.py: what the reference Python workloads share: the command line,
the modes (tvp's mode names mapped to Python's APIs), the start methods, the
timing, and one JSON object on stdout.

Each workload script (count.py, sleep.py, transfer.py, net.py) defines a
task function at module level (so process pools can pickle it by name) and
calls main() under `if __name__ == "__main__"`. Interface:

  python3 count.py --mode MODE --workers W --tasks T --size N [--repeat R]
                   [--start METHOD]
  python3 count.py --list-modes

MODE is a tvp mode name; it maps to the Python API that does the same job:

  serial           a plain loop in the main thread
  thread-spawn     one threading.Thread per task, started and joined
  fork-spawn       one multiprocessing.Process per task (the seeds' Process)
  thread-pool      multiprocessing.pool.ThreadPool
  fork-pool        multiprocessing.Pool
  executor-thread  concurrent.futures.ThreadPoolExecutor
  executor-fork    concurrent.futures.ProcessPoolExecutor

METHOD is how the process modes start their workers, as tvp's --start:
multiprocessing.get_context(METHOD) gives the Pool and the Process, and
ProcessPoolExecutor gets it as mp_context. Default: fork, what tvp's C
modes do by default (and what CPython did on Linux before 3.14).

  fork        os.fork() of this interpreter: the child has the parent's
              memory, the task function included; cheap.
  spawn       a fresh interpreter (sys.executable) per worker: it imports
              this script again as __mp_main__ (which is why the script's
              own work sits under `if __name__ == "__main__"`) and gets its
              task function by qualified name, pickled. The dearest start.
  forkserver  a server process, started with the first pool, imports the
              script once; every worker is forked from that server, which
              has no threads. Since Python 3.14 this is the default on
              Linux (a fork from a process with threads copies locks that
              other threads held). Older Pythons default to fork: on the
              machine these scripts were written on, python3 is CPython
              3.11.7 (3.12.1 and 3.13.0 beside it default to fork too).
              README.md ("Python beside C") gives what each method cost
              there.

The argument of task i is task_arg(args, i) (default: --size), and its
result is checked by check(arg, i, result) after the timed region; a task
that returns a value check refuses makes results_ok false, and "error" says
which task returned what.

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

# The modes whose workers are processes: the ones a start method applies to.
PROCESS_MODES = ("fork-spawn", "fork-pool", "executor-fork")

START_METHODS = ("fork", "spawn", "forkserver")


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


def _run(mode, task, args, workers, pool, ctx):
    if mode == "serial":
        return [task(x) for x in args]
    if mode == "thread-spawn":
        return _run_spawn_threads(task, args, workers)
    if mode == "fork-spawn":
        return _run_spawn_processes(task, args, workers, ctx)
    return pool.map(task, args)


def _first_wrong(args, res, check):
    """None when every result checks out, else what was wrong."""
    if len(res) != len(args):
        return "%d results for %d tasks" % (len(res), len(args))
    for i, r in enumerate(res):
        if not check(args[i], i, r):
            return "task %d returned %.200r" % (i, r)
    return None


def main(workload, task, size_unit, default_size, check, task_arg=None,
         add_options=None, validate=None, min_size=1):
    """Parses the command line, runs the tasks, prints the JSON object.
    check(arg, index, result) says whether task index's result is right;
    task_arg(parsed_args, index) makes task index's argument (default: the
    size); add_options(parser) adds the workload's own options, and
    validate(parsed_args) says what is wrong with them (None: nothing)."""
    ap = argparse.ArgumentParser(description="tvp reference workload '%s' in Python" % workload)
    ap.add_argument("--mode", default="serial", choices=sorted(MODES))
    ap.add_argument("--start", choices=START_METHODS, default="fork",
                    help="how the process modes start their workers (default fork)")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--size", type=int, default=default_size,
                    help="per task, in %s" % size_unit)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--list-modes", action="store_true")
    if add_options:
        add_options(ap)
    a = ap.parse_args()
    if a.list_modes:
        print(json.dumps(MODES))
        return 0
    for name in ("workers", "tasks", "repeat"):
        if getattr(a, name) < 1:
            ap.error("--%s must be at least 1" % name)
    if a.size < min_size:
        ap.error("--size must be at least %d" % min_size)
    if validate and validate(a):
        ap.error(validate(a))
    if a.start not in mp.get_all_start_methods():
        ap.error("--start %s: this Python offers %s" % (a.start, ", ".join(mp.get_all_start_methods())))

    ctx = mp.get_context(a.start)
    args = [task_arg(a, i) if task_arg else a.size for i in range(a.tasks)]
    setup_ns, walls, error = 0, [], None
    pool = None
    if a.mode in ("thread-pool", "fork-pool", "executor-thread", "executor-fork"):
        t0 = time.monotonic_ns()
        pool = _Pool(a.mode, a.workers, ctx)
        setup_ns = time.monotonic_ns() - t0
    try:
        for _ in range(a.repeat):
            t0 = time.monotonic_ns()
            res = _run(a.mode, task, args, a.workers, pool, ctx)
            walls.append(time.monotonic_ns() - t0)
            error = error or _first_wrong(args, res, check)
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
        "results_ok": error is None,
        "error": error,
        # null for the modes without worker processes: no method applies.
        "start_method": ctx.get_start_method() if a.mode in PROCESS_MODES else None,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "gil": _gil_enabled(),
            "executable": sys.executable,
            "default_start_method": mp.get_context().get_start_method(),
        },
        "pid": os.getpid(),
    }))
    return 0 if error is None else 1
