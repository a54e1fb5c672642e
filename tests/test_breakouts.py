"""Breakout groups (the ``breakouts`` rule) and the Troika consulting method that uses them.

The end-to-end test runs Troika for six people and a facilitator: two troikas,
every step, every phase's writing allowed and refused per part, what each
person receives (their own group only), time's up of a group's phase, a
reconnect and a late joiner.
"""

from __future__ import annotations

import time

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from intervisie import breakouts, service
from intervisie.db import db
from intervisie.i18n import translate
from intervisie.methods import default_directory, parse_method
from intervisie.models import BreakoutGroup, Session
from intervisie.service.groups import breakouts_view
from intervisie.session import Contributor, RuleViolation
from intervisie.tailoring import explain
from tests.conftest import Group, Person
from tests.support import parse_error

TROIKA = yaml.safe_load((default_directory() / "troika.yaml").read_text(encoding="utf-8"))
RULE = parse_method(TROIKA, "troika.yaml").steps[1].rule("breakouts")


# --- the grouping rule -------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=2, max_value=5))
def test_everyone_is_in_exactly_one_group_of_a_size_within_bounds(count, size):
    people = [f"p{i}" for i in range(count)]
    groups = breakouts.split(people, size)
    assert sorted(p for g in groups for p in g) == sorted(people)  # each exactly once
    assert [p for g in groups for p in g] == people  # in joining order
    for g in groups:
        assert min(count, 2) <= len(g) <= max(size + 1, min(count, size))
    if groups:
        assert max(map(len, groups)) - min(map(len, groups)) <= 1


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(2, [2]), (3, [3]), (4, [4]), (5, [3, 2]), (6, [3, 3]), (7, [4, 3]), (9, [3, 3, 3]), (10, [4, 3, 3])],
)
def test_troikas_of_a_group_as_documented(count, sizes):
    assert [len(g) for g in breakouts.split([str(i) for i in range(count)], 3)] == sizes


def test_every_round_passes_every_phase_then_the_group_is_done():
    position, seen = (0, 0), [(0, 0)]
    while (position := breakouts.next_position(*position, rounds=3, phases=4)) is not None:
        seen.append(position)
    assert seen == [(r, p) for r in range(3) for p in range(4)]


@pytest.mark.parametrize(
    ("phase", "who", "kind", "refusal"),
    [
        (0, "a", "case", None),
        (0, "b", "case", "forbidden_role"),
        (0, "b", "question", "wrong_phase"),
        (0, "a", "note", "wrong_phase"),
        (1, "b", "question", None),
        (1, "a", "question", "forbidden_role"),
        (2, "a", "perspective", "turned_away"),
        (2, "a", "note", None),
        (2, "c", "note", "wrong_phase"),
        (2, "c", "advice", None),
        (3, "a", "takeaway", None),
        (3, "c", "takeaway", "forbidden_role"),
        (3, "x", "takeaway", "not_in_group"),
        (3, "f", "takeaway", "not_in_group"),
        (3, "a", 7, "bad_request"),
    ],
)
def test_who_writes_what_in_each_phase(phase, who, kind, refusal):
    role = "facilitator" if who == "f" else "participant"
    attempt = lambda: breakouts.check_group_writing(  # noqa: E731
        RULE, ["a", "b", "c"], 0, phase, False, Contributor(who, role), kind
    )
    if refusal is None:
        attempt()
    else:
        with pytest.raises(RuleViolation) as refused:
            attempt()
        assert refused.value.code == refusal


def test_a_done_group_takes_no_writing_and_moves_no_further():
    with pytest.raises(RuleViolation, match="group_done"):
        breakouts.check_group_writing(RULE, ["a", "b"], 1, 3, True, Contributor("a", "participant"), "case")
    with pytest.raises(RuleViolation, match="group_done"):
        breakouts.check_move_on(Contributor("f", "facilitator"), ["a", "b"], 1, True)
    with pytest.raises(RuleViolation, match="forbidden_role"):
        breakouts.check_move_on(Contributor("b", "participant"), ["a", "b"], 0, False)
    breakouts.check_move_on(Contributor("b", "participant"), ["a", "b"], 1, False)


