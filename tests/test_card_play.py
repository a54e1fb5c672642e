"""Question cards through the live protocol: a manager session with the coachkwadrant deck.

Dealing on entering the card step, private hands, playing a card as a
question, the case bringer's 'helped' marks in the quadrant balance, the
facilitator's focus, reshuffle, draw and deal, and every refusal changing
nothing.
"""

import dataclasses
import json
import uuid

from sqlalchemy import select

from intervisie.cli import main as cli
from intervisie.db import db
from intervisie.models import Contribution, Session
from tests.conftest import Group, Person

METHOD = "manager-coachkwadrant"
CARD_STEP = 3  # kaartrondes
QUADRANTS = ["verhelderen", "verdiepen", "confronteren", "verbreden"]


def payloads(person, event):
    return [m["args"][0] for m in person.received(event)]


def inbox(person) -> dict[str, list]:
    """Everything this person received since the last look, by event name."""
    found: dict[str, list] = {}
    for message in person.received():
        found.setdefault(message["name"], []).append(message["args"][0])
    return found


def stored():
    """The session's card state and contributions as the database holds them."""
    with db.session() as orm:
        session = orm.scalar(select(Session))
        contributions = orm.scalars(select(Contribution).order_by(Contribution.created_at)).all()
        return session.cards, [(c.kind, c.text, c.details) for c in contributions]


def play(person, card_id, **extra):
    return person.emit("card:play", client_id=uuid.uuid4().hex, card_id=card_id, **extra)


def hand_of(person):
    return person.reconnect()["snapshot"]["hand"]


def without_deck(snapshot):
    return {k: v for k, v in snapshot.items() if k != "deck"}


def quadrant_of(snapshot, card_id):
    return next(c["quadrant"] for c in snapshot["deck"]["cards"] if c["id"] == card_id)


def test_snapshot_carries_the_deck_in_both_languages_and_no_hand_before_dealing(app, client):
    group = Group(app, client, participants=3, method_id=METHOD)
    snapshot = group.facilitator.snapshot
    deck = snapshot["deck"]
    assert deck["id"] == "coachkwadrant" and set(deck["names"]) == {"nl", "en"}
    assert [q["id"] for q in deck["quadrants"]] == QUADRANTS
    assert {(q["column"], q["row"]) for q in deck["quadrants"]} == {(0, 0), (1, 0), (0, 1), (1, 1)}
    assert all(q["colour"].startswith("#") and set(q["names"]) == {"nl", "en"} for q in deck["quadrants"])
    assert len(deck["cards"]) == 53 and set(deck["cards"][0]["text"]) == {"nl", "en"}
    assert [a["id"] for a in deck["axes"]] == ["focus", "houding"]
    assert snapshot["hand"] == []
    cards = snapshot["cards"]
    assert cards["deck_id"] == "coachkwadrant" and cards["pile"] == 53 and cards["hands"] == {}
    assert cards["focus"] is None and cards["played"] == []
    assert cards["balance"] == {"group": {q: {"asked": 0, "helped": 0} for q in QUADRANTS}, "people": {}}
    assert "hand" not in cards
    # The card step's rule says how many cards it deals, so a client knows when a player may draw.
    rules = snapshot["method"]["steps"][CARD_STEP]["rules"]
    assert {"type": "cards", "kind": "question", "hand": 3} in rules
    # A method without a deck: nothing about cards.
    plain = Group(app, client, participants=1).facilitator.snapshot
    assert plain["cards"] is None and plain["deck"] is None and plain["hand"] == []


def test_entering_the_card_step_deals_private_hands_to_everyone_but_the_case_bringer(managers):
    f, cb, ps = managers.facilitator, managers.case_bringer, managers.participants
    players = [f, *ps]
    state = managers.go(CARD_STEP)
    assert state["cards"]["hands"] == {p.id: 3 for p in players}
    assert state["cards"]["pile"] == 53 - 12
    received = {person.id: inbox(person) for person in managers.everyone}
    hands = {}
    for person in players:
        (personal,) = received[person.id]["cards:hand"]
        assert len(personal["hand"]) == 3 and personal["hands"] == state["cards"]["hands"]
        hands[person.id] = personal["hand"]
    assert "cards:hand" not in received[cb.id]
    assert len({card for hand in hands.values() for card in hand}) == 12  # nobody shares a card
    # Nobody sees another's cards: not in the broadcasts, not in their snapshot (apart from the deck itself).
    for person in managers.everyone:
        seen = json.dumps({name: data for name, data in received[person.id].items() if name != "cards:hand"})
        assert received[person.id]["session:state"]
        snapshot = person.reconnect()["snapshot"]
        assert snapshot["hand"] == hands.get(person.id, [])
        seen += json.dumps(without_deck(snapshot))
        for other, hand in hands.items():
            if other != person.id:
                assert not any(card in seen for card in hand), (person.name, other)
    assert cb.reconnect()["snapshot"]["hand"] == []


