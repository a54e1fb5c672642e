"""What a connected client costs in server memory, and what a reconnect costs when the room is full.

``rss``: starts the app (``wsgi.py``, eventlet, SQLite) and the bare server in
turn, connects rooms of 8 clients with bench/load.py's own set-up (the app's
rooms are real sessions in step 2, one post each), and reads the server's
resident memory (``VmRSS``) before any client and at each client count. The
cost per client is the growth divided by the clients; the step between two
counts leaves out one-off growth (first imports, caches).

``snapshot``: in-process, a session of 8 (bench/hotpath.py's) filled with
500 contributions; then a participant comes back ``--resumes`` times
(``service.resume`` and the snapshot it reads, JSON-encoded as the ack goes
out). Prints the server's wall and CPU time per reconnect, p50/p95/max.

    .venv/bin/python bench/footprint.py rss --clients 400,800
    .venv/bin/python bench/footprint.py snapshot --resumes 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import hotpath, load  # noqa: E402
from bench.run_all import Server  # noqa: E402


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))


async def connect_and_read(url: str, target: str, counts: list[int], pid: int) -> list[dict]:
    """Connect rooms until each client count in turn is reached; the server's RSS at each (KiB)."""
    rec = load.Recorder()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        kind = load.TARGETS[target]([url], http, rec)
        members: list[load.Member] = []
        readings = [{"clients": 0, "rss_kib": rss_kib(pid)}]
        gate = asyncio.Semaphore(load.SETUP_CONCURRENCY)

        async def room(number: int) -> None:
            async with gate:
                people = await kind.setup_room(number)
                members.extend(people)
                poster = people[2]  # neither the facilitator nor the case bringer
                await load.call(poster, *kind.post(poster, uuid.uuid4().hex, "Wat speelt er?"))

        try:
            for count in counts:
                first = len(members) // load.ROOM_SIZE
                await asyncio.gather(*(room(n) for n in range(first, count // load.ROOM_SIZE)))
                await asyncio.sleep(2.0)  # let buffers and pings settle
                readings.append({"clients": len(members), "rss_kib": rss_kib(pid)})
        finally:
            rec.closing = True
            await asyncio.gather(*(m.sio.disconnect() for m in members), return_exceptions=True)
    return readings


def per_client(readings: list[dict]) -> list[str]:
    """Lines: RSS at each count, growth per client from none, and between consecutive counts."""
    lines, base = [], readings[0]
    for before, after in zip(readings, readings[1:], strict=False):
        from_zero = (after["rss_kib"] - base["rss_kib"]) / after["clients"]
        step = (after["rss_kib"] - before["rss_kib"]) / (after["clients"] - before["clients"])
        lines.append(
            f"  {after['clients']:>5} clients: RSS {after['rss_kib'] / 1024:.1f} MiB "
            f"(idle {base['rss_kib'] / 1024:.1f}), {from_zero:.1f} KiB/client from none, "
            f"{step:.1f} KiB/client since {before['clients']}"
        )
    return lines


def rss(args) -> None:
    counts = [int(c) for c in args.clients.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="intervisie-footprint-"))
    load.raise_fd_limit()
    for target in args.targets.split(","):
        with Server(target, ROOT, workdir) as server:
            time.sleep(2.0)  # start-up done
            readings = asyncio.run(connect_and_read(server.url, target, counts, server.proc.pid))
        print(f"{target}: load average {os.getloadavg()[0]:.1f}")
        print("\n".join(per_client(readings)), flush=True)


def snapshot(args) -> None:
    from sqlalchemy import select

    from intervisie import service
    from intervisie.app import create_app
    from intervisie.db import db
    from intervisie.models import Session

    folder = tempfile.mkdtemp(prefix="intervisie-snapshot-")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder}/snapshot.sqlite3",
            "ASYNC_MODE": "threading",
            "BACKGROUND_TASKS": False,
            "INSTANCE_PATH": folder,
        }
    )
    with app.app_context():
        writers = hotpath.seated_session()
        with db.session() as orm:
            code = orm.scalar(select(Session.code))  # the only session in this fresh database
        joined = service.join("sid-back", {"code": code, "name": "Terugkomer"}, time.time()).then()
        hotpath.run(writers, args.contributions)
        walls, cpus, size = [], [], 0
        for i in range(args.resumes):
            wall, cpu = time.perf_counter(), time.process_time()
            ack = service.resume(f"sid-back-{i}", {"token": joined["token"]}, time.time()).then()
            size = len(json.dumps(ack))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    held = len(ack["snapshot"]["contributions"])

    def ms(values: list[float], q: float) -> str:
        return f"{load.percentile(values, q) * 1000:.1f}"

    print(
        f"reconnect to a room holding {held} contributions ({size / 1024:.0f} KiB of JSON), "
        f"{args.resumes} times, load average {os.getloadavg()[0]:.1f}:\n"
        f"  server wall ms p50 {ms(walls, 50)}  p95 {ms(walls, 95)}  max {ms(walls, 100)}\n"
        f"  server CPU  ms p50 {ms(cpus, 50)}  p95 {ms(cpus, 95)}  max {ms(cpus, 100)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    memory = commands.add_parser("rss", help="server RSS per connected client, app and bare")
    memory.add_argument("--clients", default="400,800", help="client counts, rising, multiples of 8")
    memory.add_argument("--targets", default="app,bare")
    memory.set_defaults(run=rss)
    resume = commands.add_parser("snapshot", help="reconnect to a room holding many contributions")
    resume.add_argument("--contributions", type=int, default=500)
    resume.add_argument("--resumes", type=int, default=50)
    resume.set_defaults(run=snapshot)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
