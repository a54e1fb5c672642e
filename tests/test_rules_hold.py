"""Faults found in real use (issue 8), each with its whole kind, through the protocol.

Facilitator controls are idempotent; an offline text is never filed in a later
step; text is normalised the same way everywhere; a claim takes effect on every
open connection; a hidden card question is gone from every view; a replaced
deck file never orphans a session's cards; a language must be one of ours.
"""

import dataclasses
import json
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intervisie.db import db
from intervisie.models import Contribution, Participant, Session
from tests.conftest import Group, Person


def state_of(person) -> dict:
    return person.reconnect()["snapshot"]


def stored_texts():
    with db.session() as orm:
        return [
            (c.step_index, c.text)
            for c in orm.scalars(select(Contribution).order_by(Contribution.created_at))
        ]


def stored_session() -> dict:
    with db.session() as orm:
        s = orm.scalar(select(Session))
        return {
            "control": s.control,
            "version": s.version,
            "status": s.status,
            "step": s.step_index,
            "deadline": s.timer_deadline,
        }


# --- 1. every facilitator control is idempotent -------------------------------------------


def test_a_double_click_on_next_step_moves_one_step(group):
    group.start()
    f = group.facilitator
    first = f.ok("step:go", to="next", confirm=True)["state"]
    assert first["session"]["step_index"] == 1
    # A double click: both clicks were sent from the same state.
    control = first["control"]
    assert f.ok("step:go", to="next", control=control, confirm=True)["state"]["session"]["step_index"] == 2
    again = f.emit("step:go", to="next", control=control, confirm=True)
    assert again["ok"] is False and again["error"] == "stale" and "twee keer" in again["message"]
    assert state_of(f)["session"]["step_index"] == 2


def test_every_guarded_control_refuses_a_stale_or_missing_count_and_changes_nothing(app, client):
    group = Group(app, client)
    f = group.facilitator
    f.ok("role:assign", participant_id=group.case_bringer.id, role="case_bringer")
    assert f.emit("session:start", control=None)["error"] == "stale"
    started = f.ok("session:start")["state"]
    assert f.emit("session:start", control=started["control"] - 1)["error"] == "stale"
    f.ok("timer:control", action="start")
    before = stored_session()
    for event, payload in [
        ("timer:control", {"action": "add", "seconds": 60}),
        ("step:go", {"to": "next"}),
        ("turn:next", {}),
        ("session:end", {}),
        ("session:start", {}),
    ]:
        for stale in (before["control"] - 1, before["control"] + 1, str(before["control"]), True):
            ack = f.emit(event, {**payload, "control": stale})
            assert ack["ok"] is False and ack["error"] == "stale", (event, stale, ack)
    assert stored_session() == before


def test_a_second_tab_acting_on_an_older_screen_is_stale(app, group):
    group.start()
    tab_one, tab_two = group.facilitator, Person(app, "Fien")
    tab_two.ok("session:resume", token=group.facilitator.token)
    seen = tab_two.current_control()
    tab_one.ok("timer:control", action="start")
    assert tab_two.emit("timer:control", action="start", control=seen)["error"] == "stale"
    assert tab_two.ok("timer:control", action="pause")["state"]["timer"]["state"] == "paused"


def test_going_to_the_step_one_is_on_keeps_its_timer(group):
    group.start()
    f = group.facilitator
    running = f.ok("timer:control", action="start")["state"]["timer"]
    still = f.ok("step:go", to=0)["state"]
    assert still["session"]["step_index"] == 0
    assert still["timer"]["state"] == "running" and still["timer"]["deadline_ms"] == running["deadline_ms"]


def test_times_up_moving_on_makes_older_controls_stale(app, group):
    from intervisie import service

    group.start()
    f = group.facilitator
    f.ok("session:settings", auto_advance=True)
    before = f.current_control()
    timer = f.ok("timer:control", action="start")["state"]["timer"]
    with app.app_context():
        service.expire_due_timers(timer["deadline_ms"] / 1000 + 1)
    assert f.emit("step:go", to="next", control=before + 1)["error"] == "stale"


# --- 4. an offline text is never filed in a later step ------------------------------------


def test_a_text_written_in_a_closed_step_comes_back_unfiled(group):
    group.start()
    group.go(2)
    p = group.participants[0]
    written = {"client_id": uuid.uuid4().hex, "kind": "question", "text": "Wat wil je zelf?", "step_index": 2}
    group.go(3)
    ack = p.emit("contribution:add", written)
    assert ack["ok"] is False and ack["error"] == "step_moved" and ack["message"]
    assert stored_texts() == []
    group.go(2)
    assert p.ok("contribution:add", **written)["contribution"]["step_index"] == 2
    for bad in (-1, "2", 2.0, True, [2]):
        assert (
            p.emit("contribution:add", {**written, "client_id": uuid.uuid4().hex, "step_index": bad})["error"]
            == "bad_request"
        )