# --- the file format ---------------------------------------------------------------------


def breakouts_of(document):
    return document["steps"][1]["rules"][0]


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda d: breakouts_of(d).update(size=6), "steps[1].rules[0].size", "whole number from 2 to 5"),
        (lambda d: breakouts_of(d).pop("phases"), "steps[1].rules[0]", "missing field 'phases'"),
        (lambda d: breakouts_of(d).update(phases=[]), "steps[1].rules[0].phases", "non-empty list"),
        (lambda d: breakouts_of(d)["phases"][0].update(minutes=0), "steps[1].rules[0].phases[0].minutes", "1 to 60"),
        (lambda d: breakouts_of(d)["phases"][1].update(id="uitdaging"), "steps[1].rules[0].phases[1].id", "used twice"),
        (lambda d: breakouts_of(d)["phases"][0].update(client=["gossip"]), "steps[1].rules[0].phases[0].client[0]", "one of"),
        (lambda d: breakouts_of(d)["phases"][1].update(consultants=["answer"]), "steps[1].rules[0].phases[1].consultants[0]", "replies to another entry"),
        (lambda d: breakouts_of(d)["phases"][2].update(client=["case"]), "steps[1].rules[0].phases[2].client", "turned-away client"),
        (lambda d: breakouts_of(d)["phases"][2].update(turned_away="yes"), "steps[1].rules[0].phases[2].turned_away", "true or false"),
        (lambda d: breakouts_of(d)["phases"][0].update(writes=["case"]), "steps[1].rules[0].phases[0].writes", "unknown field"),
        (lambda d: d["steps"][1].update(contribute=[{"kind": "case", "roles": ["participant"]}]), "steps[1].contribute", "the phases say who writes"),
        (lambda d: d["steps"][1]["rules"].append("open_questions"), "steps[1].rules", "no other rule"),
        (lambda d: d["steps"][2]["contribute"][0]["roles"].append("case_bringer"), "steps[2].contribute", "no case bringer"),
        (lambda d: d["steps"][2].setdefault("rules", []).append("case_bringer_listens"), "steps[2].rules[0]", "no case bringer"),
    ],
)  # fmt: skip
def test_a_broken_breakouts_rule_names_file_field_and_problem(change, where, problem):
    error = parse_error(parse_method, TROIKA, change)
    assert (error.source, error.where) == ("broken.yaml", where)
    assert problem in error.problem


def test_troika_names_its_origin_and_takes_no_case_round():
    for lang, after in (("nl", "Naar "), ("en", "After ")):
        text = TROIKA["descriptions"][lang]
        assert after in text and "Liberating Structures" in text and "Lipmanowicz" in text
    assert parse_method(TROIKA, "troika.yaml").summary("nl")["case_round"]  # the picker offers none


def test_a_case_round_cannot_be_added_to_a_method_with_breakouts(client):
    answer = client.post(
        "/api/sessions", json={"method_id": "troika", "name": "Fien", "case_round": "hidden"}
    )
    assert answer.get_json()["error"] == "case_round_unavailable"


def test_breakouts_problems_are_explained_in_dutch():
    error = parse_error(parse_method, TROIKA, lambda d: d["steps"][1]["rules"].append("open_questions"))
    assert explain("nl", error).endswith(translate("nl", "method_problem.breakouts_alone"))


# --- the method end to end ---------------------------------------------------------------


def state_of(person: Person) -> dict:
    return person.received("session:state")[-1]["args"][0]


def texts(person: Person) -> set[str]:
    return {m["args"][0]["text"] for m in person.received("contribution:new")}


@pytest.fixture
def troika(app, client, unlimited):
    group = Group(app, client, participants=5, method_id="troika")
    group.facilitator.ok("session:start")  # no case bringer: each is client in their own group
    group.drain()
    return group


def move_on(person: Person, group: dict) -> dict:
    return person.emit("breakout:next", group=group["id"], round=group["round"], phase=group["phase"])


def groups_now(group: Group) -> list[dict]:
    """The groups as the state shows them now, read from the database."""
    with group.facilitator.app.app_context(), db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == group.code))
        return breakouts_view(orm, session, time.time())["groups"]


