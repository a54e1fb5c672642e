"""Load generator: R rooms of 8 Socket.IO clients posting at a set total rate.

Built on python-socketio's asyncio client (aiohttp, websocket transport). Every
member of a room listens for the broadcast of each contribution; the report
gives the time until the *last* member of the room has it (p50/p95/p99), the
per-delivery latency, the rate achieved, errors, and anything lost (a post the
server acknowledged that some member had not received when the run ended).

    python bench/load.py --url http://127.0.0.1:5000 --rooms 10 --rate 20 --duration 20
    python bench/load.py --url http://127.0.0.1:5100 --target bare --rooms 125 --rate 400 --procs 2

Posting is open-loop: posts go out on a fixed schedule whatever the server's
pace, so a slow server shows up as latency and backlog, not as a lower send rate.
It is a measuring tool, not a test: it asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import socketio

ROOM_SIZE = 8
CASE_BRINGER = 1  # member index; everyone else in the room posts
SETUP_CONCURRENCY = 10  # rooms being set up at once
ACK_TIMEOUT = 30.0
WARMUP = "warm"  # client-id prefix of the untimed first post per room
now = time.perf_counter


@dataclass
class Post:
    room: int
    sent: float
    acked: float | None = None
    error: str | None = None
    received: dict[int, float] = field(default_factory=dict)  # member index -> time


@dataclass
class Member:
    sio: socketio.AsyncClient
    room: int
    index: int


class Recorder:
    """Everything observed during a run, keyed by the post's client id."""

    def __init__(self):
        self.posts: dict[str, Post] = {}
        self.errors: Counter[str] = Counter()
        self.duplicates = 0  # a member got the same post twice
        self.strays = 0  # a post arrived in a room it was not sent to, or is unknown
        self.disconnects: Counter[str] = Counter()  # "member <index>: <reason>" while measuring
        self.closing = False

    def delivered(self, room: int, index: int, data: dict) -> None:
        t = now()
        client_id = data.get("client_id") if isinstance(data, dict) else None
        if isinstance(client_id, str) and client_id.startswith(WARMUP):
            return
        post = self.posts.get(client_id)
        if post is None or post.room != room:
            self.strays += 1
        elif index in post.received:
            self.duplicates += 1
        else:
            post.received[index] = t

    def complete(self) -> bool:
        return all(len(p.received) == ROOM_SIZE for p in self.posts.values() if p.acked and not p.error)


class Target:
    """How to set up a room and post to it; the app and the bare server differ only here."""

    delivery_event: str

    def __init__(self, urls: list[str], http: aiohttp.ClientSession, rec: Recorder):
        self.urls, self.http, self.rec = urls, http, rec

    def url_of(self, room: int, index: int = 0) -> str:
        """Members are dealt over the server processes given, each room starting on the next one: as
        behind nginx (sticky by address), a room's people sit on several processes."""
        return self.urls[(room + index) % len(self.urls)]

    async def client(self, room: int, index: int) -> Member:
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, http_session=self.http)
        sio.on(self.delivery_event, lambda data: self.rec.delivered(room, index, data))
        sio.on("disconnect", lambda reason=None: self._dropped(index, reason))
        await sio.connect(self.url_of(room, index), transports=["websocket"], wait_timeout=20)
        return Member(sio, room, index)

    def _dropped(self, index: int, reason) -> None:
        if not self.rec.closing:
            self.rec.disconnects[f"member {index}: {reason}"] += 1

    async def setup_room(self, room: int) -> list[Member]:
        raise NotImplementedError

    def post(self, member: Member, client_id: str, text: str) -> tuple[str, dict]:
        raise NotImplementedError


# Answers that mean "not now": the server's back-pressure (busy) or a limit; tried again, as a browser does.
NOT_NOW = ("busy", "rate_limited")


