"""The live protocol through the Socket.IO test client: a whole session, and every refusal."""

import time
import uuid

import pytest

from intervisie import events, service
from intervisie.db import db
from intervisie.models import Contribution, Session
from tests.conftest import Group, Person


def names(messages):
    return [m["name"] for m in messages]


def payloads(person, event):
    return [m["args"][0] for m in person.received(event)]


def test_full_session_through_every_step(app, client):
    group = Group(app, client, participants=4)
    f, cb, ps = group.facilitator, group.case_bringer, group.participants
    assert len(group.everyone) == 6
    group.start()
    per_step = {
        "check-in": [(p, "checkin", f"{p.name}: goed") for p in group.everyone],
        "casus": [(cb, "case", "Een collega komt steeds te laat bij de overdracht.")],
        "vragen": [(p, "question", f"Wat merk jij daarvan, vraagt {p.name}?") for p in ps]
        + [(cb, "answer", "Vooral op maandag.")],
        "perspectieven": [(p, "perspective", f"Vanuit de collega gezien ({p.name})") for p in ps],
        "oorzaken": [(p, "cause", f"Mogelijke oorzaak van {p.name}") for p in ps],
        "oplossingen": [(p, "solution", f"Idee van {p.name}") for p in ps],
        "opbrengst": [
            (cb, "takeaway", "Ik ga eerst vragen hoe het met haar gaat."),
            (cb, "action", "Gesprek plannen"),
            *[(p, "learned", f"{p.name} leerde iets") for p in ps],
        ],
        "afsluiting": [(p, "evaluation", "Fijne sessie") for p in group.everyone],
    }
    steps = [s["id"] for s in f.snapshot["method"]["steps"]]
    assert steps == list(per_step)
    question = None  # the last question asked: the case bringer answers it
    for index, step_id in enumerate(steps):
        if index:
            state = group.go("next")
            assert state["session"]["step_index"] == index
            assert state["timer"]["state"] == "idle"
        group.drain()
        for person, kind, text in per_step[step_id]:
            extra = (
                {"details": {"who": "ik", "when": "vrijdag", "measure": "afspraak staat"}}
                if kind == "action"
                else {}
            )
            if kind == "answer":
                extra = {"reply_to": question}
            ack = person.add(kind, text, **extra)
            assert ack["ok"], (step_id, person.name, ack)
            if kind == "question":
                question = ack["contribution"]["id"]
        expected = len(per_step[step_id])
        for person in group.everyone:
            news = payloads(person, "contribution:new")
            assert len(news) == expected, (step_id, person.name)
            assert {n["step_id"] for n in news} == {step_id}
    # The case bringer marks during the right steps only; here: pin a solution as a takeaway.
    group.go("prev")
    group.go(6)
    solution = next(c for c in cb.reconnect()["snapshot"]["contributions"] if c["kind"] == "solution")
    assert cb.ok("contribution:mark", id=solution["id"], value="keep")["contribution"]["marks"] == [
        {"by": cb.id, "value": "keep"}
    ]
    f.ok("session:end")
    final = f.reconnect()["snapshot"]
    assert final["session"]["status"] == "ended"
    assert len(final["contributions"]) == sum(len(v) for v in per_step.values())
    action = next(c for c in final["contributions"] if c["kind"] == "action")
    assert action["details"] == {"who": "ik", "when": "vrijdag", "measure": "afspraak staat"}
    assert all(seconds >= 0 for seconds in final["steps_spent_s"])
    assert cb.add("question", "Nog iets?")["error"] == "session_ended"


def test_join_code_link_and_secrets(client):
    created = client.post(
        "/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", "title": "Team A"}
    ).get_json()
    assert created["join_url"].endswith(f"/s/{created['code']}")
    assert "#key=" in created["facilitator_url"] and "#key=" in created["screen_url"]
    bad = client.post("/api/sessions", json={"method_id": "nope", "name": "Fien"})
    assert bad.status_code == 400 and bad.get_json()["error"] == "unknown_method"
    english = client.post(
        "/api/sessions", json={"method_id": "vijf-fasen", "name": "", "lang": "en"}
    ).get_json()
    assert english["error"] == "name_required" and english["message"].startswith("Enter a name")
    assert client.post("/api/sessions", data="not json").status_code == 400
    too_long = client.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "x" * 41}).get_json()
    assert too_long["error"] == "name_required"
    minutes = client.post(
        "/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", "step_minutes": {"vragen": 500}}
    ).get_json()
    assert minutes["error"] == "bad_minutes"