def test_troika_runs_end_to_end_with_two_groups(app, troika):
    f, people = troika.facilitator, troika.people
    by_id = {p.id: p for p in people}

    # Opening, in the whole group: everyone but a case bringer (there is none) writes a line.
    assert (
        f.add("checkin", "welkom")["ok"] and people[0].add("checkin", "mijn vraag gaat over planning")["ok"]
    )
    assert people[1].add("question", "mag dit?")["error"] == "wrong_step"
    assert f.emit("step:go", to="next", confirm=True)["state"]["breakouts"]["size"] == 3

    # Two troikas, in joining order, each at its first round's first phase with its own running timer.
    state = state_of(f)
    groups = state["breakouts"]["groups"]
    assert [g["members"] for g in groups] == [[p.id for p in people[:3]], [p.id for p in people[3:]]]
    assert all(g["round"] == 0 and g["phase"] == 0 and g["timer"]["state"] == "running" for g in groups)
    assert [g["client_id"] for g in groups] == [people[0].id, people[3].id]
    one, two = groups
    a, b, c = (by_id[i] for i in one["members"])
    d, e, g_ = (by_id[i] for i in two["members"])
    troika.drain()

    # The challenge: the client writes it; nobody else may, nor anything else.
    assert b.add("case", "ook een vraag")["error"] == "forbidden_role"
    assert b.add("question", "te vroeg")["error"] == "wrong_phase"
    assert f.add("case", "van de begeleider")["error"] == "not_in_group"
    assert a.add("note", "notitie")["error"] == "wrong_phase"
    assert a.add("case", "Ik krijg mijn team niet mee in de nieuwe planning.")["ok"]
    assert d.add("case", "Mijn agenda loopt over.")["ok"]
    assert texts(b) == texts(c) == {"Ik krijg mijn team niet mee in de nieuwe planning."}
    assert texts(e) == texts(g_) == {"Mijn agenda loopt over."}  # the other group's case never reaches them
    assert texts(f) == {"Ik krijg mijn team niet mee in de nieuwe planning.", "Mijn agenda loopt over."}

    # Moving on: the round's client or the facilitator; a consultant may not; a resend is stale.
    assert move_on(b, one)["error"] == "forbidden_role"
    moved = move_on(a, one)
    assert moved["ok"]
    one = moved["state"]["breakouts"]["groups"][0]
    assert (one["round"], one["phase"]) == (0, 1)
    assert move_on(a, {**one, "phase": 0})["error"] == "stale"
    assert moved["state"]["breakouts"]["groups"][1]["phase"] == 0  # the other group goes at its own pace

    # Clarifying questions: the consultants ask; the client answers aloud.
    assert b.add("question", "Wat heb je al geprobeerd?")["ok"]
    assert a.add("question", "Zelf een vraag?")["error"] == "forbidden_role"
    assert a.add("answer", "Nog niets.")["error"] == "wrong_phase"  # the client answers aloud
    one = move_on(f, one)["state"]["breakouts"]["groups"][0]

    # Back turned: the consultants think aloud; the client only listens and takes their own notes.
    assert one["phase"] == 2
    troika.drain()
    assert a.add("perspective", "Mag ik nog iets zeggen?")["error"] == "turned_away"
    assert a.add("note", "ze zien het als controle")["ok"]
    assert c.add("advice", "Laat het team zelf de planning maken.")["ok"]
    assert c.add("note", "ook een notitie")["error"] == "wrong_phase"
    assert texts(a) == {"ze zien het als controle", "Laat het team zelf de planning maken."}
    assert texts(b) == {"Laat het team zelf de planning maken."}
    assert texts(f) == {"Laat het team zelf de planning maken."}  # the client's note reaches nobody else
    one = move_on(a, one)["state"]["breakouts"]["groups"][0]

    # What was valuable: the client closes the round; then the next member is the client.
    assert a.add("takeaway", "Het team laten meeschrijven.")["ok"]
    assert b.add("takeaway", "Voor haar")["error"] == "forbidden_role"
    one = move_on(a, one)["state"]["breakouts"]["groups"][0]
    assert (one["round"], one["phase"], one["client_id"]) == (1, 0, b.id)
    assert a.add("case", "nog een")["error"] == "forbidden_role"  # a is a consultant now
    assert b.add("case", "Mijn rol als nieuwe teamleider.")["ok"]

    # Time's up for a group's phase moves only that group on, once.
    with app.app_context(), db.session() as orm:
        due, later = orm.scalars(select(BreakoutGroup.timer_deadline).order_by(BreakoutGroup.number.desc()))
    assert due < later
    with app.app_context():
        emitted = service.expire_due_timers(due)  # the other group's deadline is later
        assert [e.event for e in emitted].count("breakout:expired") == 1
        assert service.expire_due_timers(due) == []
    one, two = groups_now(troika)
    assert (one["round"], one["phase"], two["round"], two["phase"]) == (1, 0, 0, 1)
    assert two["timer"]["state"] == "running" and two["timer"]["deadline_ms"] > due * 1000

    # Moving on from the breakouts while groups are busy asks first.
    assert f.emit("step:go", to="next")["error"] == "confirm_groups_busy"
    assert f.emit("step:go", to="next")["message"] == translate("nl", "error.confirm_groups_busy", count=2)

    # A reconnect brings back one's own group's writing and the groups' progress; the screen sees no texts.
    snapshot = e.reconnect()["snapshot"]
    in_groups = {x["text"] for x in snapshot["contributions"] if x["group_id"]}
    assert in_groups == {"Mijn agenda loopt over."} and len(snapshot["contributions"]) == 3  # and 2 check-ins
    assert [g["phase"] for g in snapshot["breakouts"]["groups"]] == [0, 1]
    mine = {x["text"] for x in a.reconnect()["snapshot"]["contributions"]}
    assert "ze zien het als controle" in mine and "Mijn agenda loopt over." not in mine
    screen = Person(app, "scherm")
    shown = screen.ok("session:watch", code=troika.code, key=troika.created["screen_key"])["snapshot"]
    assert [x["kind"] for x in shown["contributions"]] == ["checkin", "checkin"]
    assert len(shown["breakouts"]["groups"]) == 2

    # Someone arriving late joins the smallest group still at work and gets a round as its last client.
    late = Person(app, "Hidde")
    joined = late.ok("session:join", code=troika.code, name="Hidde")["snapshot"]
    assert joined["breakouts"]["groups"][0]["members"][-1] == joined["me"]["id"]
    assert joined["contributions"] and all(
        x["group_id"] in (None, one["id"]) for x in joined["contributions"]
    )

    # The facilitator moves every group through its rounds; done groups take nothing more.
    for _ in range(40):
        busy = [x for x in groups_now(troika) if not x["done"]]
        if not busy:
            break
        assert move_on(f, busy[0])["ok"]
    assert all(x["done"] and x["client_id"] is None for x in groups_now(troika))
    assert a.add("case", "te laat")["error"] == "group_done"
    assert move_on(f, groups_now(troika)[0])["error"] == "group_done"

    # The harvest, in the whole group again: the breakouts' writing stays in its groups.
    state = troika.go("next")
    assert state["breakouts"] is None and state["session"]["step_index"] == 2
    assert a.add("learned", "Luisteren zonder te reageren is lastig.")["ok"]
    assert f.add("learned", "Mooie rondes.")["ok"]
    assert move_on(f, one)["error"] == "wrong_step"
    with app.app_context(), db.session() as orm:
        rounds = orm.execute(select(BreakoutGroup.number, BreakoutGroup.done)).all()
    assert sorted(rounds) == [(1, True), (2, True)]


