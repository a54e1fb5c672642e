"""The question coach: its reading of questions, its measured quality, and writing:check over Socket.IO."""

import csv
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from intervisie import coach, export, limits, privacy
from intervisie.db import db
from intervisie.i18n import catalogue
from intervisie.models import Session
from tests.conftest import Group, Person
from tests.test_export import VALIDATOR

DATA = Path(__file__).resolve().parent / "data"


def labelled(lang: str, split: str) -> list[dict]:
    with (DATA / f"questions_{lang}.tsv").open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["split"] == split]


def spans(text: str, verdict: coach.Verdict) -> list[str]:
    return [text[start:end].lower() for start, end in verdict.words]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Wat maakt dit lastig voor je?", "open"),
        ("hoe reageerde je team daarop", "open"),
        ("kun je iets meer vertellen over die avond", "open"),
        ("je zei net dat je moe bent, wat maakt je zo moe", "open"),
        ("was je boos", "closed"),
        ("Klopt het dat de arts niet bereikbaar was?", "closed"),
        ("ik vraag me af of de ouders het weten", "closed"),
        ("heb je al eens overwogen om met je leidinggevende te praten", "advice"),
        ("zou het niet beter zijn om de ouders te bellen", "advice"),
        ("misschien kun je het in het teamoverleg inbrengen", "advice"),
        ("waarom ga je niet gewoon naar de directeur", "advice"),
        ("wat als je eens een vaste overdrachtstijd afspreekt", "advice"),
        ("How did the team react?", "open"),
        ("were you angry", "closed"),
        ("Have you considered asking HR?", "advice"),
        ("why don't you just tell her", "advice"),
    ],
)
def test_labels_the_slips_facilitators_correct(text, label):
    assert coach.check(text).label == label


def test_names_the_words_that_made_it_advice_or_closed():
    text = "Heb je al eens overwogen om met je leidinggevende te praten?"
    verdict = coach.check(text)
    assert any("heb je al eens overwogen" in s or "al eens" in s for s in spans(text, verdict))
    assert spans("Was je boos?", coach.check("Was je boos?")) == ["was je"]
    assert coach.check("Wat deed je toen?").words == ()


def test_suggests_an_open_question_in_the_language_of_the_text():
    dutch = coach.check("heb je al met HR gesproken", hint="en")
    english = coach.check("have you spoken to HR yet", hint="nl")
    assert (dutch.language, english.language) == ("nl", "en")
    assert dutch.suggestion == english.suggestion == "coach.suggest.tried"
    assert coach.check("was je boos").suggestion == "coach.suggest.feel"
    assert coach.check("Wat deed je toen?").suggestion is None
    for lang in ("nl", "en"):
        keys = {k for k in catalogue(lang) if k.startswith("coach.suggest.")}
        assert keys == {
            "coach.suggest.tried",
            "coach.suggest.hard",
            "coach.suggest.see",
            "coach.suggest.feel",
            "coach.suggest.more",
        }
        for key in keys:
            assert coach.check(catalogue(lang)[key], lang).label == "open", (lang, key)


def test_soft_hints_do_not_change_the_label():
    stacked = coach.check("Wat deed je toen, en hoe reageerde je collega?")
    assert (stacked.label, stacked.hints) == ("open", ("stacked",))
    blame = coach.check("waarom deed je dat")
    assert (blame.label, blame.hints) == ("open", ("why_blame",))
    assert "why_blame" not in coach.check("waarom is dit belangrijk voor je").hints
    assert "about_self" in coach.check("wil je weten hoe ik dat bij mijn team heb opgelost").hints
    assert "about_self" not in coach.check("ik ben benieuwd hoe je dat hebt voorbereid").hints
    assert coach.check("ben je boos, of vooral teleurgesteld?").hints == ()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_held_out_precision_and_recall_reach_nine_tenths_per_label(lang):
    rows = labelled(lang, "heldout")
    guessed = [coach.check(r["text"], lang).label for r in rows]
    for label in coach.LABELS:
        true = sum(g == r["label"] == label for g, r in zip(guessed, rows, strict=True))
        precision = true / max(1, sum(g == label for g in guessed))
        recall = true / max(1, sum(r["label"] == label for r in rows))
        assert precision >= 0.9 and recall >= 0.9, (lang, label, precision, recall)


def test_the_sets_are_as_large_as_promised_and_keep_a_held_out_part():
    for lang, least in (("nl", 500), ("en", 200)):
        dev, heldout = labelled(lang, "dev"), labelled(lang, "heldout")
        assert len(dev) + len(heldout) >= least
        assert 0.2 <= len(heldout) / (len(dev) + len(heldout)) <= 0.4
        assert {r["label"] for r in heldout} == set(coach.LABELS)