async def call(member: Member, event: str, payload: dict) -> dict:
    """Emit and wait for the ack, again after a pause while the server says "not now" (up to
    ACK_TIMEOUT in all); any other refusal during setup stops the run."""
    pause, deadline = 0.2, now() + ACK_TIMEOUT
    while True:
        ack = await member.sio.call(event, payload, timeout=ACK_TIMEOUT)
        if isinstance(ack, dict) and ack.get("ok"):
            return ack
        if not isinstance(ack, dict) or ack.get("error") not in NOT_NOW or now() > deadline:
            raise RuntimeError(f"{event} refused: {ack}")
        await asyncio.sleep(pause)
        pause = min(pause * 2, 2.0)


class AppTarget(Target):
    """Intervisie: a session per room, in the clarifying-questions step."""

    delivery_event = "contribution:new"

    async def setup_room(self, room: int) -> list[Member]:
        body = {"method_id": "vijf-fasen", "name": "Facilitator"}
        async with self.http.post(f"{self.url_of(room)}/api/sessions", json=body) as response:
            created = await response.json()
        if not created.get("ok"):
            raise RuntimeError(f"create session refused: {created}")
        facilitator = await self.client(room, 0)
        await call(facilitator, "session:resume", {"token": created["token"]})
        members, ids = [facilitator], []
        for index in range(1, ROOM_SIZE):
            member = await self.client(room, index)
            ack = await call(member, "session:join", {"code": created["code"], "name": f"P{index}"})
            members.append(member)
            ids.append(ack["snapshot"]["me"]["id"])
        assigned = await call(facilitator, "role:assign", {"participant_id": ids[0], "role": "case_bringer"})
        started = await call(facilitator, "session:start", {"control": assigned["state"]["control"]})
        await call(facilitator, "step:go", {"to": 2, "control": started["state"]["control"], "confirm": True})
        return members

    def post(self, member: Member, client_id: str, text: str) -> tuple[str, dict]:
        return "contribution:add", {"client_id": client_id, "kind": "question", "text": text}


class BareTarget(Target):
    """bench/bare_server.py: join a room, post, the server broadcasts to the room."""

    delivery_event = "message"

    async def setup_room(self, room: int) -> list[Member]:
        members = []
        for index in range(ROOM_SIZE):
            member = await self.client(room, index)
            await call(member, "join", {"room": f"r{room}"})
            members.append(member)
        return members

    def post(self, member: Member, client_id: str, text: str) -> tuple[str, dict]:
        return "post", {"room": f"r{member.room}", "client_id": client_id, "text": text}


TARGETS = {"app": AppTarget, "bare": BareTarget}


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def share_over(values: list[float], limit: float) -> float | None:
    """Percentage of values above ``limit``."""
    return round(100 * sum(v > limit for v in values) / len(values), 2) if values else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far, all cores together (Linux /proc/stat)."""
    with open("/proc/stat") as handle:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, handle.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


async def watch_loop_lag(lags: list[float], stop: asyncio.Event, tick: float = 0.05) -> None:
    """How late this process's event loop wakes up: a busy generator inflates every latency."""
    while not stop.is_set():
        start = now()
        await asyncio.sleep(tick)
        lags.append(now() - start - tick)


async def run(
    url: str,
    rooms: int,
    rate: float,
    duration: float,
    target: str = "app",
    drain: float = 10.0,
    server_pid: int | list[int] | None = None,
    procs: int = 1,
) -> dict:
    """Set up the rooms, post for ``duration`` seconds at ``rate`` posts/s in total, and report.

    With ``procs`` > 1 the rooms and the rate are shared out over that many
    generator processes, which post in the same window; their samples are merged.
    """
    if procs > 1:
        return await asyncio.to_thread(
            run_spread, url, rooms, rate, duration, target, drain, server_pid, procs
        )
    samples = await run_share(url, range(rooms), rate, duration, target, drain, server_pid)
    return report_of(samples, target, rooms, rate, duration)


