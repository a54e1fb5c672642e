"""The session record: one full session through the protocol, exported as Markdown, PDF and JSON."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pypdf import PdfReader
from sqlalchemy import select, update

from intervisie import export
from intervisie.db import db
from intervisie.models import Contribution, Mark, Participant, Session

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
    added(cb, "answer", ANSWER, reply_to=question)
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
        f"- Vraag: {QUESTION} [warm]  \n  Antwoord: {ANSWER}",
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
        {
            "kind": "question",
            "text": QUESTION,
            "marks": ["warm"],
            "answers": [{"kind": "answer", "text": ANSWER}],
        },
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
    assert "Regel één  \nRegel twee  \n\\# geen kop" in text
    assert "\r" not in text
    assert export.to_pdf(record).startswith(b"%PDF")


# --- exactly what people wrote, nothing more -------------------------------------------------

# Everything Markdown (CommonMark, and GitHub's tables and strikethrough) or HTML could act on.
HOSTILE = (
    "Eerste regel\n## Acties\n<b>vet</b> <script>alert(1)</script> &amp; &#233; *ster* _lig_ `code`\n"
    "[link](https://example.org) ![beeld](x.png) ~~weg~~ | a | b |\n|---|---|\n1. genummerd\n2) ook\n"
    "- lijst\n+ plus\n> citaat\n    ingesprongen\n---\n===\n```\n~~~\n\\*schuin\\* en een slash \\"
)
ONE_LINE = "*Zoë* <i>🌻</i> # [x](y) _z_ `c` & &lt;"


def set_hostile_texts(app, code: str) -> None:
    """Hostile text in every field a person writes: title, case, contributions, names, action details."""
    with app.app_context(), db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == code))
        session.title = ONE_LINE
        session.record_case = HOSTILE
        orm.execute(update(Participant).where(Participant.session_id == session.id).values(name=ONE_LINE))
        for c in orm.scalars(select(Contribution).where(Contribution.session_id == session.id)):
            c.text = HOSTILE
            if c.kind == "action":
                c.details = {"who": ONE_LINE, "when": "## morgen", "measure": "<u>" + HOSTILE}
        orm.commit()


class Rendered(HTMLParser):
    """The HTML a CommonMark reader makes of a Markdown file: its tags, headings and visible text."""

    def __init__(self, markdown: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.headings, self.text, self._heading = set(), [], [], None
        parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
        self.feed(parser.render(markdown))

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = []
        if tag == "br":
            self.text.append("\n")

    def handle_endtag(self, tag):
        if tag.startswith("h") and tag[1:].isdigit() and self._heading is not None:
            self.headings.append((tag, "".join(self._heading)))
            self._heading = None
        if tag in ("p", "li"):
            self.text.append("\n")

    def handle_data(self, data):
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)

    @property
    def lines(self) -> list[str]:
        return [" ".join(line.split()) for line in "".join(self.text).split("\n")]


def test_markdown_shows_user_text_as_written_and_makes_no_structure_of_it(app, client, played):
    honest = download(client, played.code, "md", played.facilitator.token, names="true").data.decode()
    set_hostile_texts(app, played.code)

    response = download(client, played.code, "md", played.facilitator.token, names="true")

    assert response.status_code == 200
    hostile, plain = Rendered(response.data.decode()), Rendered(honest)
    # The same headings as an honest record: the title, our sections and the steps, nothing from people.
    assert hostile.headings == plain.headings
    assert [h for h in hostile.headings if h[1] == "Acties"] == [("h2", "Acties")]
    # No tag that people wrote or that their punctuation would make: no HTML, emphasis, code, links, lists.
    assert hostile.tags <= {"h1", "h2", "h3", "p", "ul", "li", "em", "br"}, hostile.tags
    # Every line of what people wrote comes out as written, character for character.
    lines = hostile.lines
    for written in HOSTILE.split("\n"):
        assert " ".join(written.split()) in lines, written
    assert f"Vraag ({' '.join(ONE_LINE.split())}): Eerste regel" in lines
    assert "Wanneer: ## morgen" in lines
    assert any(line.endswith(f"Wie: {ONE_LINE}") or line == f"Wie: {ONE_LINE}" for line in lines)
    assert ONE_LINE in lines  # the title


def test_markdown_escape_leaves_ordinary_text_alone():
    assert export.md_escape("Plan een één-op-één gesprek (vóór vrijdag), 3 dingen: a + b = c!") == (
        "Plan een één-op-één gesprek (vóór vrijdag), 3 dingen: a + b = c!"
    )
    assert export.md_escape("Jan & Piet") == "Jan & Piet"
    assert export.md_escape("## Acties") == "\\## Acties"
    assert export.md_escape("12. punt\n  - lijst") == "12\\. punt\n\u00a0\u00a0\\- lijst"


MARKDOWN_PIECES = list("#*_`[]()<>!&|~-+=.:;\\ \n\t123") + [
    "&amp;",
    "&#233;",
    "```",
    "    ",
    "1. ",
    "- ",
    "<b>",
    "](",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(MARKDOWN_PIECES)
        | st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Co", "Cn")),
        max_size=40,
    ).map("".join)
)
def test_any_text_reads_back_as_written_from_markdown(text):
    escaped = export.md_escape(text).split("\n")
    expected = [" ".join(line.split()) for line in text.split("\n")]
    for markdown, allowed in (
        ("  \n".join(escaped), {"p", "br"}),  # as the case: a paragraph
        ("- " + "  \n  ".join(escaped), {"ul", "li", "p", "br"}),  # as a contribution: a list item
    ):
        rendered = Rendered(markdown)
        assert rendered.tags <= allowed, (text, markdown, rendered.tags)
        assert [line for line in rendered.lines if line] == [line for line in expected if line], markdown


def test_json_carries_user_text_exactly(app, client, played):
    set_hostile_texts(app, played.code)

    response = download(client, played.code, "json", played.facilitator.token, names="true")

    record = json.loads(response.data)
    VALIDATOR.validate(record)
    assert record["case"] == {"text": HOSTILE, "edited": True, "author": ONE_LINE}
    assert record["session"]["title"] == ONE_LINE
    assert record["actions"][0]["measure"] == "<u>" + HOSTILE


def pdf_fonts(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    return {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].get_object().values()
    }


def page_contents(data: bytes) -> bytes:
    return b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_prints_emoji_and_symbols_and_shows_what_no_font_has(app, client, played, caplog):
    with app.app_context(), db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == played.code))
        orm.execute(
            update(Participant)
            .where(Participant.session_id == session.id, Participant.name == "Ayla")
            .values(name="Zoë 🌻")
        )
        bram_question = orm.scalar(select(Contribution).where(Contribution.text == QUESTION))
        bram_question.text = "🚀👍 Goed gedaan ★ ✓ ❤️ 漢 {nb} \ue000nb\ue000"
        action = orm.scalar(select(Contribution).where(Contribution.kind == "action"))
        action.details = {**DETAILS, "who": "ik 🙂"}
        orm.commit()

    with caplog.at_level(logging.WARNING, logger="fpdf"):
        response = download(client, played.code, "pdf", played.facilitator.token, names="true")

    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Ingebracht door Zoë 🌻" in text
    assert "Vraag (Bram): 🚀👍 Goed gedaan ★ ✓ ❤" in text
    assert "Wie: ik 🙂" in text
    # No bundled font has 漢: it shows as a visible placeholder, and fpdf2 never had to drop a glyph.
    assert "❤\ufe0f \ufffd" in text or "❤ \ufffd" in text
    # What fpdf2 would take for the page count prints as typed too.
    assert "\ufffd {nb} \ufffdnb\ufffd" in text
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    fonts = pdf_fonts(response.data)
    assert any("NotoEmoji" in f for f in fonts) and any("DejaVuSans" in f for f in fonts), fonts


def test_pdf_paragraphs_are_left_aligned(app, client, played):
    with app.app_context(), db.session() as orm:
        orm.execute(update(Session).where(Session.code == played.code).values(record_case=CASE * 6))
        orm.commit()

    response = download(client, played.code, "pdf", played.facilitator.token)

    # Justified lines are drawn as TJ arrays with a spacing number between the words; left-aligned ones are not.
    assert not re.search(rb"\) ?-?\d+(\.\d+)? ?\(", page_contents(response.data))


def test_dates_are_written_out_in_the_readers_language(app, client, played):
    zone = ZoneInfo("Europe/Amsterdam")
    start = datetime(2026, 11, 29, 14, 5, tzinfo=zone).timestamp()
    with app.app_context(), db.session() as orm:
        orm.execute(
            update(Session)
            .where(Session.code == played.code)
            .values(started_at=start, ended_at=start + 85 * 60, created_at=start - 600)
        )
        orm.commit()
    token = played.facilitator.token

    nl = download(client, played.code, "md", token, tz="Europe/Amsterdam").data.decode()
    en = download(client, played.code, "md", token, tz="Europe/Amsterdam", lang="en").data.decode()
    pdf = pdf_text(download(client, played.code, "pdf", token, tz="Europe/Amsterdam", lang="en").data)
    record = download(client, played.code, "json", token, tz="Europe/Amsterdam").get_json()

    assert "- Datum: 29 november 2026, 14:05–15:30" in nl
    assert "- Date: 29 November 2026, 14:05–15:30" in en
    assert "29 November 2026, 14:05–15:30" in pdf
    assert record["session"]["date"] == "2026-11-29"  # JSON is for programs: ISO 8601
    assert record["session"]["started_at"] == "2026-11-29T14:05:00+01:00"


def test_a_lone_surrogate_in_stored_data_never_breaks_a_download(app, client, played):
    with app.app_context(), db.session() as orm:
        action = orm.scalar(select(Contribution).where(Contribution.kind == "action"))
        action.details = {"who": "ik \ud83d", "when": "\udc00 morgen", "measure": "goed \ud83d\ude00"}
        orm.commit()
    token = played.facilitator.token

    for fmt in ("json", "md", "pdf"):
        response = download(client, played.code, fmt, token, names="1")
        assert response.status_code == 200, (fmt, response.data[:300])
    record = download(client, played.code, "json", token).get_json()
    assert record["actions"][0]["who"] == "ik \ufffd"
    assert record["actions"][0]["when"] == "\ufffd morgen"
    assert record["actions"][0]["measure"] == "goed 😀"  # a split pair is joined again
    assert "Wie: ik \ufffd" in download(client, played.code, "md", token).data.decode()
    assert "Wie: ik \ufffd" in pdf_text(download(client, played.code, "pdf", token).data)
    attendance = client.post(
        f"/api/sessions/{played.code}/attendance.csv", headers={"Authorization": f"Bearer {token}"}
    )
    assert attendance.status_code == 200


def test_valid_text_repairs_only_what_is_broken():
    assert export.valid_text("Zoë 🌻") == "Zoë 🌻"
    assert export.valid_text("a\ud83db") == "a\ufffdb"
    assert export.valid_text("\ud83d\ude80") == "🚀"