def test_playing_a_card_asks_its_question_and_tops_the_hand_up(card_round):
    f, cb, ps = card_round.facilitator, card_round.case_bringer, card_round.participants
    bram, chen, daan = ps
    card_round.drain()
    before = hand_of(bram)
    card_round.drain()
    ack = play(bram, before[0])
    assert ack["ok"], ack
    question = ack["contribution"]
    assert question["kind"] == "question" and question["author_id"] == bram.id
    snapshot = f.snapshot
    card = next(c for c in snapshot["deck"]["cards"] if c["id"] == before[0])
    assert question["text"] == card["text"]["nl"]
    assert question["details"] == {"card": before[0], "quadrant": card["quadrant"]}
    assert before[0] not in ack["cards"]["hand"] and len(ack["cards"]["hand"]) == 3
    assert ack["cards"]["hand"][:2] == before[1:]
    for person in card_round.everyone:
        received = inbox(person)
        (new,) = received["contribution:new"]
        assert new["details"]["card"] == before[0] and new["text"] == card["text"]["nl"]
        states = received["session:state"]
        assert states[-1]["cards"]["played"] == [
            {"card": before[0], "quadrant": card["quadrant"], "by": bram.id, "contribution": question["id"]}
        ]
        assert states[-1]["cards"]["hands"][bram.id] == 3
        assert received.get("cards:hand", []) == ([ack["cards"]] if person is bram else [])
    assert hand_of(bram) == ack["cards"]["hand"]

    # Their own words for the card's question; and the card text in the player's own language.
    own = play(chen, hand_of(chen)[1], text="  Wat zou je medewerker hierover zeggen?  ")
    assert own["contribution"]["text"] == "Wat zou je medewerker hierover zeggen?"
    daan.ok("language:set", lang="en")
    card_id = hand_of(daan)[0]
    english = play(daan, card_id)
    assert english["contribution"]["text"] == next(
        c["text"]["en"] for c in snapshot["deck"]["cards"] if c["id"] == card_id
    )
    # The facilitator plays too (the method lets facilitators ask questions).
    assert play(f, hand_of(f)[2])["ok"]
    contributions = stored()[1]
    assert len(contributions) == 4 and all(kind == "question" for kind, _, _ in contributions)
    assert cb.reconnect()["snapshot"]["cards"]["hands"] == {p.id: 3 for p in (f, *ps)}


def test_a_resent_play_is_stored_once(card_round):
    bram = card_round.participants[0]
    card_id = hand_of(bram)[0]
    client_id = uuid.uuid4().hex
    first = bram.emit("card:play", client_id=client_id, card_id=card_id)
    hand = first["cards"]["hand"]
    again = bram.emit("card:play", client_id=client_id, card_id=card_id)
    assert again["ok"] and again["duplicate"] and again["contribution"]["id"] == first["contribution"]["id"]
    assert again["cards"]["hand"] == hand
    cards, contributions = stored()
    assert len(contributions) == 1 and len(cards["played"]) == 1


