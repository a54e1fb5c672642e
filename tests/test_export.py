"""The session record: one full session through the protocol, exported as Markdown, PDF and JSON."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from intervisie import export
from intervisie.db import db
from intervisie.models import Contribution, Mark, Session

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "docs" / "record-schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
NAMES = ("Fien", "Ayla", "Bram", "Chen", "Daan", "Eva")

CASE = "Een collega reageert geïrriteerd als ik om hulp vraag. Het budget van € 250 is op."
HIDDEN = "Mevrouw Jansen van afdeling 3 is het probleem"
QUESTION = "Wat gebeurde er vlak voordat ze geïrriteerd raakte?"
ANSWER = "Ze had net een lastig overleg gehad."
PERSPECTIVE = "Vanuit de collega: ze voelt zich overvraagd."
CAUSE = "De taakverdeling is niet uitgesproken."
SOLUTION = "Plan een kort één-op-één gesprek over de taakverdeling."
OTHER_SOLUTION = "Vraag je teamleider om de taken opnieuw te verdelen."
TAKEAWAY = "Eerst vragen, dan pas vinden."
ACTION = "Gesprek plannen met de collega"
DETAILS = {"who": "ik", "when": "vóór vrijdag", "measure": "we hebben samen afspraken gemaakt"}
LEARNED = "Doorvragen levert meer op dan ik dacht."
EVALUATION = "Fijne sessie; de naïeve vragen hielpen het meest."


def added(person, kind: str, text: str, **extra) -> str:
    ack = person.add(kind, text, **extra)
    assert ack["ok"], ack
    return ack["contribution"]["id"]


def play_session(group, *, end: bool = True) -> dict:
    """A whole five-phase session: every step used, one question hidden, marks by the case bringer."""
    fac, cb = group.facilitator, group.case_bringer
    bram, chen, daan, eva = group.participants
    group.start()
    for person in group.everyone:
        added(person, "checkin", f"Goed, zin in vandaag ({person.name.lower()[:1]}).")
    group.go("next")
    added(cb, "case", CASE)
    group.go("next")
    question = added(bram, "question", QUESTION)
    hidden = added(chen, "question", HIDDEN)
    fac.ok("contribution:hide", id=hidden, hidden=True)
    cb.ok("contribution:mark", id=question, value="warm", on=True)
    added(cb, "answer", ANSWER)
    group.go("next")
    added(daan, "perspective", PERSPECTIVE)
    group.go("next")
    added(eva, "cause", CAUSE)
    group.go("next")
    solution = added(bram, "solution", SOLUTION)
    added(chen, "solution", OTHER_SOLUTION)
    cb.ok("contribution:mark", id=solution, value="appeals", on=True)
    group.go("next")
    added(cb, "takeaway", TAKEAWAY)
    added(cb, "action", ACTION, details=DETAILS)
    added(chen, "learned", LEARNED)
    group.go("next")
    added(daan, "evaluation", EVALUATION)
    if end:
        fac.ok("session:end")
    return {"question": question, "hidden": hidden, "solution": solution}


def download(client, code: str, fmt: str, token: str, **fields):
    return client.post(
        f"/api/sessions/{code}/record.{fmt}", headers={"Authorization": f"Bearer {token}"}, data=fields
    )


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    return flat("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def has_name(text: str) -> bool:
    return any(re.search(rf"\b{name}\b", text) for name in NAMES)


@pytest.fixture
def played(group):
    play_session(group)
    return group


def test_markdown_holds_the_whole_session_without_names(client, played):
    response = download(client, played.code, "md", played.facilitator.token)

    assert response.status_code == 200
    assert response.content_type == "text/markdown; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="intervisieverslag-\d{4}-\d{2}-\d{2}\.md"', disposition)
    assert response.headers["Cache-Control"] == "no-store"
    text = response.data.decode()
    assert text.startswith("# Intervisieverslag\n")
    for expected in (
        "- Methode: Online intervisie in vijf fasen",
        "- Namen: weggelaten",
        "## De casus",
        CASE,
        "### 3. Verhelderende vragen",
        "_gepland 15 min · gebruikt 0 min_",
        f"- Vraag: {QUESTION} [warm]",
        f"- Antwoord: {ANSWER}",
        f"- Perspectief: {PERSPECTIVE}",
        f"- Mogelijke oorzaak: {CAUSE}",
        f"- Oplossing: {SOLUTION} [spreekt aan]",
        f"- Oplossing: {OTHER_SOLUTION}",
        f"- Evaluatie: {EVALUATION}",
        "## Wat de inbrenger meeneemt",
        f"- {TAKEAWAY}",
        "## Acties",
        f"- {ACTION}  \n  Wie: ik  \n  Wanneer: vóór vrijdag  \n  Merkbaar aan: {DETAILS['measure']}",
        "## Wat de anderen leerden",
        f"- {LEARNED}",
    ):
        assert expected in text
    assert HIDDEN not in text
    assert not has_name(text)
    assert text.count(CASE) == 1  # the case has its own section, not a second copy in its step


def test_names_appear_only_when_chosen(client, played):
    text = download(client, played.code, "md", played.facilitator.token, names="true").data.decode()

    assert "- Namen: opgenomen" in text
    assert "_Ingebracht door Ayla_" in text
    assert f"- Vraag (Bram): {QUESTION} [warm]" in text
    assert f"- Chen: {LEARNED}" in text
    assert HIDDEN not in text


def test_json_record_follows_its_schema(client, played):
    response = download(client, played.code, "json", played.facilitator.token)

    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.headers["Content-Disposition"].endswith('.json"')
    record = json.loads(response.data)
    VALIDATOR.validate(record)
    assert record["schema_version"] == 1
    assert record["names_included"] is False
    assert "author" not in response.data.decode()
    assert HIDDEN not in response.data.decode()
    assert record["session"]["status"] == "ended"
    assert record["session"]["method"] == {"id": "vijf-fasen", "name": "Online intervisie in vijf fasen"}
    assert [s["planned_minutes"] for s in record["steps"]] == [5, 10, 15, 10, 10, 15, 10, 5]
    assert [s["actual_minutes"] for s in record["steps"]] == [0] * 8
    assert record["case"] == {"text": CASE, "edited": False}
    questions = record["steps"][2]["contributions"]
    assert questions == [
        {"kind": "question", "text": QUESTION, "marks": ["warm"]},
        {"kind": "answer", "text": ANSWER},
    ]
    assert record["takeaways"] == [{"kind": "takeaway", "text": TAKEAWAY, "source": "takeaway"}]
    assert record["actions"] == [{"kind": "action", "text": ACTION, **DETAILS}]
    assert record["learned"] == [{"kind": "learned", "text": LEARNED}]
    assert "quadrant_balance" not in record


def test_json_with_names_is_valid_too(client, played):
    record = download(client, played.code, "json", played.facilitator.token, names="1").get_json()

    VALIDATOR.validate(record)
    assert record["case"]["author"] == "Ayla"
    assert record["actions"][0]["author"] == "Ayla"
    assert record["steps"][0]["contributions"][0]["author"] == "Fien"


def test_pdf_has_the_same_content_in_an_embedded_font(client, played):
    response = download(client, played.code, "pdf", played.facilitator.token)

    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"].endswith('.pdf"')
    reader = PdfReader(io.BytesIO(response.data))
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].get_object().values()
    }
    assert all("DejaVuSans" in name for name in fonts), fonts
    text = pdf_text(response.data)
    for expected in (
        "Intervisieverslag",
        "Online intervisie in vijf fasen",
        CASE,
        f"Vraag: {QUESTION} [warm]",
        f"Oplossing: {SOLUTION} [spreekt aan]",
        ACTION,
        "Wanneer: vóór vrijdag",
        LEARNED,
        EVALUATION,
        "Pagina 1 van",
    ):
        assert flat(expected) in text, expected
    assert "Jansen" not in text
    assert not has_name(text)


def test_english_labels_for_an_english_reader(client, played):
    token = played.facilitator.token
    text = download(client, played.code, "md", token, lang="en").data.decode()
    assert text.startswith("# Intervision record\n")
    assert "- Method: Five-phase online intervision" in text
    assert "### 3. Clarifying questions" in text
    assert f"- Question: {QUESTION} [warm]" in text
    pdf = download(client, played.code, "pdf", token, lang="en")
    assert 'filename="intervision-record-' in pdf.headers["Content-Disposition"]
    assert "What the case bringer takes away" in pdf_text(pdf.data)


def test_case_bringer_records_a_shorter_case(client, played):
    url = f"/api/sessions/{played.code}/record/case"
    bearer = {"Authorization": f"Bearer {played.case_bringer.token}"}

    shown = client.get(url, headers=bearer).get_json()
    assert shown == {"ok": True, "text": CASE, "told": CASE, "edited": False}
    stored = client.post(url, headers=bearer, json={"text": "Een collega reageert geïrriteerd."})
    assert stored.get_json()["edited"] is True

    record = download(client, played.code, "json", played.facilitator.token).get_json()
    assert record["case"] == {"text": "Een collega reageert geïrriteerd.", "edited": True}
    text = download(client, played.code, "md", played.case_bringer.token).data.decode()
    assert "€ 250" not in text
    assert "De inbrenger heeft de casus voor dit verslag ingekort of aangepast." in text

    client.post(url, headers=bearer, json={"text": ""})
    assert download(client, played.code, "json", played.facilitator.token).get_json()["case"]["text"] == CASE


def test_contributions_the_case_bringer_keeps_are_takeaways(app, client, played):
    with app.app_context(), db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == played.code))
        record = export.build_record(orm, session, lang="nl")
        solution_id = orm.scalar(select(Contribution.id).where(Contribution.text == OTHER_SOLUTION))
        orm.add(
            Mark(
                contribution_id=solution_id,
                participant_id=played.case_bringer.id,
                scale="keep",
                session_id=session.id,
                value="keep",
                created_at=session.ended_at,
            )
        )
        orm.commit()
        again = export.build_record(orm, session, lang="nl")
    assert len(record["takeaways"]) == 1
    assert again["takeaways"][0] == {
        "kind": "solution",
        "text": OTHER_SOLUTION,
        "marks": ["keep"],
        "source": "kept",
    }
    VALIDATOR.validate(again)


def test_quadrant_balance_only_with_a_deck(app, client, played):
    with app.app_context(), db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == played.code))
        assert "quadrant_balance" not in export.build_record(orm, session, lang="nl")
        session.deck_id = "coachkwadrant"
        session.cards = {
            "pile": [],
            "hands": {},
            "focus": None,
            "played": [
                {
                    "card": "c1",
                    "quadrant": "verkennen",
                    "by": played.participants[0].id,
                    "contribution": None,
                },
                {
                    "card": "c2",
                    "quadrant": "verkennen",
                    "by": played.participants[1].id,
                    "contribution": None,
                },
            ],
        }
        orm.commit()
        record = export.build_record(orm, session, lang="en")
    VALIDATOR.validate(record)
    rows = {row["quadrant"]: row for row in record["quadrant_balance"]}
    assert rows["verkennen"]["asked"] == 2
    assert "Balance across the quadrants" in export.to_markdown(record).decode()


def test_line_breaks_survive_in_markdown_and_pdf(app, played):
    with app.app_context(), db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == played.code))
        session.record_case = "Regel één\r\nRegel twee\n# geen kop"
        orm.commit()
        record = export.build_record(orm, session, lang="nl")
    text = export.to_markdown(record).decode()
    assert "Regel één  \nRegel twee  \n# geen kop" in text
    assert "\r" not in text
    assert export.to_pdf(record).startswith(b"%PDF")