def test_joining_rules(app, group):
    stranger = Person(app, "X")
    assert stranger.emit("session:join", code="ZZZZZZ", name="X")["error"] == "unknown_session"
    assert stranger.emit("session:join", code=group.code, name="ayla")["error"] == "name_taken"
    assert stranger.emit("session:join", code=group.code, name=" ")["error"] == "name_required"
    assert stranger.emit("session:join", code=12, name="X")["error"] == "unknown_session"
    group.facilitator.ok("session:settings", joining_locked=True)
    assert stranger.emit("session:join", code=group.code, name="Xander")["error"] == "joining_locked"
    group.facilitator.ok("session:settings", joining_locked=False)
    assert (
        stranger.ok("session:join", code=group.code.lower(), name="Xander")["snapshot"]["me"]["role"]
        == "participant"
    )


@pytest.mark.parametrize(
    "payload",
    [None, "text", 42, [1, 2], {"client_id": 5, "kind": "question", "text": "x"}, {"kind": "question"}],
)
def test_malformed_payloads_are_refused_and_change_nothing(group, payload):
    group.start()
    group.go(2)
    ack = group.participants[0].io.emit("contribution:add", payload, callback=True)
    assert ack["ok"] is False and ack["error"] == "bad_request" and ack["message"]
    assert contribution_count() == 0


def contribution_count():
    with db.session() as orm:
        return orm.query(Contribution).count()


def test_refusals_arrive_in_the_users_language(app, group):
    group.start()
    group.go(2)
    p = group.participants[0]
    dutch = p.add("question", "x" * 2001)
    assert dutch["error"] == "too_long" and "2000" in dutch["message"] and "tekens" in dutch["message"]
    p.ok("language:set", lang="en")
    english = p.add("solution", "Do this")
    assert english["error"] == "wrong_step" and english["message"] == "That does not belong to this step."
    assert contribution_count() == 0


def test_wrong_role_and_wrong_step(group):
    f, cb, p = group.facilitator, group.case_bringer, group.participants[0]
    assert p.emit("session:start")["error"] == "forbidden_role"
    assert f.emit("session:start")["error"] == "needs_case_bringer"
    group.start()
    assert p.add("checkin", "hoi")["ok"]
    assert p.emit("step:go", to="next")["error"] == "forbidden_role"
    assert p.emit("timer:control", action="start")["error"] == "forbidden_role"
    assert p.emit("role:assign", participant_id=p.id, role="facilitator")["error"] == "forbidden_role"
    assert cb.emit("participant:remove", participant_id=p.id)["error"] == "forbidden_role"
    group.go(1)
    assert p.add("case", "Mijn verhaal")["error"] == "forbidden_role"
    group.go(3)
    assert cb.add("perspective", "Ik zie het zo")["error"] == "case_bringer_listens"
    assert f.emit("step:go", to=99)["error"] == "no_such_step"
    assert f.emit("step:go", to="sideways")["error"] == "bad_request"
    assert f.emit("timer:control", action="explode")["error"] == "bad_request"
    assert (
        f.emit("role:assign", participant_id="nobody", role="case_bringer")["error"] == "unknown_participant"
    )
    assert f.emit("role:assign", participant_id=p.id, role="king")["error"] == "bad_request"


def test_nothing_without_joining(app, group):
    loner = Person(app, "Loner")
    assert loner.add("question", "Wat?")["error"] == "not_joined"
    assert loner.emit("step:go", to="next")["error"] == "not_joined"
    assert loner.emit("session:resume", token="x" * 30)["error"] == "bad_token"
    assert loner.emit("session:resume", token=["x"])["error"] == "bad_token"
    assert loner.emit("session:watch", code=group.code, key="guess")["error"] == "bad_key"
    assert loner.emit("session:claim", code=group.code, key="guess")["error"] == "bad_key"


def test_resent_contribution_is_stored_once(group):
    group.start()
    p = group.participants[0]
    client_id = uuid.uuid4().hex
    first = p.emit("contribution:add", client_id=client_id, kind="checkin", text="Goed")
    again = p.emit("contribution:add", client_id=client_id, kind="checkin", text="Goed")
    assert first["ok"] and again["ok"] and again["duplicate"]
    assert first["contribution"]["id"] == again["contribution"]["id"]
    p.reconnect()
    assert p.emit("contribution:add", client_id=client_id, kind="checkin", text="Goed")["duplicate"]
    assert contribution_count() == 1
    other = group.participants[1]
    assert (
        other.emit("contribution:add", client_id=client_id, kind="checkin", text="Goed")["error"]
        == "bad_request"
    )


def test_everyone_sees_contributions_live_and_flags_stay_private(group):
    group.start()
    group.go(2)
    author, other = group.participants[0], group.participants[1]
    ack = author.add("question", "Is ze vaak te laat?")
    assert ack["contribution"]["flag"] == "closed_question"
    [seen_by_author] = payloads(author, "contribution:new")
    [seen_by_facilitator] = payloads(group.facilitator, "contribution:new")
    [seen_by_other] = payloads(other, "contribution:new")
    assert seen_by_author["flag"] == seen_by_facilitator["flag"] == "closed_question"
    assert "flag" not in seen_by_other
    assert all("flag" not in c for c in other.reconnect()["snapshot"]["contributions"])