def test_move_on_refuses_malformed_and_foreign_groups(troika):
    f = troika.facilitator
    troika.go("next")
    for payload in ({}, {"group": 1, "round": 0, "phase": 0}, {"group": "x", "round": "0", "phase": 0}):
        assert f.emit("breakout:next", payload)["error"] == "bad_request"
    assert f.emit("breakout:next", group="nope", round=0, phase=0)["error"] == "unknown_group"
    assert troika.people[0].emit("breakout:next", group="nope", round=0, phase=0)["error"] == "unknown_group"


def test_no_case_bringer_is_needed_to_start_a_method_with_breakouts(app, client):
    group = Group(app, client, participants=2, method_id="troika")
    assert group.facilitator.ok("session:start")["state"]["session"]["status"] == "running"


# --- the record --------------------------------------------------------------------------


def test_the_record_keeps_breakout_writing_per_group_and_client(app, client, troika):
    from tests.test_export import VALIDATOR, download

    f, people = troika.facilitator, troika.people
    troika.go("next")
    a, d = people[0], people[3]
    assert a.add("case", "Mijn team haakt af.")["ok"] and d.add("case", "Mijn agenda loopt over.")["ok"]
    one = groups_now(troika)[0]
    move_on(a, one)
    assert people[1].add("question", "Sinds wanneer?")["ok"]
    for _ in range(2):
        move_on(f, groups_now(troika)[0])
    assert a.add("takeaway", "Het team laten meeschrijven.")["ok"]
    assert a.add("note", "privé")["error"] == "wrong_phase"
    troika.go("next")
    assert people[2].add("learned", "Omdraaien helpt luisteren.")["ok"]
    f.ok("session:end")

    record = download(client, troika.code, "json", f.token, names="1").get_json()
    VALIDATOR.validate(record)
    assert record["case"]["text"] == ""  # no session case: each client's challenge stays in its group
    assert record["takeaways"] == [] and [x["text"] for x in record["learned"]] == [
        "Omdraaien helpt luisteren."
    ]
    assert record["steps"][1]["contributions"] == []
    assert record["steps"][1]["groups"] == [
        {
            "number": 1,
            "rounds": [
                {
                    "round": 1,
                    "client": "Ayla",
                    "contributions": [
                        {"kind": "case", "text": "Mijn team haakt af.", "author": "Ayla"},
                        {"kind": "question", "text": "Sinds wanneer?", "author": "Bram"},
                        {"kind": "takeaway", "text": "Het team laten meeschrijven.", "author": "Ayla"},
                    ],
                }
            ],
        },
        {
            "number": 2,
            "rounds": [
                {
                    "round": 1,
                    "client": "Daan",
                    "contributions": [{"kind": "case", "text": "Mijn agenda loopt over.", "author": "Daan"}],
                }
            ],
        },
    ]
    markdown = download(client, troika.code, "md", f.token).data.decode()
    assert "Groepje 1, ronde 1" in markdown and "Mijn team haakt af." in markdown and "Ayla" not in markdown
    assert "groups" not in record["steps"][0] and "groups" not in record["steps"][2]


