"""An answer belongs to its question; moving on too early asks the facilitator once."""

from __future__ import annotations

import json
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from intervisie.db import db
from intervisie.models import Contribution
from tests.conftest import Group

QUESTIONS = 2  # vragen: the clarifying questions, where the case bringer answers


def stored(app) -> int:
    with app.app_context(), db.session() as orm:
        return orm.scalar(select(func.count()).select_from(Contribution))


def asked(group: Group, text: str = "Wat maakt het lastig?") -> dict:
    ack = group.participants[0].add("question", text)
    assert ack["ok"], ack
    return ack["contribution"]


def test_the_case_bringer_answers_a_question_and_everyone_sees_it_under_that_question(group):
    group.start()
    group.go(QUESTIONS)
    question = asked(group)
    group.drain()
    answer = group.case_bringer.add("answer", "Dat het team niet meedenkt.", reply_to=question["id"])
    assert answer["ok"], answer
    assert answer["contribution"]["reply_to"] == question["id"]
    for person in (group.facilitator, *group.participants):
        pushed = [m["args"][0] for m in person.received("contribution:new")]
        assert [(c["kind"], c["reply_to"]) for c in pushed] == [("answer", question["id"])]
    # A reload brings it back tied to its question; a question itself replies to nothing.
    snapshot = group.participants[1].reconnect()["snapshot"]
    tied = {c["kind"]: c["reply_to"] for c in snapshot["contributions"]}
    assert tied == {"question": None, "answer": question["id"]}


def test_an_answer_must_name_a_visible_question_of_this_session(app, client, group):
    group.start()
    f, cb = group.facilitator, group.case_bringer
    mine = cb.add("checkin", "Moe maar blij.")["contribution"]  # step 0: something that is not a question
    group.go(QUESTIONS)
    question = asked(group)
    hidden = asked(group, "Wie weet ervan?")
    f.ok("contribution:hide", id=hidden["id"], hidden=True)
    elsewhere = Group(app, client, participants=1)
    elsewhere.start()
    elsewhere.go(QUESTIONS)
    foreign = asked(elsewhere)
    before = stored(app)
    for reply_to, error in [
        (None, "answer_needs_question"),
        ("0" * 32, "unknown_question"),
        (hidden["id"], "unknown_question"),
        (foreign["id"], "unknown_question"),
        (mine["id"], "not_a_question"),
        (42, "bad_request"),
        ([question["id"]], "bad_request"),
    ]:
        fields = {} if reply_to is None else {"reply_to": reply_to}
        ack = cb.add("answer", "Zo zit het.", **fields)
        assert ack["ok"] is False and ack["error"] == error, (reply_to, ack)
        assert ack["message"] and not ack["message"].startswith("error."), ack
    # Only answers reply; only the case bringer answers, and not while listening.
    assert (
        group.participants[1].add("question", "Wat nog?", reply_to=question["id"])["error"] == "bad_request"
    )
    assert (
        group.participants[1].add("answer", "Ik weet het", reply_to=question["id"])["error"]
        == "forbidden_role"
    )
    assert stored(app) == before
    group.go(QUESTIONS + 1)  # perspectieven: the case bringer listens
    ack = cb.add("answer", "Nog iets", reply_to=question["id"])
    assert ack["error"] == "case_bringer_listens"
    assert stored(app) == before


def test_a_refused_answer_speaks_the_case_bringers_language(group):
    group.start()
    group.go(QUESTIONS)
    group.case_bringer.ok("language:set", lang="en")
    ack = group.case_bringer.add("answer", "Because.")
    assert ack["error"] == "answer_needs_question" and "Answer" in ack["message"]


def test_any_reply_to_is_stored_as_a_real_question_or_refused_clearly(app, client, unlimited):
    group = Group(app, client, participants=1)
    group.start()
    group.go(QUESTIONS)
    before = stored(app)
    shapes = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6,
    )

    @settings(max_examples=60, deadline=None, database=None)
    @given(reply_to=shapes)
    def attempt(reply_to):
        ack = group.case_bringer.add("answer", "Antwoord", reply_to=reply_to)
        assert ack["ok"] is False, ack
        assert ack["error"] in {"bad_request", "unknown_question", "answer_needs_question"}, ack

    attempt()
    assert stored(app) == before


