"""net.py: the net workload in Python: each task GETs --url with urllib and
reads the whole answer, as tvp's C task does: one HTTP/1.1 connection per
request ("Connection: close", which urllib sends), every socket call bounded
by --timeout seconds.

A waiting thread releases the GIL, so threads overlap here as processes do;
unlike sleep, each request also costs the interpreter real work (building
the request, parsing the answer), which the GIL serialises.

tvp runs it against a server of its own (workloads/net_server.c, the same
program the C cells ask, started for the Python cells with the same --size
and --net-delay) and passes --tvp-server: then the body must be tvp's
pattern (byte i is 'a' + i % 26) of exactly --size bytes. With `tvp run
--url`, it asks that server and only the status is checked. A task that
fails returns what went wrong instead of raising, so the check can say it.
Interface and JSON: see tvp_py.py."""

import functools
import string
import sys
import urllib.request
import zlib

import tvp_py


def fetch(arg):
    url, timeout_s = arg[0], arg[1]
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            body = r.read()
            return (r.status, len(body), zlib.crc32(body))
    except Exception as e:  # pylint: disable=broad-except
        return ("error", "GET %s: %s: %s" % (url, type(e).__name__, e))


@functools.lru_cache(maxsize=None)
def _tvp_answer(size):
    body = (string.ascii_lowercase.encode() * (size // 26 + 1))[:size]
    return (200, size, zlib.crc32(body))


def _check(arg, _index, r):
    _url, _timeout_s, size, tvp_server = arg
    return r == _tvp_answer(size) if tvp_server else r[0] == 200


def _options(ap):
    ap.add_argument("--url", help="http://HOST:PORT/PATH (required)")
    ap.add_argument("--timeout", type=float, default=5.0,
                    help="seconds a socket call may wait (default 5)")
    ap.add_argument("--tvp-server", action="store_true",
                    help="the URL is tvp's own server: check the body against its pattern")


if __name__ == "__main__":
    sys.exit(tvp_py.main("net", fetch, "bytes", 4096, _check,
                         task_arg=lambda a, i: (a.url, a.timeout, a.size, a.tvp_server),
                         add_options=_options, min_size=0,
                         validate=lambda a: None if a.url else "--url is required"))