def test_fast_enough_to_run_while_typing():
    texts = [r["text"] for r in labelled("nl", "dev")[:200]]
    for text in texts:
        coach.check(text)  # simplemma's tables load once
    start = time.perf_counter()
    for text in texts:
        coach.check(text)
    assert (time.perf_counter() - start) / len(texts) < 0.005


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["nl", "en", "xx"]))
def test_never_crashes_on_any_text(text, hint):
    verdict = coach.check(text, hint)
    assert verdict.label in coach.LABELS and verdict.language in ("nl", "en")
    assert set(verdict.hints) <= set(coach.HINTS)
    for start, end in verdict.words:
        assert 0 <= start < end <= len(text)


@pytest.mark.parametrize("value", [None, 3, ["wat"], {"text": "x"}])
def test_anything_but_text_reads_as_nothing_to_say(value):
    assert coach.check(value).label == "open"


# --- writing:check over Socket.IO ---------------------------------------------------------


def test_writing_check_answers_the_author_alone_with_the_coach(group):
    group.start()
    group.go(2)
    author, other = group.participants[0], group.participants[1]
    text = "heb je al eens overwogen om met je teamleider te praten"
    ack = author.ok("writing:check", text=text, kind="question")
    assert ack["coach"]["label"] == "advice"
    assert ack["coach"]["suggestion"] == "Wat heb je zelf al geprobeerd?"
    assert any("al eens" in text[a:b] for a, b in ack["coach"]["words"])
    assert ack["privacy"] == []
    assert author.ok("writing:check", text="Was it busy?", kind="question")["coach"]["suggestion"] == (
        "What more can you tell us about that?"
    )
    assert author.ok("writing:check", text="Vanuit de collega gezien", kind="perspective")["coach"] is None
    assert not other.received("contribution:new") and not group.facilitator.received("contribution:new")


def test_writing_check_offsets_count_as_the_browser_counts(group):
    group.start()
    ack = group.participants[0].ok("writing:check", text="😀😀 was je boos", kind="question")
    assert ack["coach"]["words"] == [[5, 11]]  # two emoji are four UTF-16 code units


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"text": 3, "kind": "question"}, "bad_request"),
        ({"text": "wat", "kind": ""}, "bad_request"),
        ({"text": "wat"}, "bad_request"),
        ({"text": "x" * 2001, "kind": "question"}, "too_long"),
        ({"text": "\ud800", "kind": "question"}, "bad_request"),
    ],
)
def test_writing_check_refuses_what_is_not_a_text_being_written(group, payload, error):
    ack = group.participants[0].emit("writing:check", payload)
    assert (ack["ok"], ack["error"]) == (False, error)
    assert ack["message"]


def test_writing_check_needs_a_person_in_a_session(app, client):
    stranger = Person(app, "Zoë")
    ack = stranger.emit("writing:check", text="was je boos", kind="question")
    assert ack["error"] == "not_joined"


def test_writing_check_is_limited_per_connection(app, client):
    limits.of(app).checks = limits.TokenBuckets(
        3 / 60, 3
    )  # as WRITING_CHECKS_PER_CONNECTION_PER_MINUTE=3 sets it
    group = Group(app, client, participants=1)
    person = group.participants[0]
    answers = [person.emit("writing:check", text="was je boos", kind="question") for _ in range(4)]
    assert [a["ok"] for a in answers] == [True, True, True, False]
    assert answers[-1]["error"] == "rate_limited"
    assert "error" not in group.facilitator.emit("writing:check", text="was je boos", kind="question")


def test_writing_check_includes_the_privacy_guard_but_never_names_in_the_session(group):
    privacy.load()
    group.start()
    text = "ik sprak mevrouw Jansen en Ayla op 12 maart 2024 over haar dochter"
    ack = group.participants[0].ok("writing:check", text=text, kind="perspective")
    found = {text[f["start"] : f["end"]]: f for f in ack["privacy"]}
    assert any("Jansen" in span for span in found), found
    assert not any("Ayla" in span for span in found)  # the case bringer is in the session
    assert all(f["replacement"] for f in ack["privacy"])


def test_the_record_counts_the_open_questions_of_a_step_never_per_person(app, group):
    group.start()
    group.go(2)
    for person, text in zip(
        group.participants,
        ["Wat maakt dit lastig voor je?", "Was je boos?", "Heb je al eens met HR gesproken?"],
        strict=False,
    ):
        assert person.add("question", text)["ok"]
    with app.app_context(), db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == group.code))
        record = export.build_record(orm, session, lang="nl", names=True)
    VALIDATOR.validate(record)
    steps = {s["id"]: s for s in record["steps"]}
    assert steps["vragen"]["open_questions"] == {"open": 1, "asked": 3}
    assert "open_questions" not in steps["check-in"]
    assert "1 van 3 vragen open" in export.to_markdown(record).decode()
    assert "flag" not in str(steps["vragen"]["contributions"])