# --- 9 and 15. names and texts as people mean them ----------------------------------------


@pytest.mark.parametrize(
    "lookalike",
    [
        "Zoe\u0308",
        "Zoë\u200b",
        "\u200bZoë",
        "ZOË",
        "zoë",
        "Zoë\u202e",
        "Zo\u00eb ",
        " Zoë\n",
        "Zoë\ufe0f",
        "Zoë\u200d",
        "Zoë\u3164",
        "Zo\ufe00ë",
        "Z\u034foë",
        "Zo\u180bë",
        "Zo\u00adë",
        "Ｚｏë",
    ],
)
def test_a_name_that_looks_the_same_is_the_same_name(app, group, lookalike):
    Person(app, "Zoë").ok("session:join", code=group.code, name="Zoë")
    assert Person(app, "X").emit("session:join", code=group.code, name=lookalike)["error"] == "name_taken"


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b",
        "\u200b\u200c\u2060",
        "\u202e",
        "\n\t",
        "\x00",
        "\u3164",
        "\u115f",
        "\u2800",
        "\u200d\u200d",
        "\u034f",
        "\u0301\u0301",
        "\ufe0f",
        "\U000e0041",
    ],
)
def test_an_invisible_name_is_no_name(app, group, invisible):
    assert Person(app, "X").emit("session:join", code=group.code, name=invisible)["error"] == "name_required"


@pytest.mark.parametrize(
    "blank", ["\u200d", "\ufe0f", "\u3164", "\u2800", "\u034f", "\u0301", "\u115f\u1160"]
)
def test_a_contribution_that_shows_nothing_is_empty(group, blank):
    group.start()
    group.go(2)
    answer = group.participants[0].emit(
        "contribution:add", client_id=uuid.uuid4().hex, kind="question", text=blank
    )
    assert answer["error"] == "empty"


@pytest.mark.parametrize(
    "text",
    ["🫨 schudt", "🩷", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "❤️ 👨‍👩‍👧"],
)
def test_emoji_newer_than_pythons_tables_and_emoji_sequences_are_kept(group, text):
    group.start()
    group.go(2)
    stored = group.participants[0].ok(
        "contribution:add", client_id=uuid.uuid4().hex, kind="question", text=text
    )
    assert stored["contribution"]["text"] == text


def test_names_are_single_line_and_texts_keep_their_lines_but_lose_invisible_characters(app, group):
    me = Person(app, "X").ok("session:join", code=group.code, name="Jan\nde\tVries\u202e")["snapshot"]["me"]
    assert me["name"] == "Jan de Vries"
    group.start()
    group.go(2)
    text = "Wat\u200b speelt er\u202d?\nEn daarna?\r\nZoe\u0308 🌻 👩\u200d⚕️"
    stored = group.participants[0].ok(
        "contribution:add", client_id=uuid.uuid4().hex, kind="question", text=text
    )
    assert stored["contribution"]["text"] == "Wat speelt er?\nEn daarna?\nZoë 🌻 👩\u200d⚕️"


def test_text_that_is_not_unicode_never_enters_the_database(app, client, group):
    lone = "ik \ud83d"
    assert Person(app, "X").emit("session:join", code=group.code, name=lone)["error"] == "name_required"
    group.start()
    group.go(2)
    p = group.participants[0]
    assert p.emit("contribution:add", client_id=uuid.uuid4().hex, kind="question", text=lone)["error"] == (
        "bad_request"
    )
    group.go(len(group.facilitator.snapshot["method"]["steps"]) - 1)
    action = {"client_id": uuid.uuid4().hex, "kind": "action", "text": "Bellen", "details": {"who": lone}}
    assert group.case_bringer.emit("contribution:add", action)["error"] == "bad_request"
    body = json.dumps({"method_id": "vijf-fasen", "name": "Fien", "title": lone}, ensure_ascii=True)
    created = client.post("/api/sessions", data=body, content_type="application/json")
    assert created.status_code == 400 and created.get_json()["ok"] is False
    assert stored_texts() == []


# --- 8. a language must be one of ours ----------------------------------------------------


@pytest.mark.parametrize("lang", [42, "xx", "", None, "de", ["en"], "english"])
def test_an_unknown_language_is_refused_and_changes_nothing(group, lang):
    p = group.participants[0]
    p.ok("language:set", lang="en")
    assert p.emit("language:set", lang=lang)["error"] == "bad_request"
    assert state_of(p)["me"]["lang"] == "en"
    assert p.ok("language:set", lang="nl-BE")["lang"] == "nl"


