"""The privacy guard: what it flags, what it leaves alone, and that no input makes it crash."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intervisie import privacy


@pytest.fixture(scope="module", autouse=True)
def guard():
    privacy.load()  # seconds once deduce's tables are built (./dev builds them)
    assert privacy.ready()


def flagged(text, lang="nl", known=()):
    """(the flagged text, its kind, the suggested replacement) per finding."""
    return [
        (text[f["start"] : f["end"]], f["kind"], f["replacement"])
        for f in privacy.findings(text, lang, known)
    ]


def test_dutch_personal_data_of_each_kind():
    text = (
        "Mevrouw Jansen (geb. 12-03-1945) woont op de Kerkstraat 12, tel 06-12345678, "
        "mail j.jansen@zorgmail.nl, BSN 111222333, cliëntnummer 4711."
    )
    assert [kind for _, kind, _ in flagged(text)] == [
        "name",
        "date",
        "address",
        "phone",
        "email",
        "bsn",
        "client_number",
    ]
    assert flagged(text)[0] == ("Mevrouw Jansen", "name", "cliënt A")
    assert flagged(text)[1][2] == "[datum]"


def test_a_bsn_must_pass_the_eleven_check():
    assert [kind for _, kind, _ in flagged("Zijn BSN is 111222333.")] == ["bsn"]
    assert [kind for _, kind, _ in flagged("Zijn BSN is 111222334.")] != ["bsn"]


def test_no_personal_data_no_findings():
    for text in (
        "Ik merk dat ik moe word van de overdracht op vrijdagmiddag.",
        "Wat maakt het voor jou zo lastig om nee te zeggen tegen je team?",
        "Hoe reageerde de moeder toen je het vertelde?",
        "",
        "   ",
    ):
        assert flagged(text) == [], text


def test_the_same_name_gets_the_same_letter_and_a_colleague_is_a_colleague():
    found = flagged("Mijn collega Kees de Vries sprak met Anna. Later belde Anna terug.")
    assert [replacement for _, _, replacement in found] == ["collega A", "cliënt B", "cliënt B"]


def test_names_of_people_in_the_session_are_never_flagged():
    text = "Kees vroeg het aan Anna Bakker en daarna aan Fatima."
    assert [name for name, _, _ in flagged(text, known=["Kees", "Fatima El Amrani"])] == ["Anna Bakker"]
    assert flagged(text, known=["kees", "anna bakker", "fatima"]) == []


def test_english_personal_data():
    text = (
        "Mrs Smith, born May 4, 1950, lives at 12 High Street, phone +44 20 7946 0958, "
        "email sarah.smith@example.com, client number 4711."
    )
    assert [kind for _, kind, _ in flagged(text, "en")] == [
        "name",
        "date",
        "address",
        "phone",
        "email",
        "client_number",
    ]
    assert flagged(text, "en")[0][2] == "client A"


def test_english_words_that_start_a_sentence_are_not_names():
    found = flagged("My colleague Tom said Sarah was upset. Can I ask why?", "en", known=["Tom"])
    assert found == [("Sarah", "name", "client A")]


def test_the_worker_process_answers_as_the_guard_does():
    """The server asks a process of its own (``start_loading``): one JSON line in, one out."""
    text = "Kees belde mevrouw Jansen op 06-12345678 over haar zoon Daan."
    worker = subprocess.Popen(
        [sys.executable, "-m", "intervisie.privacy"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert worker.stdout.readline() == b"ready\n"
        worker.stdin.write(json.dumps([text, "nl", ["Kees"]]).encode() + b"\n")
        worker.stdin.flush()
        assert json.loads(worker.stdout.readline()) == privacy.findings(text, "nl", ["Kees"])
    finally:
        worker.stdin.close()
        worker.stdout.close()
        assert worker.wait(timeout=60) == 0


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(max_size=300),
    lang=st.one_of(st.sampled_from(["nl", "en"]), st.text(max_size=5), st.none()),
    known=st.lists(st.one_of(st.text(max_size=20), st.integers(), st.none()), max_size=4),
)
def test_never_crashes_and_findings_are_well_formed(text, lang, known):
    found = privacy.findings(text, lang, known)
    end = 0
    for finding in found:
        assert set(finding) == {"start", "end", "kind", "replacement"}
        assert end <= finding["start"] < finding["end"] <= len(text)
        assert finding["kind"] in privacy.KINDS
        assert finding["replacement"]
        end = finding["end"]


@given(st.one_of(st.none(), st.integers(), st.lists(st.text()), st.binary()))
def test_anything_but_text_finds_nothing(value):
    assert privacy.findings(value, "nl") == []