def test_under_the_agreement_each_client_lets_their_own_round_into_the_record(app, client, troika):
    """No case bringer to ask: each member consents for the round in which they were the client."""
    from tests.test_export import VALIDATOR, download

    f, people = troika.facilitator, troika.people
    with app.app_context(), db.session(write=True) as orm:  # under the group's agreement
        orm.scalars(select(Session)).one().confidentiality = True
        orm.commit()
    troika.go("next")
    a, d = people[0], people[3]
    assert a.add("case", "Mijn team haakt af.")["ok"] and d.add("case", "Mijn agenda loopt over.")["ok"]
    # The facilitator is no round's client: they are told who consents instead.
    assert f.emit("record:consent", given=True)["error"] == "consent_per_round"
    assert translate("nl", "error.consent_per_round") != translate("nl", "error.case_bringer_only")
    assert a.ok("record:consent", given=True)["given"] is True
    seen = f.received("session:state")[-1]["args"][0]["participants"]
    assert {p["name"] for p in seen if p["consented"]} == {"Ayla"}
    f.ok("session:end")

    record = download(client, troika.code, "json", f.token, names="1").get_json()
    VALIDATOR.validate(record)
    rounds = {g["number"]: g["rounds"] for g in record["steps"][1]["groups"]}
    assert rounds[1] == [
        {
            "round": 1,
            "client": "Ayla",
            "contributions": [{"kind": "case", "text": "Mijn team haakt af.", "author": "Ayla"}],
        }
    ]
    assert rounds[2] == [{"round": 1, "client": "Daan", "left_out": True, "contributions": []}]
    markdown = download(client, troika.code, "md", f.token).data.decode()
    assert "Mijn team haakt af." in markdown and "Mijn agenda loopt over." not in markdown
    assert "Weggelaten: de cliënt van deze ronde gaf geen toestemming voor het verslag." in markdown

    a.ok("record:consent", given=False)  # withdrawn: out again
    markdown = download(client, troika.code, "md", f.token).data.decode()
    assert "Mijn team haakt af." not in markdown


