"""Every text the pages ask for exists in both languages (no browser needed)."""

from __future__ import annotations

import json
import re

from intervisie import coach, privacy
from intervisie.methods import KINDS, MARK_VALUES, NOTE_KIND, RULE_TYPES
from tests.support import ROOT

CATALOGUES = {
    lang: json.loads((ROOT / f"intervisie/translations/{lang}.json").read_text()) for lang in ("nl", "en")
}
SOURCES = [*sorted((ROOT / "static/js").glob("*.js")), *sorted((ROOT / "templates").glob("*.html"))]
# Keys built at run time from a prefix and a value the method or the state supplies.
DYNAMIC = {
    "ui.kind.": (*KINDS, NOTE_KIND),
    "ui.kinds.": (*KINDS, NOTE_KIND),
    "ui.input.": (*KINDS, NOTE_KIND),
    "ui.mark.": MARK_VALUES,
    "ui.role.": ("facilitator", "case_bringer", "participant"),
    "ui.role_ref.": ("facilitator", "case_bringer", "participant"),
    "ui.you_are.": ("facilitator", "case_bringer", "participant"),
    "ui.send.": ("default", "action"),
    "ui.hint.": ("question", "action", "solution", "case"),
    "ui.action.": ("who", "when", "measure", "who_short", "when_short", "measure_short"),
    "ui.coach.": ("closed", "advice"),
    "ui.coach.hint.": coach.HINTS,
    "ui.nudge.": ("closed_question", "advice_question"),
    "ui.privacy.kind.": privacy.KINDS,
}
SIMPLE_RULES = (
    "case_bringer_listens",
    "case_bringer_turned_away",
    "open_questions",
    "write_privately",
    "reveal_together",
    "stillness",
)


def used_keys() -> set[str]:
    keys = set()
    for path in SOURCES:
        text = path.read_text()
        keys |= set(re.findall(r"""["'](ui\.[a-z_]+(?:\.[a-z_0-9]+)+)["']""", text))
    for prefix, values in DYNAMIC.items():
        keys |= {prefix + v for v in values}
    keys |= {f"ui.rule.{r}" for r in SIMPLE_RULES}
    return keys


def test_every_used_text_exists_in_both_languages():
    missing = {lang: sorted(k for k in used_keys() if k not in cat) for lang, cat in CATALOGUES.items()}
    assert missing == {"nl": [], "en": []}


def test_both_languages_have_the_same_ui_texts():
    nl, en = ({k for k in cat if k.startswith("ui.")} for cat in CATALOGUES.values())
    assert nl ^ en == set()


def test_rule_texts_cover_the_simple_rule_types():
    assert set(SIMPLE_RULES) <= set(RULE_TYPES)
