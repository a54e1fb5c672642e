"""A large record download does not hold up anyone else on the server.

A real eventlet server process: one session's facilitator downloads the PDF
of a very large record (150 questions of 2,000 characters, under the cap),
while a participant of another session keeps sending events. That
participant's acknowledgements must stay quick, because the record is built
off the event loop (``intervisie/offload.py``).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import urllib.request
import uuid

import pytest
import socketio
from sqlalchemy import select

from intervisie.db import make_engine
from intervisie.models import Contribution, Participant, Session
from intervisie.session import normalise_code
from tests.support import LiveServer

pytestmark = pytest.mark.live

QUESTIONS, LENGTH = 150, 2000
ACK_LIMIT_S = 0.2


def fill_with_questions(server: LiveServer, code: str, count: int, length: int) -> None:
    """Store ``count`` questions straight in the server's database (quicker than the protocol)."""
    url = server.extra_env.get("DATABASE_URL") or os.environ.get("INTERVISIE_TEST_DATABASE_URL")
    engine = make_engine(url or f"sqlite:///{server.instance / 'intervisie.sqlite3'}")
    sentence = "Wat gebeurde er vlak voordat je collega geïrriteerd raakte, en wat deed jij toen? "
    text = (sentence * (length // len(sentence) + 1))[:length]
    try:
        with engine.begin() as connection:
            session = connection.execute(select(Session).where(Session.code == normalise_code(code))).one()
            author = connection.execute(
                select(Participant.id).where(Participant.session_id == session.id)
            ).scalar_one()
            now = time.time()
            connection.execute(
                Contribution.__table__.insert(),
                [
                    {
                        "id": uuid.uuid4().hex,
                        "session_id": session.id,
                        "client_id": uuid.uuid4().hex,
                        "participant_id": author,
                        "step_id": "vragen",
                        "step_index": 2,
                        "kind": "question",
                        "text": text,
                        "created_at": now + i / 1000,
                        "hidden": False,
                    }
                    for i in range(count)
                ],
            )
    finally:
        engine.dispose()


def download_pdf(server: LiveServer, code: str, token: str, result: dict) -> None:
    request = urllib.request.Request(
        f"{server.url}/api/sessions/{code}/record.pdf",
        data=b"",
        headers={"Authorization": f"Bearer {token}"},
        method="POST",
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=120) as response:
        result["status"], result["body"] = response.status, response.read()
    result["seconds"] = time.monotonic() - started


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path / "instance", mode="eventlet").start()
    yield live
    live.stop()


def test_another_session_keeps_its_quick_acks_during_a_large_pdf_download(server):
    big = server.create_session(name="Fien")
    fill_with_questions(server, big["code"], QUESTIONS, LENGTH)
    other = server.create_session(name="Noor")
    participant = socketio.Client(reconnection=False)
    participant.connect(server.url, transports=["websocket"], wait_timeout=10)
    try:
        assert participant.call("session:join", {"code": other["code"], "name": "Sem"}, timeout=10)["ok"]
        result: dict = {}
        downloading = threading.Thread(
            target=download_pdf, args=(server, big["code"], big["token"], result), daemon=True
        )
        latencies = []
        downloading.start()
        time.sleep(0.05)  # let the request reach the server
        while downloading.is_alive():
            sent = time.monotonic()
            ack = participant.call("language:set", {"lang": "nl"}, timeout=60)
            latencies.append(time.monotonic() - sent)
            assert ack["ok"], ack
            time.sleep(0.05)
        downloading.join()
    finally:
        participant.disconnect()

    assert result["status"] == 200 and result["body"].startswith(b"%PDF")
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"\nPDF {QUESTIONS}x{LENGTH} chars: {result['seconds']:.2f} s, {len(result['body'])} bytes; "
        f"other session's acks during it: n={len(latencies)}, median={statistics.median(latencies) * 1000:.0f} ms, "
        f"p95={p95 * 1000:.0f} ms, max={latencies[-1] * 1000:.0f} ms"
    )
    assert p95 < ACK_LIMIT_S, latencies
    assert len(latencies) >= 5, "the download was too quick to measure anything"