def test_deleting_a_session_deletes_its_groups(app, client, troika):
    troika.go("next")
    assert troika.people[0].add("case", "Mijn vraag.")["ok"]
    answer = client.post(
        f"/api/sessions/{troika.code}/delete",
        headers={"Authorization": f"Bearer {troika.facilitator.token}"},
        json={"confirm": troika.code},
    )
    assert answer.get_json() == {"ok": True, "deleted": True}
    with app.app_context(), db.session() as orm:
        assert orm.scalars(select(BreakoutGroup)).all() == []


def test_the_breakouts_migration_goes_down_and_up_again(tmp_path):
    import sqlalchemy as sa
    from alembic import command

    from intervisie.db import alembic_config

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'groups.sqlite3'}")
    config = alembic_config(engine)
    command.upgrade(config, "head")
    assert {"group_id", "round"} <= {c["name"] for c in sa.inspect(engine).get_columns("contributions")}
    command.downgrade(config, "0009")
    inspector = sa.inspect(engine)
    assert "breakout_groups" not in inspector.get_table_names()
    assert "group_id" not in {c["name"] for c in inspector.get_columns("contributions")}
    command.upgrade(config, "head")
    assert "breakout_groups" in sa.inspect(engine).get_table_names()
    engine.dispose()


# --- people who leave or come late, the facilitator's clock, the wording ------------------


def remove(f: Person, person: Person) -> dict:
    return f.ok("participant:remove", participant_id=person.id)["state"]


def test_a_removed_member_is_out_of_their_group_and_their_round_is_skipped(app, client, troika):
    f, people = troika.facilitator, troika.people
    one, two = troika.go("next")["breakouts"]["groups"]
    a, b, c, d, e, g_ = people
    assert a.add("case", "Mijn team haakt af.")["ok"]
    before = one["timer"]["deadline_ms"]
    time.sleep(0.01)

    # The round's client is removed: the group goes on to the next round, its first phase, a fresh clock.
    one = remove(f, a)["breakouts"]["groups"][0]
    assert (one["round"], one["phase"], one["client_id"]) == (1, 0, b.id)
    assert one["members"] == [b.id, c.id] and one["rounds"] == 3  # Ayla's round was held
    assert one["timer"]["state"] == "running" and one["timer"]["deadline_ms"] > before
    assert one["timer"]["duration_ms"] == RULE.phases[0].minutes * 60_000
    assert b.add("case", "Mijn rol als teamleider.")["ok"]

    # A consultant is removed: the round goes on; their later round is skipped.
    two = remove(f, g_)["breakouts"]["groups"][1]
    assert (two["round"], two["phase"], two["members"], two["rounds"]) == (0, 0, [d.id, e.id], 2)
    # A newcomer joins the group with the fewest members still there (one: 1 of 3; two: 2 of 3).
    remove(f, b)
    late = Person(app, "Hidde")
    me = late.ok("session:join", code=troika.code, name="Hidde")["snapshot"]["me"]["id"]
    one, two = groups_now(troika)
    assert one["members"] == [c.id, me] and (one["round"], one["client_id"]) == (2, c.id)
    for _ in range(2 * len(RULE.phases)):  # Daan's and Eva's rounds, none for Femke
        assert move_on(f, groups_now(troika)[1])["ok"]
    assert groups_now(troika)[1]["done"]

    # The record still names each round's client by the group's members as they were formed.
    f.ok("session:end")
    from tests.test_export import download

    record = download(client, troika.code, "json", f.token, names="1")
    rounds = record.get_json()["steps"][1]["groups"][0]["rounds"]
    assert [(r["round"], r["client"]) for r in rounds] == [(1, "Ayla"), (2, "Bram")]


