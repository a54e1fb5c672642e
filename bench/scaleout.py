"""1, 2, 4 ... app processes on Redis and PostgreSQL: correctness and overhead at one fixed rate.

For each process count: a fresh PostgreSQL database and Redis db (the test
servers of tests/resources.py), the schema upgraded once, N processes started
with ``deploy/intervisie.env`` as the sample deployment does (back-pressure
off, as a loaded test machine would otherwise answer busy), then bench/load.py
with every room's members dealt over the processes, so each broadcast crosses
Redis. Server CPU is all N processes together; Redis and PostgreSQL count as
"others".

    .venv/bin/python bench/scaleout.py --procs 1,2,4 --rooms 50 --rate 25 --duration 15
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from tests.live.test_three_processes import unit_environment  # noqa: E402
from tests.resources import REDIS_URL, fresh_postgres_database, fresh_redis_db  # noqa: E402
from tests.support import MANY_PEOPLE_ONE_ADDRESS, LiveServer  # noqa: E402

SCALE_REDIS_URL = re.sub(r"/\d+$", "/11", REDIS_URL)  # a db of its own: the live tests use 7 to 9


def cell(count: int, args, folder: Path) -> dict:
    """One process count: fresh stores, N servers, one load run; the load report."""
    env = unit_environment(
        DATABASE_URL=fresh_postgres_database("intervisie_scaleout_bench"),
        INTERVISIE_MESSAGE_QUEUE=fresh_redis_db(SCALE_REDIS_URL),
    ) | {
        **MANY_PEOPLE_ONE_ADDRESS,
        "INTERVISIE_BEHIND_PROXY": "0",  # straight to the processes: no proxy header to trust
        "INTERVISIE_BUSY_LAG_MS": "0",
        "INTERVISIE_SESSION_EVENTS_PER_SECOND": "100000",
        "INTERVISIE_SESSION_EVENT_BURST": "100000",
    }
    upgrade = [str(Path(sys.executable).parent / "intervisie"), "db", "upgrade"]
    subprocess.run(upgrade, cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True)
    servers = [LiveServer(folder / f"n{count}-{i}", env=env) for i in range(count)]
    try:
        for server in servers:
            server.start()
        run = load.run(
            ",".join(s.url for s in servers),
            args.rooms,
            args.rate,
            args.duration,
            drain=args.drain,
            server_pid=[s.proc.pid for s in servers],
        )
        report = asyncio.run(run)
    finally:
        for server in servers:
            server.stop()
    problems = [
        line
        for s in servers
        for line in s.log.read_text(errors="replace").splitlines()
        if "Traceback" in line
    ]
    return report | {
        "processes": count,
        "server_tracebacks": len(problems),
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", default="1,2,4", help="process counts, comma-separated")
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--rate", type=float, default=25.0, help="posts per second, all rooms together")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--drain", type=float, default=10.0)
    args = parser.parse_args()
    load.raise_fd_limit()
    folder = Path(tempfile.mkdtemp(prefix="intervisie-scaleout-"))
    for count in (int(c) for c in args.procs.split(",")):
        report = cell(count, args, folder)
        print(
            f"{count} process(es), load average {report['load_average']:.1f}, "
            f"server tracebacks {report['server_tracebacks']}\n{load.describe(report)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
