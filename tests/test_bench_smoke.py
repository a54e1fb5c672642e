"""A tiny run of the load benchmark against a real server: it works, and nothing goes missing.

Only correctness is checked (every acknowledged post reached every member, no
errors); the benchmark's timings are reported by bench/, never asserted.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import load
from tests.support import LiveServer

pytestmark = pytest.mark.live


def test_small_load_run_loses_nothing(tmp_path):
    server = LiveServer(tmp_path / "instance").start()
    try:
        run = load.run(
            server.url, rooms=2, rate=4, duration=3, target="app", drain=5, server_pid=server.proc.pid
        )
        # A thread of its own: the browser tests' Playwright may hold this thread's event loop.
        with ThreadPoolExecutor(1) as pool:
            report = pool.submit(asyncio.run, run).result()
    finally:
        server.stop()
    assert report["clients"] == 2 * load.ROOM_SIZE
    assert report["errors"] == {} and report["disconnects"] == {}
    assert report["duplicates"] == 0 and report["strays"] == 0
    assert report["lost"] == 0
    assert report["sent"] == report["accepted"] == report["delivered_to_all"] == 12
