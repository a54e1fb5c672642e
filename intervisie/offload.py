"""Running CPU-heavy or blocking work off the event loop.

Under eventlet every session shares one OS thread: a PDF that takes two
seconds to lay out, or a C call that waits on a locked database, holds up
every acknowledgement of every session meanwhile. ``run_off_loop`` hands
such work to eventlet's pool of real OS threads (``eventlet.tpool``); the
calling green thread waits without blocking the others. In threading mode a
request already has its own thread, so the work simply runs where it is.

What runs off the loop must not use eventlet's green primitives (green locks,
sockets, Socket.IO emits, the app's shared database pool): gather the data on
the request, hand plain values over, and act on the result back on the loop.

At most ``WORKERS`` such jobs run at once; more wait their turn (cooperatively
under eventlet). Python runs one thread at a time, so every extra busy thread
would take a share from the event loop's thread too. While a job runs, the
interpreter switches threads every millisecond instead of every five: the loop
waits for its turn after each network or database call, and that wait is what
the other sessions would feel (measured: the median ack during a large PDF went
from about 28 to 18 ms).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, has_app_context

T = TypeVar("T")
WORKERS = 2
SWITCH_INTERVAL_S = 0.001
# Made when first used, so that under eventlet it is a green semaphore (the process is patched by then).
_turns: threading.BoundedSemaphore | None = None
_running = 0  # jobs in worker threads now; changed by green threads only
_usual_interval = sys.getswitchinterval()


def on_eventlet_loop() -> bool:
    """True in a monkey-patched eventlet process whose app runs in eventlet mode."""
    if "eventlet" not in sys.modules:
        return False
    from eventlet import patcher

    if not patcher.is_monkey_patched("thread"):
        return False
    return not has_app_context() or current_app.config.get("ASYNC_MODE") == "eventlet"


def run_off_loop(fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)``, in a real OS thread under eventlet; its result, or its exception."""
    global _turns
    if _turns is None:
        _turns = threading.BoundedSemaphore(WORKERS)
    with _turns:
        if not on_eventlet_loop():
            return fn(*args, **kwargs)
        from eventlet import tpool

        global _running
        _running += 1
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            return tpool.execute(fn, *args, **kwargs)
        finally:
            _running -= 1
            if not _running:
                sys.setswitchinterval(_usual_interval)