def test_helped_marks_and_the_quadrant_balance_per_person_and_for_the_group(card_round):
    f, cb, ps = card_round.facilitator, card_round.case_bringer, card_round.participants
    bram, chen, _daan = ps
    deck = f.snapshot["deck"]
    asked = []
    for person, rounds in ((bram, 3), (chen, 2), (f, 1)):
        for _ in range(rounds):
            card_id = hand_of(person)[0]
            ack = play(person, card_id)
            assert ack["ok"], ack
            asked.append((person.id, quadrant_of(f.snapshot, card_id), ack["contribution"]["id"]))
    helped = [asked[0], asked[3]]  # one of Bram's questions, one of Chen's
    card_round.drain()
    for _pid, _quadrant, contribution_id in helped:
        assert cb.ok("contribution:mark", id=contribution_id, value="helped")["contribution"]["marks"] == [
            {"by": cb.id, "value": "helped"}
        ]
    # Only the case bringer marks 'helped' here.
    assert bram.emit("contribution:mark", id=asked[4][2], value="helped")["error"] == "forbidden_role"

    def expected(rows):
        counts = {q["id"]: {"asked": 0, "helped": 0} for q in deck["quadrants"]}
        for row in rows:
            counts[row[1]]["asked"] += 1
            counts[row[1]]["helped"] += int(row in helped)
        return counts

    states = payloads(f, "session:state")
    assert len(states) == 2  # each mark on a played card moves the balance
    balance = states[-1]["cards"]["balance"]
    assert balance["group"] == expected(asked)
    for person in (bram, chen, f):
        assert balance["people"][person.id] == expected([row for row in asked if row[0] == person.id])
    assert ps[2].id not in balance["people"] and cb.id not in balance["people"]
    assert sum(c["asked"] for c in balance["group"].values()) == 6
    assert sum(c["helped"] for c in balance["group"].values()) == 2
    # Taking a mark back takes it out of the balance; the shared screen sees the same balance.
    cb.ok("contribution:mark", id=helped[0][2], value="helped", on=False)
    screen = Person(card_round.facilitator.app, "Scherm")
    watched = screen.ok("session:watch", code=card_round.code, key=card_round.created["screen_key"])
    assert sum(c["helped"] for c in watched["snapshot"]["cards"]["balance"]["group"].values()) == 1
    assert watched["snapshot"]["hand"] == [] and watched["snapshot"]["deck"]["id"] == "coachkwadrant"


def test_focus_reshuffle_draw_and_deal(app, card_round):
    f, cb, ps = card_round.facilitator, card_round.case_bringer, card_round.participants
    bram, chen, daan = ps
    players = [f, *ps]
    deck = f.snapshot["deck"]
    in_quadrant = {c["id"]: c["quadrant"] for c in deck["cards"]}
    played = play(bram, hand_of(bram)[0])["contribution"]["details"]["card"]
    card_round.drain()

    # A round on one quadrant: new hands from it only; what was played stays played.
    ack = f.ok("cards:focus", quadrant="confronteren")
    assert ack["state"]["cards"]["focus"] == "confronteren"
    assert ack["state"]["cards"]["hands"] == {p.id: 3 for p in players}
    assert ack["state"]["cards"]["played"][0]["card"] == played
    assert {in_quadrant[c] for c in ack["cards"]["hand"]} == {"confronteren"}
    for person in players:
        (personal,) = payloads(person, "cards:hand")
        assert {in_quadrant[c] for c in personal["hand"]} == {"confronteren"}
    assert payloads(cb, "cards:hand") == []
    assert all(in_quadrant[c] == "confronteren" for c in stored()[0]["pile"])

    # Back to the whole deck, then a reshuffle: hands are dealt anew, played cards stay out of the pile.
    assert f.ok("cards:focus", quadrant=None)["state"]["cards"]["focus"] is None
    card_round.drain()
    ack = f.ok("cards:reshuffle")
    assert ack["state"]["cards"]["hands"] == {p.id: 3 for p in players}
    assert ack["state"]["cards"]["pile"] == 53 - 1 - 12
    cards = stored()[0]
    assert played not in cards["pile"] and all(played not in hand for hand in cards["hands"].values())

    # The facilitator draws a card for a player, from a quadrant: only that player learns which card.
    card_round.drain()
    ack = f.ok("cards:draw", participant_id=chen.id, quadrant="verdiepen")
    assert ack["participant_id"] == chen.id and "card" not in ack
    assert ack["state"]["cards"]["hands"][chen.id] == 4
    (personal,) = payloads(chen, "cards:hand")
    drawn = personal["hand"][-1]
    assert in_quadrant[drawn] == "verdiepen"
    assert drawn not in json.dumps([m for m in f.received() if m["name"] != "cards:hand"] + [ack])
    assert drawn not in json.dumps(ack)

    # A player may draw one card more than the step deals, for themselves only.
    own = daan.ok("cards:draw", quadrant="verbreden")
    assert own["participant_id"] == daan.id and in_quadrant[own["card"]] == "verbreden"
    assert own["card"] in own["cards"]["hand"] and len(own["cards"]["hand"]) == 4
    refused = daan.emit("cards:draw")
    assert refused["error"] == "hand_full" and "4" in refused["message"]
    assert bram.emit("cards:draw", participant_id=chen.id)["error"] == "forbidden_role"
    assert cb.emit("cards:draw")["error"] == "forbidden_role"

    # Someone who joins during the card step gets a hand at once; dealing again changes nothing.
    eva = Person(app, "Eva")
    joined = eva.ok("session:join", code=card_round.code, name="Eva")
    eva.token, eva.id = joined["token"], joined["snapshot"]["me"]["id"]
    assert len(joined["snapshot"]["hand"]) == 3
    card_round.drain()
    ack = f.ok("cards:deal")
    assert ack["state"]["cards"]["hands"][eva.id] == 3
    assert len(eva.reconnect()["snapshot"]["hand"]) == 3
    assert payloads(chen, "cards:hand") == []  # full hands stay as they are

    # Removing someone puts their cards back on the pile.
    pile = stored()[0]["pile"]
    state = f.ok("participant:remove", participant_id=eva.id)["state"]
    assert eva.id not in state["cards"]["hands"] and state["cards"]["pile"] == len(pile) + 3