def test_a_group_without_rounds_left_is_done_and_one_left_behind_waits_with_a_fresh_clock(troika):
    f, people = troika.facilitator, troika.people
    troika.go("next")
    remove(f, people[1]), remove(f, people[2])  # Ayla's consultants: her round goes on, theirs are skipped
    one = groups_now(troika)[0]
    for _ in range(len(RULE.phases) - 1):
        one = move_on(f, one)["state"]["breakouts"]["groups"][0]
    assert move_on(people[0], one)["ok"] and groups_now(troika)[0]["done"]

    # The round's client is removed while the step is left: the next round waits, fresh, for its return.
    troika.go("prev")
    remove(f, people[3])
    two = troika.go("next")["breakouts"]["groups"][1]
    assert (two["round"], two["phase"], two["client_id"]) == (1, 0, people[4].id)
    assert two["timer"]["state"] == "running"
    assert two["timer"]["remaining_ms"] > RULE.phases[0].minutes * 60_000 - 5_000
    assert remove(f, people[4])["breakouts"]["groups"][1]["client_id"] == people[5].id
    assert remove(f, people[5])["breakouts"]["groups"][1]["done"]  # the last one: no round is left


def test_someone_who_joined_on_another_step_gets_a_group_when_the_breakouts_open_again(app, troika):
    one, two = troika.go("next")["breakouts"]["groups"]
    for _ in range(len(RULE.phases) * 3):  # the first group finishes
        one = move_on(troika.facilitator, one)["state"]["breakouts"]["groups"][0]
    assert one["done"]
    troika.go("next")
    late = Person(app, "Hidde")
    me = late.ok("session:join", code=troika.code, name="Hidde")["snapshot"]["me"]["id"]
    one, two = troika.go("prev")["breakouts"]["groups"]
    assert me not in one["members"] and two["members"][-1] == me  # the group not done, as its last client
    assert late.add("note", "hier")["error"] == "wrong_phase"  # a member now: refused by phase, not group


def test_the_facilitators_pause_and_extra_minute_reach_every_groups_clock(troika):
    f = troika.facilitator
    groups = troika.go("next")["breakouts"]["groups"]
    assert groups[0]["timer"]["state"] == "running"

    # The step timer is not running (the facilitator times by hand here): pausing still holds the groups.
    state = f.ok("timer:control", action="pause")["state"]
    assert [g["timer"]["state"] for g in state["breakouts"]["groups"]] == ["paused", "paused"]
    left = [g["timer"]["remaining_ms"] for g in state["breakouts"]["groups"]]
    state = f.ok("timer:control", action="add", seconds=60)["state"]  # the step timer takes it too
    assert [g["timer"]["remaining_ms"] for g in state["breakouts"]["groups"]] == [x + 60_000 for x in left]
    assert f.emit("timer:control", action="pause")["error"] == "timer_not_running"  # nothing left to pause
    state = f.ok("timer:control", action="resume")["state"]
    assert [g["timer"]["state"] for g in state["breakouts"]["groups"]] == ["running", "running"]
    assert f.emit("timer:control", action="resume")["error"] == "timer_not_paused"

    # With the step timer running, pause and resume act on it and on every group alike.
    f.ok("timer:control", action="start")
    state = f.ok("timer:control", action="pause")["state"]
    assert state["timer"]["state"] == "paused"
    assert {g["timer"]["state"] for g in state["breakouts"]["groups"]} == {"paused"}
    state = f.ok("timer:control", action="resume")["state"]
    assert {g["timer"]["state"] for g in state["breakouts"]["groups"]} == {"running"}
    assert f.emit("timer:control", action="add", seconds="60")["error"] == "bad_request"


def test_waiting_for_the_facilitator_pauses_every_groups_clock(app, troika):
    from tests.test_people_in_room import come_back, grace_over, last_state

    f, watcher = troika.facilitator, troika.people[0]
    troika.go("next")
    f.ok("timer:control", action="start")
    f.io.disconnect()
    grace_over(app, troika)
    state = last_state(watcher)
    assert state["timer"]["state"] == "paused" and state["waiting"]["paused"]
    assert {g["timer"]["state"] for g in state["breakouts"]["groups"]} == {"paused"}
    back = come_back(f)
    assert {g["timer"]["state"] for g in back["breakouts"]["groups"]} == {"running"}