def test_the_record_puts_answers_under_their_question_and_says_which_went_unanswered(client, group):
    group.start()
    group.go(QUESTIONS)
    answered = asked(group, "Wat wil je bereiken?")
    asked(group, "Hoe reageert je team?")
    group.case_bringer.ok(
        "contribution:add", client_id=uuid.uuid4().hex, kind="answer", text="Rust.", reply_to=answered["id"]
    )
    auth = {"Authorization": f"Bearer {group.facilitator.token}"}
    record = json.loads(client.get(f"/api/sessions/{group.code}/record.json", headers=auth).data)
    listed = record["steps"][QUESTIONS]["contributions"]
    assert listed == [
        {
            "kind": "question",
            "text": "Wat wil je bereiken?",
            "answers": [{"kind": "answer", "text": "Rust."}],
        },
        {"kind": "question", "text": "Hoe reageert je team?", "answers": []},
    ]
    markdown = client.get(f"/api/sessions/{group.code}/record.md", headers=auth).data.decode()
    assert "- Vraag: Wat wil je bereiken?  \n  Antwoord: Rust." in markdown
    assert "- Vraag: Hoe reageert je team?  \n  Niet beantwoord" in markdown
    english = client.get(f"/api/sessions/{group.code}/record.md?lang=en", headers=auth).data.decode()
    assert "Not answered" in english
    assert client.get(f"/api/sessions/{group.code}/record.pdf", headers=auth).status_code == 200


# --- moving on too early ---------------------------------------------------------------------


def step_of(group: Group) -> int:
    return group.facilitator.ok("session:resume", token=group.facilitator.token)["snapshot"]["session"][
        "step_index"
    ]


def test_next_step_asks_once_when_fewer_than_half_are_ready(group):
    group.start()
    f = group.facilitator
    ack = f.emit("step:go", to="next")
    assert ack["ok"] is False and ack["error"] == "confirm_few_ready"
    assert "0 van de 5" in ack["message"] and ack["message"].endswith("?")
    assert step_of(group) == 0
    f.ok("language:set", lang="en")
    assert "0 of 5" in f.emit("step:go", to="next")["message"]
    assert f.emit("step:go", to="next", confirm="yes")["error"] == "bad_request"
    assert f.ok("step:go", to="next", confirm=True)["state"]["session"]["step_index"] == 1
    # Previous is always possible; a step picked in the plan is a choice already.
    assert f.ok("step:go", to="prev")["state"]["session"]["step_index"] == 0
    assert f.ok("step:go", to=1)["state"]["session"]["step_index"] == 1
    # Half of them ready: on without asking.
    for person in group.people[:3]:
        person.ok("ready:set", ready=True)
    assert f.ok("step:go", to="next")["state"]["session"]["step_index"] == 2


def test_in_a_marking_step_next_asks_until_the_case_bringer_marked_something(group):
    group.start()
    group.go(QUESTIONS)
    f = group.facilitator
    for person in group.people:
        person.ok("ready:set", ready=True)
    # Nothing to mark yet: nothing to ask.
    assert f.ok("step:go", to="next")["state"]["session"]["step_index"] == QUESTIONS + 1
    group.go(QUESTIONS)
    question = asked(group)
    for person in group.people:
        person.ok("ready:set", ready=True)
    ack = f.emit("step:go", to="next")
    assert ack["error"] == "confirm_unmarked" and "inbrenger" in ack["message"]
    assert step_of(group) == QUESTIONS
    group.case_bringer.ok("contribution:mark", id=question["id"], value="warm")
    assert f.ok("step:go", to="next")["state"]["session"]["step_index"] == QUESTIONS + 1


def test_only_the_facilitator_is_asked_and_a_stale_click_stays_stale(group):
    group.start()
    f = group.facilitator
    assert group.participants[0].emit("step:go", to="next", confirm=True)["error"] == "forbidden_role"
    before = f.current_control()
    assert f.emit("step:go", {"to": "next", "confirm": True, "control": before - 1})["error"] == "stale"
    assert step_of(group) == 0
