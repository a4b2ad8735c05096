"""Tie a helper process's life to the process that owns it: when the owner dies, so does it.

    die_with(owner_pid)          # first thing in a PDF pool process (jobs/process_pool.py)

A `docat worker` killed with SIGKILL runs no cleanup, and its PDF pool
processes used to be re-parented to PID 1 and go on (one kept OCRing the dead
job for 41 CPU-seconds, then held 165 MB). Two guards:

- Linux: `prctl(PR_SET_PDEATHSIG, SIGKILL)`. The kernel kills the process the
  moment its parent (the fork server, itself a child of the worker that exits
  when the worker's end of its pipe closes) goes away, even in the middle of a
  MuPDF call that holds the GIL. It is checked against `os.getppid()` right
  after, for a parent that died before the call.
- Everywhere: a daemon thread that looks every `WATCH_SECONDS` whether the
  parent changed (re-parented: it died) or the owner (the worker, not the
  direct parent under the fork server) is gone, and then kills this process.
  It is the only guard off Linux, and covers an owner that dies while the fork
  server lives on. A thread only runs between GIL-holding calls: it ends a
  process at its next chunk at the latest.

Under systemd (KillMode=control-group) the whole group is killed anyway; these
guards are what makes a bare host, a container whose PID 1 is not an init, or a
`kill -9` of the worker alone behave the same way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_SECONDS = 1.0


def set_parent_death_signal(signum: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send `signum` when the parent dies (Linux); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
            return False
    except OSError as exc:  # no libc to load (an unusual container): the watchdog still runs
        logger.warning("prctl not available: %s", exc)
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else (pid reused by another user's process)
    return True


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _watch(parent: int, owner: int, interval: float) -> None:
    stop = threading.Event()
    while not stop.wait(interval):
        if os.getppid() != parent or not _alive(owner):
            _kill_self()


def die_with(owner: int, *, interval: float = WATCH_SECONDS) -> None:
    """Make this process die when its parent or `owner` (a pid) dies."""
    parent = os.getppid()
    set_parent_death_signal()
    if parent == 1 or not _alive(owner):
        _kill_self()  # already orphaned before the signal was armed
    threading.Thread(
        target=_watch, args=(parent, owner, interval), name="docat-parent-watch", daemon=True
    ).start()


__all__ = ["WATCH_SECONDS", "die_with", "set_parent_death_signal"]