def test_hidden_contribution_reaches_only_the_facilitator(group):
    group.start()
    p, other = group.participants[:2]
    cid = p.add("checkin", "Iets met een cliëntnaam")["contribution"]["id"]
    group.drain()
    group.facilitator.ok("contribution:hide", id=cid, hidden=True)
    assert payloads(other, "contribution:hidden") == [{"id": cid}]
    assert payloads(p, "contribution:hidden") == [{"id": cid}]
    assert payloads(group.facilitator, "contribution:changed")[0]["hidden"] is True
    assert all(c["id"] != cid for c in other.reconnect()["snapshot"]["contributions"])
    assert any(c["id"] == cid for c in group.facilitator.reconnect()["snapshot"]["contributions"])
    assert p.emit("contribution:hide", id=cid, hidden=False)["error"] == "forbidden_role"


def test_case_bringer_marks_questions_warm_neutral_cold(group):
    group.start()
    group.go(2)
    cb, p = group.case_bringer, group.participants[0]
    cid = p.add("question", "Wat maakt het lastig?")["contribution"]["id"]
    assert cb.ok("contribution:mark", id=cid, value="warm")["contribution"]["marks"] == [
        {"by": cb.id, "value": "warm"}
    ]
    assert cb.ok("contribution:mark", id=cid, value="cold")["contribution"]["marks"] == [
        {"by": cb.id, "value": "cold"}
    ]
    assert cb.ok("contribution:mark", id=cid, value="cold", on=False)["contribution"]["marks"] == []
    assert p.emit("contribution:mark", id=cid, value="warm")["error"] == "forbidden_role"
    assert cb.emit("contribution:mark", id=cid, value="appeals")["error"] == "bad_mark"
    assert cb.emit("contribution:mark", id="nope", value="warm")["error"] == "unknown_contribution"
    group.go(3)
    assert cb.emit("contribution:mark", id=cid, value="warm")["error"] == "wrong_step"


def test_timer_is_a_stored_deadline(app, group):
    group.start()
    f = group.facilitator
    before = time.time()
    timer = f.ok("timer:control", action="start")["state"]["timer"]
    assert timer["state"] == "running" and timer["duration_ms"] == 5 * 60 * 1000
    assert before * 1000 + 300000 - 50 <= timer["deadline_ms"] <= time.time() * 1000 + 300000 + 50
    longer = f.ok("timer:control", action="add", seconds=60)["state"]["timer"]
    assert longer["deadline_ms"] == timer["deadline_ms"] + 60000
    paused = f.ok("timer:control", action="pause")["state"]["timer"]
    assert (
        paused["state"] == "paused"
        and paused["deadline_ms"] is None
        and 355000 < paused["remaining_ms"] <= 360000
    )
    assert f.emit("timer:control", action="pause")["error"] == "timer_not_running"
    assert f.ok("timer:control", action="resume")["state"]["timer"]["state"] == "running"
    reset = f.ok("timer:control", action="reset")["state"]["timer"]
    assert reset == {**reset, "state": "idle", "remaining_ms": 300000, "deadline_ms": None}
    # Everyone got the same state broadcast, with the server's clock for offset correction.
    assert all(payloads(p, "session:state")[-1]["timer"]["state"] == "idle" for p in group.people)


def test_times_up_fires_once_and_does_not_skip(app, group):
    group.start()
    group.facilitator.ok("timer:control", action="start")
    group.drain()
    with app.app_context():
        with db.session() as orm:
            session = orm.query(Session).one()
            deadline = session.timer_deadline
        assert service.expire_due_timers(deadline - 1) == []
        emits = service.expire_due_timers(deadline + 0.1)
        assert [e.event for e in emits] == ["timer:expired", "session:state"]
        assert emits[1].data["session"]["step_index"] == 0
        assert emits[1].data["timer"]["state"] == "expired"
        assert service.expire_due_timers(deadline + 0.2) == []


def test_auto_advance_moves_on_when_chosen(app, group):
    group.start()
    group.facilitator.ok("session:settings", auto_advance=True)
    group.facilitator.ok("timer:control", action="start")
    with app.app_context():
        with db.session() as orm:
            deadline = orm.query(Session).one().timer_deadline
        emits = service.expire_due_timers(deadline + 0.1)
    state = emits[-1].data
    assert state["session"]["step_index"] == 1 and state["timer"]["state"] == "running"
    assert group.facilitator.emit("session:settings", auto_advance="yes")["error"] == "bad_request"