async def run_share(
    url: str,
    rooms: range,
    rate: float,
    duration: float,
    target: str,
    drain: float,
    server_pid: int | list[int] | None,
    ready=None,
) -> dict:
    """This process's part: set up ``rooms``, wait at ``ready`` (a multiprocessing barrier) if given,
    post at ``rate``; the raw samples (see ``samples_of``)."""
    raise_fd_limit()
    rec = Recorder()
    connector = aiohttp.TCPConnector(limit=0)  # websockets count against the pool limit
    async with aiohttp.ClientSession(connector=connector) as http:
        kind = TARGETS[target]([one.rstrip("/") for one in url.split(",")], http, rec)
        members: list[Member] = []
        try:
            started = now()
            gate = asyncio.Semaphore(SETUP_CONCURRENCY)

            async def setup(room: int) -> None:
                async with gate:
                    members.extend(await kind.setup_room(room))

            failed = [
                outcome
                for outcome in await asyncio.gather(*(setup(room) for room in rooms), return_exceptions=True)
                if isinstance(outcome, BaseException)
            ]
            if failed:
                if ready is not None:
                    ready.abort()  # the other processes stop waiting too
                raise RuntimeError(f"{len(failed)} of {len(rooms)} rooms could not be set up") from failed[0]
            setup_s = now() - started
            if ready is not None:
                await asyncio.to_thread(ready.wait, SPREAD_SETUP_TIMEOUT)
            samples = await measure(kind, rec, members, rate, duration, drain, server_pid)
            samples |= {"setup_s": setup_s, "clients": len(members)}
        finally:
            rec.closing = True
            await asyncio.gather(*(m.sio.disconnect() for m in members), return_exceptions=True)
    return samples


SPREAD_SETUP_TIMEOUT = 600.0  # seconds the generator processes wait for each other's rooms


def _share(url, rooms, rate, duration, target, drain, server_pid, ready, results) -> None:
    """One generator process: its samples (or its failure) onto the ``results`` queue."""
    try:
        samples = asyncio.run(run_share(url, rooms, rate, duration, target, drain, server_pid, ready))
    except Exception as exc:
        results.put({"failed": repr(exc)})
    else:
        results.put(samples)


def run_spread(url, rooms, rate, duration, target, drain, server_pid, procs) -> dict:
    """Rooms dealt round-robin over ``procs`` processes, each posting rate/procs, started together."""
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited event loop
    ready, results = context.Barrier(procs), context.Queue()
    workers = [
        context.Process(
            target=_share,
            args=(
                url,
                range(i, rooms, procs),
                rate / procs,
                duration,
                target,
                drain,
                server_pid,
                ready,
                results,
            ),
        )
        for i in range(procs)
    ]
    for worker in workers:
        worker.start()
    parts = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    failed = [part["failed"] for part in parts if "failed" in part]
    if failed:
        raise RuntimeError(f"{len(failed)} of {procs} generator processes failed: {failed[0]}")
    return report_of(merged(parts), target, rooms, rate, duration) | {"generator_procs": procs}


def merged(parts: list[dict]) -> dict:
    """The samples of several processes as one: lists joined, counts added, the widest window."""
    out = {}
    for key, value in parts[0].items():
        values = [part[key] for part in parts]
        if isinstance(value, list):
            out[key] = [v for vs in values for v in vs]
        elif isinstance(value, dict):
            out[key] = sum((Counter(v) for v in values), Counter())
        elif key in ("first", "setup_s", "sending"):
            out[key] = (min if key == "first" else max)(v for v in values if v is not None)
        elif key == "finished":
            out[key] = max((v for v in values if v is not None), default=None)
        elif key in ("server_cpu_s", "machine_cpu_s"):  # the same server and machine, the same window
            out[key] = None if value is None else sum(values) / len(values)
        else:
            out[key] = sum(values)
    return out


