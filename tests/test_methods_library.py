"""The method library: every shipped method runs end to end, and each new rule type holds on the server.

The end-to-end test reads what each step allows straight from the YAML file,
as a facilitator reads it, and tries every kind as every role: the server must
accept exactly what the file allows and refuse the rest with the rule's reason.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from sqlalchemy import select

from intervisie import service
from intervisie.cli import main as cli
from intervisie.db import db
from intervisie.i18n import translate
from intervisie.methods import (
    MethodError,
    default_directory,
    load_methods,
    method_from_data,
    method_to_data,
    parse_method,
)
from intervisie.models import Session
from tests.conftest import Group
from tests.support import parse_error

LIBRARY = [
    "incident",
    "vijf-stappen",
    "tien-stappen",
    "balint",
    "roddel",
    "socratisch",
    "zeven-stappen",
    "case-clinic",
]
FILES = {
    yaml.safe_load(path.read_text(encoding="utf-8"))["id"]: yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in default_directory().glob("*.yaml")
}
# Every kind a shipped method lets someone write, and the turned-away case bringer's notes.
TRIED = sorted({c["kind"] for m in FILES.values() for s in m["steps"] for c in s.get("contribute", [])})
TRIED = ["question", *[k for k in TRIED if k != "question"], "note"]  # a question first: answers need one


def rule_types(step: dict) -> set[str]:
    return {r if isinstance(r, str) else r["type"] for r in step.get("rules", [])}


def expected(step: dict, role: str, kind: str) -> str | None:
    """What the file says of ``role`` adding ``kind`` in ``step``: None when allowed, else the refusal."""
    rules = rule_types(step)
    if "stillness" in rules:
        return "stillness"
    away = role == "case_bringer" and "case_bringer_turned_away" in rules
    if kind == "note":
        return None if away else "wrong_step"
    if away:
        return "turned_away"
    if role == "case_bringer" and "case_bringer_listens" in rules:
        return "case_bringer_listens"
    allowed = {c["kind"]: c["roles"] for c in step.get("contribute", [])}
    if kind not in allowed:
        return "wrong_step"
    return None if role in allowed[kind] else "forbidden_role"


def contribution_ids(person) -> set[str]:
    return {m["args"][0]["id"] for m in person.received("contribution:new")}


def expire_timer(app) -> list:
    """Let the session's running timer run out, as the server's background task would."""
    with app.app_context():
        with db.session() as orm:
            deadline = orm.scalar(select(Session.timer_deadline))
        assert deadline is not None
        return service.expire_due_timers(deadline + 0.1)


def test_the_library_ships_every_method_with_its_origin_in_both_languages():
    assert set(LIBRARY) | {"vijf-fasen", "manager-coachkwadrant"} <= set(FILES)
    origins = {"incident": "Hendriksen", "balint": "Balint", "case-clinic": "Presencing Institute"}
    for method_id in LIBRARY:
        descriptions = FILES[method_id]["descriptions"]
        assert descriptions["nl"] != descriptions["en"]
        assert "Naar " in descriptions["nl"] and "After " in descriptions["en"], method_id
        if method_id in origins:
            assert origins[method_id] in descriptions["nl"] and origins[method_id] in descriptions["en"]


@pytest.mark.parametrize("method_id", [*LIBRARY, "vijf-fasen"])
def test_every_step_allows_and_refuses_what_its_file_says(app, client, unlimited, method_id):
    group = Group(app, client, participants=4, method_id=method_id)
    group.start()
    f, cb, others = group.facilitator, group.case_bringer, group.participants
    question = None
    steps = FILES[method_id]["steps"]
    for index, step in enumerate(steps):
        if index:
            assert group.go(index)["session"]["step_index"] == index
        group.drain()
        written = {}
        for n, kind in enumerate(TRIED):
            for role, person in (("facilitator", f), ("case_bringer", cb), ("participant", others[n % 4])):
                extra = {"reply_to": question} if kind == "answer" and question else {}
                ack = person.add(kind, f"{kind} van {person.name}, {step['id']}", **extra)
                want = expected(step, role, kind)
                assert ack.get("error") == want, (method_id, step["id"], role, kind, ack)
                if want is None:
                    written[(role, kind)] = ack["contribution"]
                    if kind == "question" and "reveal_together" not in rule_types(step):
                        question = ack["contribution"]["id"]
                elif want != "bad_request":
                    assert ack["message"] == translate(person.snapshot["me"]["lang"], f"error.{want}")
        # Each mark rule: whom it names may mark (a vote once), anyone else may not.
        for rule in [r for r in step.get("rules", []) if isinstance(r, dict) and r["type"] == "marks"]:
            target = next((c for c in reversed(list(written.values())) if c["kind"] == rule["kind"]), None)
            if target is None:
                seen = cb.reconnect()["snapshot"]["contributions"]
                target = next((c for c in seen if c["kind"] == rule["kind"]), None)
            assert target is not None, (method_id, step["id"], rule)
            for role, person in (("facilitator", f), ("case_bringer", cb), ("participant", others[0])):
                ack = person.emit("contribution:mark", id=target["id"], value=rule["values"][0])
                assert ack["ok"] is (role in rule["by"]), (method_id, step["id"], role, rule, ack)
                if role not in rule["by"]:
                    assert ack["error"] == "forbidden_role"
        if "reveal_together" in rule_types(step):
            f.ok("step:reveal")
        if "stillness" in rule_types(step):
            assert expire_timer(app)[-1].data["session"]["step_index"] == index + 1
        for rule in [r for r in step.get("rules", []) if isinstance(r, dict) and r["type"] == "loop_back"]:
            back = [s["id"] for s in steps].index(rule["to"])
            assert cb.ok("step:loop")["state"]["session"]["step_index"] == back
    state = f.ok("session:end")["state"]
    assert state["session"]["status"] == "ended"


# --- turned away ---------------------------------------------------------------------------


@pytest.fixture
def gossip(app, client):
    """The gossip method in its step where the case bringer sits turned away."""
    group = Group(app, client, participants=3, method_id="roddel")
    group.start()
    group.go(2)
    group.drain()
    return group


def test_the_turned_away_case_bringer_takes_notes_nobody_else_reads(gossip):
    f, cb, p = gossip.facilitator, gossip.case_bringer, gossip.participants[0]
    talk = p.add("perspective", "Ik denk dat zij te veel alleen draagt.")
    assert talk["ok"]
    assert talk["contribution"]["id"] in contribution_ids(cb)  # the case bringer sees the talk
    refused = cb.add("perspective", "Dat klopt niet!")
    assert refused["error"] == "turned_away"
    assert refused["message"] == translate("nl", "error.turned_away")
    note = cb.add("note", "Herken ik: ik vraag geen hulp.")
    assert note["ok"] and note["contribution"]["kind"] == "note"
    assert p.add("note", "Mag ik ook?")["error"] == "wrong_step"
    # Nobody but the case bringer receives the note, now or in a snapshot, nor in the record.
    for person in (f, *gossip.participants):
        assert note["contribution"]["id"] not in contribution_ids(person)
        assert note["contribution"]["id"] not in {
            c["id"] for c in person.reconnect()["snapshot"]["contributions"]
        }
    assert note["contribution"]["id"] in {c["id"] for c in cb.reconnect()["snapshot"]["contributions"]}
    # In the next step the case bringer turns back: they write again, and notes are over.
    gossip.go(3)
    assert cb.add("note", "Nog een.")["error"] == "wrong_step"
    assert cb.add("takeaway", "Ik vraag vaker om hulp.")["ok"]


@pytest.mark.parametrize("reader", ["facilitator", "case_bringer"])
def test_notes_stay_out_of_the_record(gossip, client, reader):
    note = gossip.case_bringer.add("note", "Alleen voor mij.")["contribution"]
    gossip.participants[0].add("perspective", "Zij zorgt goed voor anderen.")
    gossip.go(len(FILES["roddel"]["steps"]) - 1)  # the case bringer may download from the last step on
    token = getattr(gossip, reader if reader == "facilitator" else "case_bringer").token
    for fmt in ("json", "md"):
        answer = client.get(
            f"/api/sessions/{gossip.code}/record.{fmt}", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        text = answer.get_data(as_text=True)
        assert "Zij zorgt goed voor anderen." in text and note["text"] not in text


# --- reveal together -----------------------------------------------------------------------


@pytest.fixture
def socratic(app, client):
    """Socratic intervision in its step where questions are written privately, to be revealed together."""
    group = Group(app, client, participants=3, method_id="socratisch")
    group.start()
    group.go(1)
    group.drain()
    return group


def test_private_writing_is_revealed_together_by_the_facilitator(socratic):
    f, cb, (p1, p2, p3) = socratic.facilitator, socratic.case_bringer, socratic.participants
    first = p1.add("question", "Wat wil je zelf?")["contribution"]
    # Everyone learns that one more entry waits, not what it says.
    assert [m["args"][0]["sealed"] for m in p3.received("session:state")] == [1]
    second = p2.add("question", "Wie merkt het als het lukt?")["contribution"]
    # Only the author has their own; the facilitator neither, though they see how many wait.
    assert first["id"] in contribution_ids(p1)
    for person in (f, cb, p2, p3):
        assert first["id"] not in contribution_ids(person)
        assert first["id"] not in {c["id"] for c in person.reconnect()["snapshot"]["contributions"]}
    assert f.reconnect()["snapshot"]["sealed"] == 2
    # Nobody can mark what they cannot see; the case bringer cannot answer it either.
    assert cb.emit("contribution:mark", id=first["id"], value="warm")["error"] == "unknown_contribution"
    assert p3.emit("step:reveal", control=p3.current_control())["error"] == "forbidden_role"
    socratic.drain()
    state = f.ok("step:reveal")["state"]
    assert state["sealed"] is None
    for person in (f, cb, p3):
        assert {first["id"], second["id"]} <= contribution_ids(person)
    assert f.emit("step:reveal")["error"] == "already_revealed"
    # Written after the reveal: everyone sees it at once.
    socratic.drain()
    late = p3.add("question", "Wat heb je nodig?")["contribution"]
    assert late["id"] in contribution_ids(cb)


def test_leaving_the_step_reveals_what_is_still_sealed(socratic):
    f, cb, p1 = socratic.facilitator, socratic.case_bringer, socratic.participants[0]
    sealed = p1.add("question", "Wat is je grootste zorg?")["contribution"]
    socratic.drain()
    socratic.go(2)
    assert sealed["id"] in contribution_ids(cb) and sealed["id"] in contribution_ids(f)
    assert cb.ok("contribution:mark", id=sealed["id"], value="warm")
    assert f.emit("step:reveal")["error"] == "wrong_step"


# --- loop back -----------------------------------------------------------------------------


@pytest.fixture
def five_step(app, client):
    """The five-step method in its core step, from where the case bringer may go back to exploring."""
    group = Group(app, client, participants=3, method_id="vijf-stappen")
    group.start()
    group.go(2)
    group.drain()
    return group


def test_the_case_bringer_takes_the_group_back_to_the_questions(five_step):
    f, cb, p = five_step.facilitator, five_step.case_bringer, five_step.participants[0]
    assert p.emit("step:loop", control=p.current_control())["error"] == "forbidden_role"
    assert f.emit("step:loop")["error"] == "forbidden_role"
    assert cb.emit("step:loop", control=cb.current_control() - 1)["error"] == "stale"
    rule = cb.snapshot["method"]["steps"][2]["rules"][-1]
    assert rule == {"type": "loop_back", "to": "verkennen", "by": ["case_bringer"]}  # what the client shows
    state = cb.ok("step:loop")["state"]
    assert state["session"]["step_index"] == 1
    assert all(m["args"][0]["session"]["step_index"] == 1 for m in p.received("session:state"))
    # Back in the questions: asking works again; from here there is no loop to take.
    assert p.add("question", "Wat zou je het liefst willen?")["ok"]
    assert cb.emit("step:loop")["error"] == "wrong_step"
    assert five_step.go(2)["session"]["step_index"] == 2


# --- stillness and the per-person sub-timer ------------------------------------------------


@pytest.fixture
def clinic(app, client):
    group = Group(app, client, participants=3, method_id="case-clinic")
    group.start()
    return group


def test_a_stillness_runs_by_itself_and_ends_by_itself(app, clinic):
    state = clinic.go(2)  # the session's timers start by hand, a stillness's own timer does not wait
    assert state["timer"]["state"] == "running" and state["timer"]["duration_ms"] == 120_000
    for person in clinic.everyone:
        ack = person.add("perspective", "Een beeld van een brug.")
        assert ack["error"] == "stillness"
    assert clinic.participants[0].add("perspective", "x")["message"] == translate("nl", "error.stillness")
    emits = expire_timer(app)
    state = emits[-1].data
    # Moving on by itself starts the next step's time, as time's up with auto_advance does.
    assert state["session"]["step_index"] == 3 and state["timer"]["state"] == "running"


def test_each_coach_mirrors_in_turn_and_the_turn_passes_on_when_their_minute_is_up(app, clinic):
    f, coaches = clinic.facilitator, clinic.participants
    clinic.go(3)
    rule = f.snapshot["method"]["steps"][3]["rules"][1]
    assert rule == {
        "type": "turn_order",
        "seconds_per_speaker": 60,
        "roles": ["facilitator", "participant"],
        "auto_pass": True,
    }
    turn = f.ok("turn:next")["state"]
    speakers = turn["turn"]["order"]
    assert f.id in speakers and clinic.case_bringer.id not in speakers
    assert turn["timer"] == {**turn["timer"], "state": "running", "duration_ms": 60_000}
    speaking = next(p for p in [f, *coaches] if p.id == speakers[0])
    waiting = next(p for p in [f, *coaches] if p.id == speakers[1])
    assert waiting.add("perspective", "Ik zie een muur.")["error"] == "not_your_turn"
    assert speaking.add("perspective", "Ik zie een open deur.")["ok"]
    for index in range(1, len(speakers)):
        state = expire_timer(app)[-1].data
        assert state["turn"]["index"] == index and state["timer"]["state"] == "running"
    state = expire_timer(app)[-1].data
    assert state["turn"] is None and state["session"]["step_index"] == 3  # the round ends, the step stays
    assert f.emit("turn:next", control=state["control"] - 1)["error"] == "stale"


# --- the format: validation and the check command --------------------------------------------


def broken(method_id: str, change) -> MethodError:
    return parse_error(parse_method, copy.deepcopy(FILES[method_id]), change)


def rules_of(document, step_id):
    return next(s for s in document["steps"] if s["id"] == step_id).setdefault("rules", [])


@pytest.mark.parametrize(
    ("method_id", "change", "where", "problem"),
    [
        (
            "vijf-stappen",
            lambda d: rules_of(d, "kern")[1].update(to="advies"),
            "steps[2].rules[1].to",
            "not an earlier step",
        ),
        (
            "vijf-stappen",
            lambda d: rules_of(d, "kern")[1].pop("to"),
            "steps[2].rules[1]",
            "missing field 'to'",
        ),
        (
            "vijf-stappen",
            lambda d: rules_of(d, "kern")[1].update(by=["boss"]),
            "steps[2].rules[1].by[0]",
            "one of",
        ),
        (
            "roddel",
            lambda d: rules_of(d, "roddelen").append("case_bringer_listens"),
            "steps[2].rules",
            "either case_bringer_listens or case_bringer_turned_away",
        ),
        (
            "roddel",
            lambda d: d["steps"][2]["contribute"].append({"kind": "answer", "roles": ["case_bringer"]}),
            "steps[2].rules",
            "case bringer listens here but may also contribute",
        ),
        (
            "roddel",
            lambda d: d["steps"][2]["contribute"].append({"kind": "note", "roles": ["case_bringer"]}),
            "steps[2].contribute[1].kind",
            "one of",
        ),
        (
            "socratisch",
            lambda d: rules_of(d, "vragen-schrijven").append("write_privately"),
            "steps[1].rules",
            "either write_privately or reveal_together",
        ),
        (
            "socratisch",
            lambda d: rules_of(d, "vragen-schrijven").append("reveal_together"),
            "steps[1].rules",
            "'reveal_together' is given twice",
        ),
        (
            "case-clinic",
            lambda d: d["steps"][2].update(contribute=[{"kind": "association", "roles": ["participant"]}]),
            "steps[2].contribute",
            "stillness step has nobody writing",
        ),
        (
            "case-clinic",
            lambda d: rules_of(d, "spiegelen")[1].update(auto_pass="yes"),
            "steps[3].rules[1].auto_pass",
            "true or false",
        ),
    ],
)
def test_a_broken_rule_names_file_field_and_problem(method_id, change, where, problem):
    error = broken(method_id, change)
    assert (error.source, error.where) == ("broken.yaml", where)
    assert problem in error.problem


def test_check_validates_given_files_and_reports_every_broken_one(tmp_path, capsys):
    good = default_directory() / "balint.yaml"
    document = copy.deepcopy(FILES["vijf-stappen"])
    rules_of(document, "kern")[1]["to"] = "evaluatie"
    (tmp_path / "loop.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("id: x\nsteps: [\n", encoding="utf-8")
    assert cli(["methods", "check", str(good), str(tmp_path / "loop.yaml"), str(tmp_path / "bad.yaml")]) == 1
    out, err = capsys.readouterr()
    assert "ok: balint.yaml: balint (9 steps)" in out
    assert "invalid: loop.yaml: steps[2].rules[1].to: 'evaluatie' is not an earlier step" in err
    assert "invalid: bad.yaml: line 3: not valid YAML" in err
    assert cli(["methods", "check"]) == 0
    out = capsys.readouterr().out
    for method_id in LIBRARY:
        assert f": {method_id} (" in out


def test_a_method_kept_before_the_new_rule_fields_still_rebuilds():
    five = load_methods(default_directory())["vijf-fasen"]
    kept = method_to_data(five)
    for step in kept["steps"]:  # as a session stored it before 'to' and 'auto_pass' existed
        for rule in step["rules"]:
            del rule["to"], rule["auto_pass"]
    assert method_from_data(kept) == five


def test_messages_of_the_new_refusals_exist_in_both_languages():
    for code in ("turned_away", "stillness", "already_revealed"):
        nl, en = translate("nl", f"error.{code}"), translate("en", f"error.{code}")
        assert f"error.{code}" not in (nl, en) and nl != en


def test_a_per_person_cap_counts_each_visit_of_the_step_anew(app, client):
    """Back in a step (loop back, or the facilitator's previous step), each may add as many again."""
    group = Group(app, client, participants=2)
    group.start()
    p = group.participants[0]
    assert p.add("checkin", "Moe maar blij.")["ok"]
    assert p.add("checkin", "Nog iets.")["error"] == "limit_reached"
    group.go(1)
    group.go(0)
    assert p.add("checkin", "Nu wat wakkerder.")["ok"]
    assert p.add("checkin", "En nog iets.")["error"] == "limit_reached"
