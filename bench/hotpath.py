"""The server's own work for one contribution, in-process: ``service.add_contribution``'s CPU time, profiled.

Builds one session of 8 people on a fresh SQLite file (or ``--database-url``),
in step 2, then adds ``--count`` questions round-robin from the 7 who may
write, through the service layer (no sockets: the transport is what the bare
server measures). Prints the mean wall time per contribution and, with
``--profile N``, cProfile's top N entries by own time.

    .venv/bin/python bench/hotpath.py --count 3000 --profile 15
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
import uuid

from intervisie import service
from intervisie.app import create_app


def seated_session() -> list[str]:
    """A running session in step 2 with 8 bound connections; the sids of the 7 who may write."""
    made = service.create_session({"method_id": "vijf-fasen", "name": "Fien"})
    facilitator = "sid-facilitator"
    service.resume(facilitator, {"token": made["token"]}, time.time()).then()
    sids = [facilitator]
    ids = []
    for i in range(7):
        sid = f"sid-{i}"
        outcome = service.join(sid, {"code": made["code"], "name": f"Lid {i}"}, time.time())
        ids.append(outcome.then()["snapshot"]["me"]["id"])
        sids.append(sid)
    acted = service.assign_role(facilitator, {"participant_id": ids[0], "role": "case_bringer"}, time.time())
    for action, payload in ((service.start, {}), (service.go_to_step, {"to": 2})):
        control = acted.ack["state"]["control"]
        acted = action(facilitator, {**payload, "control": control}, time.time())
    return [s for s in sids if s != "sid-0"]  # the case bringer listens


def run(writers: list[str], count: int) -> float:
    """CPU seconds of this process per contribution, ``count`` of them round-robin from ``writers``
    (CPU, not wall time: other work on a shared machine does not count)."""
    start = time.process_time()
    for i in range(count):
        sid = writers[i % len(writers)]
        payload = {"client_id": uuid.uuid4().hex, "kind": "question", "text": f"Wat maakt het lastig? {i}"}
        service.add_contribution(sid, payload, time.time())
    return (time.process_time() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--count", type=int, default=2000, help="contributions to add (at most 490 a session)"
    )
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N entries by own time")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="intervisie-hotpath-")
    url = args.database_url or f"sqlite:///{folder}/hotpath.sqlite3"
    app = create_app(
        {"DATABASE_URL": url, "ASYNC_MODE": "threading", "BACKGROUND_TASKS": False, "INSTANCE_PATH": folder}
    )
    done, spent = 0, 0.0
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, as the figure
    with app.app_context():
        while done < args.count:  # a session holds at most 500 contributions: a fresh one per 490
            batch = min(490, args.count - done)
            writers = seated_session()
            if profiler:
                profiler.enable()
            spent += run(writers, batch) * batch
            if profiler:
                profiler.disable()
            done += batch
    print(
        f"service.add_contribution: {spent / done * 1000:.3f} ms CPU per contribution ({done} added, {url.split(':')[0]})"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