def test_a_new_case_bringer_gives_their_cards_back(card_round):
    f, old, bram = card_round.facilitator, card_round.case_bringer, card_round.participants[0]
    pile = stored()[0]["pile"]
    card_round.drain()
    state = f.ok("role:assign", participant_id=bram.id, role="case_bringer")["state"]
    assert bram.id not in state["cards"]["hands"] and state["cards"]["pile"] == len(pile) + 3
    (personal,) = payloads(bram, "cards:hand")
    assert personal["hand"] == [] and bram.reconnect()["snapshot"]["hand"] == []
    assert play(bram, stored()[0]["pile"][-1])["error"] == "forbidden_role"
    # The former case bringer plays now, once the facilitator deals.
    assert f.ok("cards:deal")["state"]["cards"]["hands"][old.id] == 3


def test_draw_refusals_and_an_empty_pile(card_round):
    f, cb, ps = card_round.facilitator, card_round.case_bringer, card_round.participants
    before = stored()
    assert f.emit("cards:draw", quadrant="elders")["error"] == "no_such_quadrant"
    assert f.emit("cards:draw", participant_id=cb.id)["error"] == "not_a_player"
    assert f.emit("cards:draw", participant_id="nobody")["error"] == "unknown_participant"
    assert f.emit("cards:draw", participant_id=5)["error"] == "bad_request"
    assert f.emit("cards:draw", quadrant=["verdiepen"])["error"] == "bad_request"
    assert stored() == before
    # A round on one quadrant leaves only a few cards on the pile; draw them all.
    pile = f.ok("cards:focus", quadrant="verhelderen")["state"]["cards"]["pile"]
    assert 0 < pile < 4
    for left in reversed(range(pile)):
        assert f.ok("cards:draw")["state"]["cards"]["pile"] == left
    empty = ps[0].emit("cards:draw")
    assert empty["error"] == "pile_empty" and empty["message"]
    assert f.emit("cards:draw", participant_id=ps[1].id)["error"] == "pile_empty"