def test_reload_gives_one_full_snapshot(group):
    group.start()
    p = group.participants[0]
    p.add("checkin", "Goed")
    group.facilitator.ok("timer:control", action="start")
    ack = p.reconnect()
    snap = ack["snapshot"]
    assert snap["me"] == {"id": p.id, "name": p.name, "role": "participant", "lang": "nl"}
    assert [c["text"] for c in snap["contributions"]] == ["Goed"]
    assert snap["timer"]["state"] == "running"
    assert {"session", "method", "timer", "participants", "contributions", "server_now_ms", "version"} <= set(
        snap
    )


def test_ready_check(group):
    group.start()
    p = group.participants[0]
    state = p.ok("ready:set", ready=True)
    ready = {x["id"]: x["ready"] for x in payloads(group.facilitator, "session:state")[-1]["participants"]}
    assert ready[p.id] is True and not ready[group.case_bringer.id]
    assert state == {"ok": True}
    after = group.go(1)
    assert not any(x["ready"] for x in after["participants"])
    assert p.emit("ready:set", ready="yes")["error"] == "bad_request"


def test_presence_shows_away_after_the_grace_period(app, group):
    group.start()
    p = group.participants[0]
    p.io.disconnect()
    with app.app_context(), db.session() as orm:
        now = time.time()
        session = orm.query(Session).one()
        state = service.state_view(orm, session, now)
        assert {x["id"]: x["presence"] for x in state["participants"]}[p.id] == "online"
        later = service.state_view(orm, session, now + 1)
        assert {x["id"]: x["presence"] for x in later["participants"]}[p.id] == "away"


def test_remove_participant(app, group):
    group.start()
    p = group.participants[0]
    group.facilitator.ok("participant:remove", participant_id=p.id)
    assert not p.io.is_connected()
    again = Person(app, p.name)
    assert again.emit("session:resume", token=p.token)["error"] == "removed"
    assert (
        group.facilitator.emit("participant:remove", participant_id=group.facilitator.id)["error"]
        == "forbidden_role"
    )


def test_hand_over_and_take_back_facilitation(app, group):
    f, p = group.facilitator, group.participants[0]
    f.ok("role:assign", participant_id=p.id, role="facilitator")
    assert payloads(p, "session:resync") == [{}]
    assert f.emit("step:go", to="next")["error"] == "forbidden_role"
    p.ok("role:assign", participant_id=group.case_bringer.id, role="case_bringer")
    # The original facilitator takes the role back on a new device with the facilitator link.
    laptop = Person(app, "Fien")
    claimed = laptop.ok("session:claim", code=group.code, key=group.created["facilitator_key"])
    assert claimed["snapshot"]["me"]["role"] == "facilitator" and claimed["token"] != f.token
    assert p.emit("session:start")["error"] == "forbidden_role"
    laptop.ok("session:start")
    assert Person(app, "old").emit("session:resume", token=f.token)["error"] == "bad_token"


def test_shared_screen_is_read_only(app, group):
    group.start()
    screen = Person(app, "screen")
    snap = screen.ok("session:watch", code=group.code, key=group.created["screen_key"])["snapshot"]
    assert snap["me"] is None
    assert screen.add("checkin", "hoi")["error"] == "not_joined"
    group.participants[0].add("checkin", "Goed")
    assert [c["text"] for c in payloads(screen, "contribution:new")] == ["Goed"]


def test_other_sessions_stay_out_of_reach(app, client):
    one, two = Group(app, client, participants=1), Group(app, client, participants=1)
    one.start()
    two.start()
    cid = one.participants[0].add("checkin", "Alleen voor groep een")["contribution"]["id"]
    assert not payloads(two.participants[0], "contribution:new")
    assert two.facilitator.emit("contribution:hide", id=cid, hidden=True)["error"] == "unknown_contribution"
    two.go(2)
    assert two.case_bringer.emit("contribution:mark", id=cid, value="warm")["error"] == "unknown_contribution"
    assert (
        two.participants[0].emit("session:resume", token=one.participants[0].token, code=two.code)["error"]
        == "bad_token"
    )


def test_flood_is_rate_limited(group, monkeypatch):
    # A bucket that does not refill during the test, so the outcome does not depend on speed.
    monkeypatch.setattr(events, "limiter", events.RateLimiter(rate=0.0, burst=5))
    p = group.participants[0]
    answers = [p.emit("language:set", lang="nl") for _ in range(7)]
    assert [a["ok"] for a in answers] == [True] * 5 + [False] * 2
    assert answers[-1]["error"] == "rate_limited" and answers[-1]["message"]


def test_rate_limiter_refills_over_time():
    limiter = events.RateLimiter(rate=10, burst=3)
    assert [limiter.allow("sid", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("sid", 0.1) is True  # one token back after a tenth of a second
    assert limiter.allow("sid", 0.1) is False
    limiter.forget("sid")
    assert limiter.allow("sid", 0.1) is True