def test_the_troika_record_has_no_empty_case_nor_case_bringers_takeaways(app, client, troika):
    from tests.test_export import VALIDATOR, download, pdf_text

    f = troika.facilitator
    troika.go("next")  # the groups write nothing
    f.ok("session:end")
    record = download(client, troika.code, "json", f.token).get_json()
    VALIDATOR.validate(record)
    assert record["steps"][1]["groups"] == [] and "groups" not in record["steps"][0]
    for lang in ("nl", "en"):
        markdown = download(client, troika.code, "md", f.token, lang=lang).data.decode()
        printed = pdf_text(download(client, troika.code, "pdf", f.token, lang=lang).data)
        for text in (markdown, printed):
            assert translate(lang, "record.learned") in text
            for left_out in ("record.case", "record.empty", "record.takeaways"):
                assert translate(lang, left_out) not in text


def test_the_troika_step_says_a_group_of_four_takes_a_round_more():
    step = parse_method(TROIKA, "troika.yaml").steps[1]
    round_minutes = sum(p.minutes for p in RULE.phases)
    assert round_minutes * RULE.size <= step.minutes < round_minutes * (RULE.size + 1)
    assert "groepje van vier heeft een ronde meer" in step.instructions["nl"]
    assert "group of four has one round more" in step.instructions["en"]


def test_breakouts_wording_promises_only_what_a_group_and_the_screen_show():
    for lang, group, facilitator in (("nl", "groepje", "begeleider"), ("en", "group", "facilitator")):
        assert group in translate(lang, "ui.breakouts.feed_empty")
        assert facilitator in translate(lang, "ui.breakouts.feed_empty")
        assert translate(lang, "ui.breakouts.screen_empty") != translate(lang, "ui.screen.empty")
    assert "was jij" not in translate("nl", "ui.consent.round_hint")
    assert "were the client" not in translate("en", "ui.consent.round_hint")


def test_handing_the_lead_to_a_member_takes_them_out_of_their_group_and_seats_the_former(troika):
    f, people = troika.facilitator, troika.people
    troika.go("next")
    a = people[0]  # the first group's client
    f.ok("role:assign", participant_id=a.id, role="facilitator")
    one, two = groups_now(troika)
    assert a.id not in one["members"] and (one["round"], one["client_id"]) == (1, people[1].id)
    # The former facilitator joins the group with the fewest members still there, as its last client.
    assert one["members"] == [people[1].id, people[2].id, f.id] and f.id not in two["members"]
    assert f.add("note", "nu deelnemer")["error"] == "wrong_phase"  # a member now, not not_in_group
    assert a.add("case", "als begeleider")["error"] == "not_in_group"

    # Handed back: each is where they were before; the round already passed stays passed.
    a.ok("role:assign", participant_id=f.id, role="facilitator")
    one = groups_now(troika)[0]
    assert a.id in one["members"] and f.id not in one["members"] and one["round"] == 1


def test_a_member_who_stands_in_for_the_facilitator_leaves_their_group_meanwhile(app, troika):
    from tests.test_people_in_room import grace_over

    f, co = troika.facilitator, troika.people[3]  # the second group's client
    troika.go("next")
    f.ok("timer:control", action="start")
    f.ok("session:settings", co_facilitator_id=co.id)
    f.io.disconnect()
    grace_over(app, troika)  # the facilitator is away: the step timer and every group's clock pause
    state = co.ok("lead:take", control=co.current_control())["state"]
    two = state["breakouts"]["groups"][1]
    eva, femke = troika.people[4:]
    assert (two["client_id"], two["members"]) == (eva.id, [eva.id, femke.id, f.id])  # the former lead joins
    assert two["timer"]["state"] == "paused"  # the next round's fresh clock waits with the others
    state = co.ok("timer:control", action="resume")["state"]
    assert {g["timer"]["state"] for g in state["breakouts"]["groups"]} == {"running"}