async def measure(kind: Target, rec, members, rate, duration, drain, server_pid) -> dict:
    """Post on schedule, wait for the stragglers, and sum up."""
    # Interleave so consecutive posts go to different rooms and each poster posts evenly.
    posters = sorted((m for m in members if m.index != CASE_BRINGER), key=lambda m: (m.index, m.room))
    total = max(1, int(rate * duration))
    pending: set[asyncio.Task] = set()

    async def post_one(member: Member, seq: int) -> None:
        client_id = f"b{seq:07d}r{member.room}-{uuid.uuid4().hex[:8]}"
        event, payload = kind.post(member, client_id, f"Wat maakte moment {seq} zo lastig voor je?")
        post = rec.posts[client_id] = Post(member.room, now())
        try:
            ack = await member.sio.call(event, payload, timeout=ACK_TIMEOUT)
        except Exception as exc:  # timeout, or the connection is gone
            post.error = type(exc).__name__
        else:
            post.acked = now()
            if not isinstance(ack, dict) or not ack.get("ok"):
                post.error = str(ack.get("error") if isinstance(ack, dict) else ack)
        if post.error:
            rec.errors[post.error] += 1

    # One untimed post per room first, so one-off costs (statement caches) are not measured.
    firsts = {m.room: m for m in reversed(posters)}.values()
    await asyncio.gather(
        *(
            call(m, *kind.post(m, f"{WARMUP}-{m.room}-{uuid.uuid4().hex[:8]}", "Wat speelt er?"))
            for m in firsts
        )
    )
    await asyncio.sleep(0.5)

    lags: list[float] = []
    stop = asyncio.Event()
    lag_task = asyncio.create_task(watch_loop_lag(lags, stop))
    pids = [server_pid] if isinstance(server_pid, int) else list(server_pid or ())

    def servers_cpu() -> float | None:
        return sum(cpu_seconds(pid) for pid in pids) if pids else None

    cpu0 = (time.process_time(), servers_cpu(), machine_cpu_seconds())
    t0 = now() + 0.05
    late: list[float] = []
    for seq in range(total):
        due = t0 + seq / rate
        if due > now():
            await asyncio.sleep(due - now())
        late.append(now() - due)
        task = asyncio.create_task(post_one(posters[seq % len(posters)], seq))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.sleep(max(0.0, t0 + total / rate - now()))  # the schedule's last interval
    sending = now() - t0
    cpu = {  # CPU seconds while posting
        "own_cpu_s": time.process_time() - cpu0[0],
        "server_cpu_s": servers_cpu() - cpu0[1] if cpu0[1] is not None else None,
        "machine_cpu_s": machine_cpu_seconds() - cpu0[2],
    }
    if pending:
        await asyncio.wait(set(pending), timeout=ACK_TIMEOUT + 1)
    deadline = now() + drain
    while not rec.complete() and now() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await lag_task
    return samples_of(rec, total, sending, lags, late) | cpu


def samples_of(rec: Recorder, total: int, sending: float, lags: list[float], late: list[float]) -> dict:
    """The run's raw figures (seconds, counts, perf_counter times): what processes merge before summing up."""
    posts = list(rec.posts.values())
    accepted = [p for p in posts if p.acked and not p.error]
    done = [p for p in accepted if len(p.received) == ROOM_SIZE]
    lost = [p for p in accepted if len(p.received) < ROOM_SIZE]
    return {
        "total": total,
        "sending": sending,
        "accepted": len(accepted),
        "done": len(done),
        "last": [max(p.received.values()) - p.sent for p in done],
        "each": [t - p.sent for p in posts for t in p.received.values()],
        "acks": [p.acked - p.sent for p in accepted],
        "finished": max((max(p.received.values()) for p in done), default=None),
        "first": min((p.sent for p in posts), default=None),
        "errors": dict(rec.errors),
        "lost": len(lost),
        "lost_deliveries": sum(ROOM_SIZE - len(p.received) for p in lost),
        "duplicates": rec.duplicates,
        "strays": rec.strays,
        "disconnects": dict(rec.disconnects),
        "lags": lags,
        "late": late,
    }