# --- 11. a claim takes effect on every open connection -----------------------------------


def test_claiming_on_a_new_device_signs_the_old_one_out_at_once(app, group):
    old = group.facilitator
    laptop = Person(app, "Fien")
    laptop.ok("session:claim", code=group.code, key=group.created["facilitator_key"])
    assert not old.io.is_connected()  # told session:revoked, then closed by the server
    assert laptop.ok("session:settings", joining_locked=True)
    assert Person(app, "Fien").emit("session:resume", token=old.token)["error"] == "bad_token"


# --- 11 and 12. cards: hidden means gone; a replaced deck orphans nothing ---------------


def test_a_hidden_card_question_is_gone_from_every_view_but_the_facilitators(client, card_round):
    group = card_round
    f = group.facilitator
    bram = group.participants[0]
    card = bram.reconnect()["snapshot"]["hand"][0]
    played = bram.ok("card:play", client_id=uuid.uuid4().hex, card_id=card)
    contribution = played["contribution"]["id"]
    group.drain()
    hidden = f.ok("contribution:hide", id=contribution, hidden=True)
    assert hidden["contribution"]["hidden"] is True
    pushed = [m["args"][0] for m in group.participants[1].received("session:state")]
    assert pushed and all(card not in json.dumps(s["cards"]) for s in pushed)
    for person in group.everyone:
        snap = person.reconnect()["snapshot"]
        assert all(e["contribution"] != contribution for e in snap["cards"]["played"])
        assert sum(c["asked"] for c in snap["cards"]["balance"]["group"].values()) == 0
    record = client.get(
        f"/api/sessions/{group.code}/record.json", headers={"Authorization": f"Bearer {f.token}"}
    )
    assert record.status_code == 200
    assert contribution not in record.get_data(as_text=True)
    assert all(row.get("asked", 0) == 0 for row in record.get_json()["quadrant_balance"])
    f.ok("contribution:hide", id=contribution, hidden=False)
    assert [e["contribution"] for e in f.reconnect()["snapshot"]["cards"]["played"]] == [contribution]


def test_a_deck_file_replaced_while_a_session_waits_leaves_its_cards_playable(app, client):
    group = Group(app, client, participants=3, method_id="manager-coachkwadrant")
    decks = app.extensions["intervisie_decks"]
    shipped = decks["coachkwadrant"]
    decks["coachkwadrant"] = dataclasses.replace(
        shipped, cards=tuple(dataclasses.replace(c, id=f"nieuw-{c.id}") for c in shipped.cards)
    )
    group.start()
    group.facilitator.ok("step:go", to=3)
    bram = group.participants[0]
    hand = bram.reconnect()["snapshot"]["hand"]
    assert hand and all(not c.startswith("nieuw-") for c in hand)
    played = bram.ok("card:play", client_id=uuid.uuid4().hex, card_id=hand[0])
    assert played["contribution"]["text"] == shipped.card(hand[0]).text["nl"]
    assert bram.ok("cards:draw")["card"]
    with db.session() as orm:
        assert orm.scalar(select(Session.deck))["cards"][0]["id"] == shipped.cards[0].id


@pytest.mark.parametrize(
    "row",
    [
        {"name": "AYLA", "name_key": "ayla"},  # Ayla is in the session already
        {"name": "Xander", "name_key": "xander", "role": "case_bringer"},  # so is a case bringer
    ],
)
def test_the_database_itself_keeps_names_and_the_case_bringer_unique(group, row):
    group.start()
    with db.session() as orm:
        session_id = orm.scalar(select(Session.id))
        orm.add(Participant(id="x" * 32, session_id=session_id, token_hash="t" * 64, joined_at=0, **row))
        with pytest.raises(IntegrityError):
            orm.commit()


# --- 8 and 15 over HTTP: every JSON body is answered, none reaches a handler unreadable -----