def test_refusals_change_nothing(app, client, managers):
    f, cb, ps = managers.facilitator, managers.case_bringer, managers.participants
    bram, chen = ps[0], ps[1]
    # Not the card step yet.
    assert play(bram, "verhelderen-01")["error"] == "wrong_step"
    assert f.emit("cards:deal")["error"] == "wrong_step"
    managers.go(CARD_STEP)
    before = stored()
    bram_hand, chen_hand = hand_of(bram), hand_of(chen)
    refusals = [
        (bram, "card:play", {"client_id": uuid.uuid4().hex, "card_id": chen_hand[0]}, "card_not_in_hand"),
        (bram, "card:play", {"client_id": uuid.uuid4().hex, "card_id": "nope-99"}, "card_not_in_hand"),
        (cb, "card:play", {"client_id": uuid.uuid4().hex, "card_id": bram_hand[0]}, "forbidden_role"),
        (bram, "card:play", {"client_id": uuid.uuid4().hex}, "bad_request"),
        (bram, "card:play", {"client_id": uuid.uuid4().hex, "card_id": 7}, "bad_request"),
        (bram, "card:play", {"client_id": "short", "card_id": bram_hand[0]}, "bad_request"),
        (bram, "card:play", {"card_id": bram_hand[0]}, "bad_request"),
        (
            bram,
            "card:play",
            {"client_id": uuid.uuid4().hex, "card_id": bram_hand[0], "text": 3},
            "bad_request",
        ),
        (bram, "card:play", {"client_id": uuid.uuid4().hex, "card_id": bram_hand[0], "text": " "}, "empty"),
        (
            bram,
            "card:play",
            {"client_id": uuid.uuid4().hex, "card_id": bram_hand[0], "text": "x" * 2001},
            "too_long",
        ),
        (bram, "cards:deal", {}, "forbidden_role"),
        (bram, "cards:reshuffle", {}, "forbidden_role"),
        (cb, "cards:focus", {"quadrant": None}, "forbidden_role"),
        (f, "cards:focus", {}, "bad_request"),
        (f, "cards:focus", {"quadrant": 3}, "bad_request"),
        (f, "cards:focus", {"quadrant": "elders"}, "no_such_quadrant"),
    ]
    for person, event, payload, code in refusals:
        ack = person.emit(event, payload)
        assert ack["ok"] is False and ack["error"] == code and ack["message"], (event, payload, ack)
    for payload in (None, "card", [1, 2]):
        assert bram.io.emit("card:play", payload, callback=True)["error"] == "bad_request"
    assert stored() == before
    assert hand_of(bram) == bram_hand

    # During a turn-order round only the current speaker may play.
    round_state = f.ok("turn:next")["state"]
    assert round_state["turn"]["order"] == [f.id, *[p.id for p in ps]]
    assert play(bram, bram_hand[0])["error"] == "not_your_turn"
    assert stored() == before
    assert play(f, hand_of(f)[0])["ok"]

    # Past the card step, and after the end, nothing is played.
    managers.go(CARD_STEP + 1)
    assert play(bram, bram_hand[0])["error"] == "wrong_step"
    f.ok("session:end")
    assert play(bram, bram_hand[0])["error"] == "session_ended"
    assert f.emit("cards:reshuffle")["error"] == "session_ended"
    assert len(stored()[1]) == 1

    # A session whose method has no deck refuses every card action.
    plain = Group(app, client, participants=2)
    plain.start()
    assert (
        plain.participants[0].emit("card:play", client_id=uuid.uuid4().hex, card_id="x")["error"] == "no_deck"
    )
    assert plain.facilitator.emit("cards:deal")["error"] == "no_deck"
    lang = plain.participants[0].emit("cards:draw", lang="en")
    assert lang["message"] == "This session does not use cards."


def test_choosing_another_installed_deck_per_session(app, client):
    decks = app.extensions["intervisie_decks"]
    shipped = decks["coachkwadrant"]
    decks["eigen"] = dataclasses.replace(shipped, id="eigen", names={"nl": "Eigen set", "en": "Own set"})
    created = client.post("/api/sessions", json={"method_id": METHOD, "name": "Fien", "deck_id": "eigen"})
    assert created.status_code == 201
    person = Person(app, "Fien")
    snapshot = person.ok("session:resume", token=created.get_json()["token"])["snapshot"]
    assert snapshot["deck"]["id"] == "eigen" and snapshot["deck"]["names"]["en"] == "Own set"
    assert snapshot["cards"]["deck_id"] == "eigen" and snapshot["cards"]["pile"] == len(shipped.cards)
    with db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == created.get_json()["code"]))
        assert session.deck_id == "eigen" and sorted(session.cards["pile"]) == sorted(
            c.id for c in shipped.cards
        )

    default = client.post("/api/sessions", json={"method_id": METHOD, "name": "Fien"}).get_json()
    assert Person(app, "F").ok("session:resume", token=default["token"])["snapshot"]["deck"]["id"] == (
        "coachkwadrant"
    )
    for payload, code in [
        ({"method_id": METHOD, "deck_id": "onbekend"}, "unknown_deck"),
        ({"method_id": METHOD, "deck_id": 5}, "unknown_deck"),
        ({"method_id": "vijf-fasen", "deck_id": "coachkwadrant"}, "no_deck"),
    ]:
        answer = client.post("/api/sessions", json={"name": "Fien", **payload})
        assert answer.status_code == 400 and answer.get_json()["error"] == code


def test_cli_check_lists_the_decks(capsys):
    assert cli(["methods", "check"]) == 0
    out = capsys.readouterr().out
    assert "ok: manager-coachkwadrant.yaml" in out
    assert "ok: decks/coachkwadrant.yaml: coachkwadrant (4 quadrants, 53 cards)" in out