def report_of(s: dict, target: str, rooms: int, rate: float, duration: float) -> dict:
    """The report from raw samples: percentiles in ms, rates per second, CPU in % of one core."""

    def ms(values, q):
        value = percentile(values, q)
        return None if value is None else round(value * 1000, 1)

    sending, each, acks = s["sending"], s["each"], s["acks"]
    own, server = 100 * s["own_cpu_s"] / sending, s["server_cpu_s"]
    server = None if server is None else 100 * server / sending
    machine = 100 * s["machine_cpu_s"] / sending  # "others" is everything else on the machine
    return {
        "target": target,
        "rooms": rooms,
        "clients": s["clients"],
        "rate": rate,
        "duration": duration,
        "setup_s": round(s["setup_s"], 1),
        "sent": s["total"],
        "sent_per_s": round(s["total"] / sending, 2),
        "accepted": s["accepted"],
        "delivered_to_all": s["done"],
        # Over the posting window at least, so a lone post does not count as a rate.
        "achieved_per_s": round(s["done"] / max(s["finished"] - s["first"], sending), 2)
        if s["done"]
        else 0.0,
        "last_member_ms": {f"p{q}": ms(s["last"], q) for q in (50, 95, 99)} | {"max": ms(s["last"], 100)},
        "delivery_ms": {f"p{q}": ms(each, q) for q in (50, 95, 99)},
        "ack_ms": {f"p{q}": ms(acks, q) for q in (50, 99)},
        # Nagle + delayed ACK shows as a cluster just above 40 ms.
        "over_40ms_pct": {"delivery": share_over(each, 0.040), "ack": share_over(acks, 0.040)},
        "deliveries": len(each),
        "errors": dict(s["errors"]),
        "lost": s["lost"],
        "lost_deliveries": s["lost_deliveries"],
        "duplicates": s["duplicates"],
        "strays": s["strays"],
        "disconnects": dict(s["disconnects"]),
        "generator_loop_lag_ms": {"p99": ms(s["lags"], 99), "max": ms(s["lags"], 100)},
        "send_late_ms": {"p99": ms(s["late"], 99), "max": ms(s["late"], 100)},
        "generator_cpu_pct": round(own),
        "server_cpu_pct": None if server is None else round(server),
        "others_cpu_pct": None if server is None else max(0, round(machine - own - server)),
    }


def raise_fd_limit() -> None:
    """Allow a thousand sockets: soft RLIMIT_NOFILE up to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def describe(report: dict) -> str:
    last, each = report["last_member_ms"], report["delivery_ms"]
    return (
        f"{report['target']}: {report['rooms']} rooms, {report['clients']} clients, "
        f"{report['rate']:g} posts/s asked, {report['sent_per_s']} sent/s, "
        f"{report['achieved_per_s']} delivered-to-all/s\n"
        f"  last member  p50 {last['p50']} ms  p95 {last['p95']} ms  p99 {last['p99']} ms  max {last['max']} ms\n"
        f"  per delivery p50 {each['p50']} ms  p95 {each['p95']} ms  p99 {each['p99']} ms  "
        f"(ack p50 {report['ack_ms']['p50']} ms  p99 {report['ack_ms']['p99']} ms)  "
        f"over 40 ms: {report['over_40ms_pct']['delivery']}% of deliveries, {report['over_40ms_pct']['ack']}% of acks\n"
        f"  errors {report['errors'] or 0}  lost {report['lost']} ({report['lost_deliveries']} deliveries)  "
        f"duplicates {report['duplicates']}  strays {report['strays']}  disconnects {report['disconnects'] or 0}\n"
        f"  cpu: server {report['server_cpu_pct']}%  generator {report['generator_cpu_pct']}%  "
        f"others {report['others_cpu_pct']}%  "
        f"generator loop lag p99 {report['generator_loop_lag_ms']['p99']} ms  setup {report['setup_s']} s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:5000",
        help="a server, or several, comma-separated: each room's members dealt over them",
    )
    parser.add_argument("--target", choices=sorted(TARGETS), default="app")
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--rate", type=float, default=2.0, help="posts per second, all rooms together")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of posting")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for stragglers")
    parser.add_argument(
        "--server-pid",
        type=lambda text: [int(pid) for pid in text.split(",")],
        help="sample this process's CPU use (several, comma-separated: their sum)",
    )
    parser.add_argument("--procs", type=int, default=1, help="generator processes to spread the rooms over")
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args(argv)
    for url in args.url.split(","):
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            parser.error("the benchmark only targets a server on this machine (127.0.0.1)")
    report = asyncio.run(
        run(
            args.url,
            args.rooms,
            args.rate,
            args.duration,
            args.target,
            args.drain,
            args.server_pid,
            args.procs,
        )
    )
    print(describe(report), flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle)


if __name__ == "__main__":
    main()
