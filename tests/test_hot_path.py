"""The contribution path reads who and where in one query and answers early when the process is behind.

``contribution:add`` (intervisie/service/contributions.py) reads the session,
its people and their connections in one locked statement (``base.seat``),
lets the unique client id catch a resend, and publishes from the values at
hand; back-pressure (``limits.Pressure``) refuses new work as ``busy``.
"""

from __future__ import annotations

import contextlib
import gc
import time
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from intervisie import limits, service
from intervisie.db import db
from intervisie.extensions import socketio
from intervisie.limits import Pressure
from intervisie.models import Contribution
from intervisie.session import RuleViolation, clean_text
from tests.conftest import Person


def stored(app) -> int:
    with app.app_context(), db.session() as orm:
        return orm.scalar(select(func.count()).select_from(Contribution))


def test_a_resend_after_the_step_moved_is_acknowledged_as_stored(app, group):
    group.start()
    group.go(2)
    asker = group.participants[0]
    client_id = uuid.uuid4().hex
    first = asker.ok(
        "contribution:add", client_id=client_id, kind="question", text="Wat speelt er?", step_index=2
    )
    group.go(3)
    again = asker.ok(
        "contribution:add", client_id=client_id, kind="question", text="Wat speelt er?", step_index=2
    )
    assert again["duplicate"] and again["contribution"]["id"] == first["contribution"]["id"]
    assert stored(app) == 1


def test_each_sees_a_new_contribution_once_and_only_as_they_may(group):
    group.start()
    group.go(2)
    group.drain()
    asker = group.participants[0]
    ack = asker.ok("contribution:add", client_id=uuid.uuid4().hex, kind="question", text="Hoe voelt dat?")
    for person in group.everyone:
        got = person.received("contribution:new")
        assert len(got) == 1, person.name  # the author's other devices have it too
        view = got[0]["args"][0]
        assert view["id"] == ack["contribution"]["id"] and view["author_name"] == asker.name
        assert ("flag" in view) == (person in (group.facilitator, asker))  # the full view


def sid_of(person) -> str:
    return socketio.server.manager.sid_from_eio_sid(person.io.eio_sid, "/")


def add_as(app, sid: str) -> str:
    """Add a question over connection ``sid`` straight through the service, as if its disconnect
    (sent by another process) had not arrived yet; the error code."""
    payload = {"client_id": uuid.uuid4().hex, "kind": "question", "text": "Wat nu?"}
    with app.app_context(), pytest.raises(RuleViolation) as refused:
        service.add_contribution(sid, payload, time.time())
    return refused.value.code


def test_a_removed_person_and_a_signed_out_device_add_nothing(app, group):
    group.start()
    group.go(2)
    gone, old = sid_of(group.participants[0]), sid_of(group.facilitator)
    group.facilitator.ok("participant:remove", participant_id=group.participants[0].id)
    assert add_as(app, gone) == "not_joined"
    # The facilitator link signs the facilitator's other devices out.
    Person(app, "Fien").ok("session:claim", code=group.code, key=group.created["facilitator_key"])
    assert add_as(app, old) == "not_joined"
    assert stored(app) == 0


def test_a_full_session_refuses_more(app, group):
    app.config["MAX_CONTRIBUTIONS_PER_SESSION"] = 3
    group.start()
    group.go(2)
    asker = group.participants[0]
    for i in range(3):
        asker.ok("contribution:add", client_id=uuid.uuid4().hex, kind="question", text=f"Vraag {i}?")
    refused = asker.add("question", "Nog een?")
    assert refused["error"] == "session_full" and "3" in refused["message"]
    assert stored(app) == 3


def test_pressure_measures_the_loop_lag():
    pressure = Pressure(limit_ms=50)
    assert not pressure.overloaded()
    pressure.lag = 0.2
    assert pressure.overloaded()
    assert not Pressure(limit_ms=0).overloaded()  # 0: back-pressure off
    pressure.lag = 0.0
    seen = []

    def late_sleep(seconds):
        """The first wake-up comes 0.1 s late (a loop that is behind); the second ends the watch."""
        if seen:
            seen.append(pressure.overloaded())
            raise StopIteration
        time.sleep(seconds + 0.1)
        seen.append(pressure.overloaded())

    with contextlib.suppress(StopIteration):
        pressure.watch(late_sleep)
    assert seen == [False, True] and 0.1 <= pressure.lag < 0.5


def test_behind_the_process_refuses_new_work_as_busy_but_lets_people_in(app, group):
    group.start()
    group.go(2)
    asker = group.participants[0]
    limits.of(app).pressure.lag = 1.0  # a second behind
    try:
        refused = asker.add("question", "Wat speelt er?")
        assert refused["error"] == "busy" and refused["message"]
        assert asker.emit("ready:set", ready=True)["error"] == "busy"
        assert group.participants[1].reconnect()["ok"]  # entering still works
    finally:
        limits.of(app).pressure.lag = 0.0
    assert stored(app) == 0
    assert asker.add("question", "Wat speelt er?")["ok"]  # the retry, once the process caught up


def ascii_reference(text: str, single_line: bool) -> str:
    """What the per-character cleaning keeps of an ASCII text: no controls but line breaks and tabs
    (single-line: every run of white space one space), trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if single_line:
        text = text.replace("\n", " ").replace("\t", " ")
    kept = "".join(ch for ch in text if ch in "\n\t" or 32 <= ord(ch) < 127)
    return " ".join(kept.split()) if single_line else kept.strip()


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=127)), single_line=st.booleans())
def test_plain_ascii_is_cleaned_as_character_by_character(text, single_line):
    assert clean_text(text, 10_000, required=False, single_line=single_line) == ascii_reference(
        text, single_line
    )


def test_an_event_leaves_little_cyclic_garbage(group, unlimited):
    """Full collections stop the event loop for every room; each event once left ~60 objects for them,
    most from the Socket.IO path's failed URL match in Flask-SocketIO's request context (its traceback)."""
    group.start()
    group.go(2)
    asker = group.participants[0]
    asker.add("question", "Wat speelt er?")  # warm: first-use caches are not garbage
    count = 30
    gc.collect()
    gc.freeze()  # what the suite built so far is not looked at: only this test's garbage counts
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for i in range(count):
            asker.ok("contribution:add", client_id=uuid.uuid4().hex, kind="question", text=f"Wat nog {i}?")
        gc.collect()
        per_event = len(gc.garbage) / count
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.unfreeze()
    assert per_event < 20, per_event