@pytest.mark.parametrize(
    "body",
    [
        '{"token": "\\ud83d' + "x" * 30 + '"}',
        '{"method_id": "vijf-fasen", "name": "Fien", "follow_up": {"code": "\\ud83d"}}',
        '{"method_id": "vijf-fasen", "name": "Fien", "follow_up": {"code": "ABCDEF", "token": "'
        + "\\udc00" * 20
        + '"}}',
        '{"title": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"title": ' + "[" * 40 + "]" * 40 + "}",
        '{"unfinished": ',
    ],
)
def test_an_unreadable_json_body_is_a_bad_request_on_every_endpoint(client, group, body):
    for method, path in [
        ("post", "/api/sessions"),
        ("post", f"/api/sessions/{group.code}/record.md"),
        ("post", f"/api/sessions/{group.code}/record.pdf"),
        ("post", f"/api/sessions/{group.code}/record.json"),
        ("post", f"/api/sessions/{group.code}/attendance.csv"),
        ("post", f"/api/sessions/{group.code}/record/case"),
        ("post", f"/api/sessions/{group.code}/delete"),
        ("delete", f"/api/sessions/{group.code}"),
    ]:
        answer = getattr(client, method)(path, data=body, content_type="application/json")
        assert answer.status_code == 400, (path, answer.status_code)
        assert answer.get_json()["error"] == "bad_request" and answer.get_json()["message"]


def test_a_facilitators_double_click_gives_one_card(card_round):
    group = card_round
    f = group.facilitator
    lou = group.participants[0]
    before = len(lou.reconnect()["snapshot"]["hand"])
    control = f.current_control()
    assert f.ok("cards:draw", participant_id=lou.id, control=control)
    assert f.emit("cards:draw", participant_id=lou.id, control=control)["error"] == "stale"
    assert len(lou.reconnect()["snapshot"]["hand"]) == before + 1
    assert group.participants[1].ok("cards:draw")["card"]  # a player's own draw needs no control


# --- 14: a whole snapshot is built only so often, and a session holds only so much ----------


def test_one_connection_enters_only_a_few_times_a_minute(app, group):
    p = group.participants[0]
    answers = [p.emit("session:resume", token=p.token) for _ in range(15)]
    assert [a["ok"] for a in answers[:11]] == [True] * 11  # Person joined once already: 12 a minute
    assert answers[-1]["error"] == "rate_limited"
    assert Person(app, "X").ok("session:resume", token=p.token)  # a new connection has its own budget


def test_a_session_holds_at_most_so_many_contributions(app, group):
    app.config["MAX_CONTRIBUTIONS_PER_SESSION"] = 3
    group.start()
    group.go(2)
    for person in group.participants[:3]:
        person.ok("contribution:add", client_id=uuid.uuid4().hex, kind="question", text="Wat wil je?")
    full = group.participants[0].emit(
        "contribution:add", client_id=uuid.uuid4().hex, kind="question", text="En?"
    )
    assert full["error"] == "session_full" and "3" in full["message"]
    assert len(stored_texts()) == 3


def test_one_record_file_of_a_session_is_written_at_a_time(client, group, monkeypatch):
    from intervisie import records

    path = f"/api/sessions/{group.code}/record.pdf"
    auth = {"Authorization": f"Bearer {group.facilitator.token}"}
    during = []
    real = records.run_off_loop

    def slow_build(write, record):  # a second download arrives while the first is being written
        during.append(client.get(path, headers=auth))
        return real(write, record)

    monkeypatch.setattr(records, "run_off_loop", slow_build)
    assert client.get(path, headers=auth).status_code == 200
    assert during[0].status_code == 503 and during[0].get_json()["error"] == "busy"
    monkeypatch.setattr(records, "run_off_loop", real)
    assert client.get(path, headers=auth).status_code == 200  # and after it, the next one goes ahead


def test_a_method_file_changed_or_removed_under_a_session_changes_nothing_for_it(app, client, group):
    group.start()
    group.go(2)
    group.participants[0].ok("contribution:add", client_id=uuid.uuid4().hex, kind="question", text="Wat?")
    installed = app.extensions["intervisie_methods"]
    shipped = installed.pop("vijf-fasen")  # removed from the server, or replaced by a shorter one
    try:
        snapshot = group.participants[1].reconnect()["snapshot"]
        assert [s["id"] for s in snapshot["method"]["steps"]] == [s.id for s in shipped.steps]
        group.facilitator.ok("step:go", to="next", confirm=True)
        record = client.get(
            f"/api/sessions/{group.code}/record.md",
            headers={"Authorization": f"Bearer {group.facilitator.token}"},
        )
        assert record.status_code == 200 and "Wat?" in record.get_data(as_text=True)
    finally:
        installed["vijf-fasen"] = shipped


def test_one_address_creates_only_so_many_sessions_a_minute(app, client):
    app.config["CREATIONS_PER_ADDRESS_PER_MINUTE"] = 2
    from intervisie import limits

    limits.init_app(app)
    body = {"method_id": "vijf-fasen", "name": "Fien"}
    assert [client.post("/api/sessions", json=body).status_code for _ in range(3)] == [201, 201, 429]
    refused = client.post("/api/sessions", json=body)
    assert refused.get_json()["error"] == "rate_limited" and refused.headers["Retry-After"] == "60"
