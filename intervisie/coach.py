"""The question coach: is a question open, closed, or advice (or a judgement) dressed as a question?

Facilitators correct the same slips all session long: "heb je al eens
overwogen om...", "zou het niet beter zijn...", "why don't you...", and yes/no
questions that stop the case bringer thinking. The coach names the slip, the
words that made it one and an open question to ask instead; it never blocks.

Pure and offline: a question is cut into its parts (at ``?``, ``,`` and an
"en/and/of/or" that starts a new question), each part is read from its first
words (a question word, a verb first, an opener of advice) and searched for
advice anywhere in it. ``simplemma`` (its lemma tables ship in the package)
tells whether a Dutch part starts with a verb and finds "overwegen"/"proberen"
and "consider"/"try" in any form, typos in the ending included. "heb je al
... <participle>" is read by the participle's form, not a list of verbs, and
spoken "nie" counts as "niet", so wordings the sets never held still read. Typed and
spoken spellings are read as their standard forms first (Flemish "kunt ge da nie",
"mss", "have u", "dont", curly apostrophes); the words named stay those of the
text as typed. Measured on ``tests/data/questions_*.tsv`` by ``bench/coach.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

LABELS = ("open", "closed", "advice")
HINTS = ("stacked", "why_blame", "about_self")

_WH = {
    "nl": r"wat|hoe|waarom|waardoor|waarvoor|welke?|wanneer|wie|wiens|waar\w*|hoezo|hoeveel|in\s+hoeverre|"
    r"in\s+welke|op\s+welke|met\s+wie|van\s+wie|voor\s+wie|bij\s+wie|aan\s+wie|tot\s+wanneer|sinds\s+wanneer",
    "en": r"what|what's|whats|how|how's|why|which|when|who|who's|whom|whose|where|where's|"
    r"in\s+what|to\s+what|in\s+which|with\s+whom|for\s+whom",
}
# Asking for a story is open too: "vertel eens", "kun je beschrijven", "can you walk us through".
_TELL = {
    "nl": r"(?:vertel|beschrijf|schets|leg\s+eens\s+uit|(?:heb|hebt|had)\s+(?:je|jij)\s+(?:enig\s+|een\s+)?idee\s+"
    r"(?:wat|waar|hoe|waarom|wie|wanneer|welke)|(?:kun|kan|zou|wil)\s+(?:je|jij|u)\s+(?:(?!niet\b)\S+\s+){0,4}?"
    r"(?:vertellen|beschrijven|omschrijven|uitleggen|toelichten|schetsen|zeggen\s+(?:wat|hoe|waarom)|"
    r"(?:meer|iets|wat)\s+(?:(?:meer|over|daarover|erover)\s+){0,2}(?:zeggen|vertellen)|(?:een\s+)?voorbeeld\s+geven|"
    r"meenemen\s+in))\b",
    "en": r"(?:tell\s+(?:me|us)|describe|(?:do|did)\s+you\s+have\s+(?:any|an)\s+idea\s+(?:what|where|how|why|who|when)|(?:walk|talk|take)\s+(?:me|us)\s+(?:through|back)|"
    r"(?:can|could|would|will)\s+you\s+(?:\S+\s+){0,3}?"
    r"(?:tell|describe|explain|walk|say\s+(?:\S+\s+){0,2}?more|say\s+something\s+about|share\s+(?:(?:a\s+bit\s+)?more|what|how|why|with\s+us|an?\s+example|something)|talk\s+(?:me|us)\s+"
    r"through|talk\s+(?:a\s+bit\s+)?about|take\s+(?:me|us)\s+(?:through|back)|expand|elaborate|unpack|"
    r"give\s+(?:an?\s+)?example))\b",
}
# Lead-ins that carry no question of their own: the question follows them.
_LEAD_IN = {
    "nl": r"(?:(?:en|maar|ok[eé]?|oké|nou|dus|even|ja|nee|goh|hm+)\s+)*(?:(ik\s+ben\s+(?:wel\s+)?(?:benieuwd|"
    r"nieuwsgierig)(?:\s+naar)?|ik\s+vr(?:aa|oe)g\s+me\s+af|mag\s+ik\s+(?:je\s+)?vragen|ik\s+(?:zou\s+)?(?:wil|"
    r"wilde|zou)\s+(?:graag\s+)?(?:willen\s+)?weten)|(begrijp\s+ik\s+(?:het\s+)?goed(?:\s+dat)?|als\s+ik\s+het\s+"
    r"goed\s+begrijp))?",
    "en": r"(?:(?:and|but|ok|okay|so|right|well|yes|no|hm+)\s+)*(?:(i'?m\s+curious(?:\s+about)?|i\s+am\s+curious"
    r"(?:\s+about)?|i\s+wonder|i\s+was\s+wondering|i'?m\s+wondering|i\s+am\s+wondering|can\s+i\s+ask|may\s+i\s+ask|i'?d\s+like\s+to\s+know)|"
    r"(did\s+i\s+get\s+that\s+right|if\s+i\s+understand\s+(?:it\s+|you\s+)?(?:right|correctly)))?",
}
# Things done that, asked about as "already", suggest doing them: "heb je al met HR gesproken".
_DONE = {
    "nl": r"(?:gesproken|gepraat|stilgestaan|over\s+gehad|contact\s+gehad|gevraagd|gebeld|gemaild|gemeld|"
    r"aangekaart|ingeschakeld|aangegeven|neergelegd|opgenomen|gestuurd|besproken|voorgelegd|verteld|gezegd|gedacht|gekeken|nagedacht|geprobeerd|overwogen|"
    r"geregeld|gezocht|ingelicht|geïnformeerd|overlegd|voorgesteld|aangesproken|uitgelegd|gedeeld|nagevraagd|"
    r"doorgegeven|afgesproken|gecheckt)",
    "en": r"(?:asked|talked|spoken|called|told|raised|contacted|e-?mailed|involved|discussed|checked|looked\s+"
    r"(?:at|into|for)|reached\s+out|approached|run\s+(?:it|this|that)\s+(?:past|by)|tried|considered|suggested|proposed)",
}
# Any other action done, by its form: a past participle, less the ones that only happened to the case
# bringer ("heb je al gemerkt", "al geslapen"): "heb je al een gesprek aangevraagd".
_PARTICIPLE_NL = (
    r"(?!\w*(?:gemerkt|gezien|gehoord|gevoeld|geweten|geslapen|gegeten|gedronken|gehad|geweest|gekregen|geleden|"
    r"gebeurd|gewerkt|gewoond|gewend|geleerd|ontvangen|verloren|vergeten|bevallen|verdwenen|bedoeld)\b)"
    r"(?:\w*ge\w{2,}[dtn]|(?:be|ver|ont|her)\w{2,}[dt]|bekeken|beschreven|verschoven|ondernomen|\w+geboden)"
)
_E = r"(?:eens|es|ens|'s)"  # "eens" as it is typed
_NIET = r"(?:niet|nie)"  # "niet" as it is spoken and typed: "ga je da nie melden"
# Openers of advice or judgement that win even after a question word.
_ADVICE_START = {
    "nl": [
        r"waarom\s+(?:\S+\s+){0,2}?(?:je|jij|u)\s+(?:(?!om\b)\S+\s+){0,3}?(?:" + _NIET + r"|geen)\b",
        r"waarom\s+" + _NIET + r"\b",
        r"wat\s+als\b",
        r"hoe\s+zou\s+het\s+(?:zijn|helpen|werken|voelen)\s+als\s+(?:je|jij)\b",
        r"wat\s+(?:vind|denk|dacht|zou)\s+(?:je|jij)\s+(?:\S+\s+)?(?:ervan|er\s+van)\s+(?:\S+\s+)?(?:om|als)\b",
        r"hoe\s+zou\s+het\s+(?:zijn|helpen|werken|voelen)\s+om\b",
        r"hoe\s+zou\s+(?:je|jij)\s+het\s+vinden\s+(?:om|als)\b",
        r"wat\s+(?:vind|denk)\s+(?:je|jij)\s+van\s+(?:het|dit|een)\s+(?:idee|plan|voorstel)\s+om\b",
        r"wat\s+denk\s+(?:je|jij)\s+van\s+een\b",
    ],
    "en": [
        r"why\s+(?:don'?t|do\s+not|not|didn'?t|did\s+not|haven'?t|wouldn'?t|won'?t|can'?t|couldn'?t|aren'?t|"
        r"shouldn'?t|(?:did|would|do)\s+you\s+not)\b",
        r"why\s+(?:you|it)\s+(?:\S+\s+)?(?:don'?t|do\s+not|didn'?t|did\s+not|haven'?t|wouldn'?t|won'?t|can'?t|"
        r"couldn'?t|aren'?t|weren'?t|shouldn'?t)\b",
        r"what\s+if\b",
        r"how\s+about\b",
        r"what\s+about\s+(?:\w+ing|if|an?)\b",
        r"what\s+do\s+you\s+think\s+(?:about|of)\s+\w+ing\b",
        r"how\s+would\s+it\s+be\s+if\b",
        r"how\s+would\s+you\s+feel\s+about\s+\w+ing\b",
    ],
}
# Advice inside a question that starts openly: "wat zou er gebeuren als je het gewoon eens zegt".
_ADVICE_IN_OPEN = {
    "nl": r"\b(?:als|om)\s+(?:\S+\s+){0,2}?(?:gewoon|" + _E + r")\b",
    "en": r"\b(?:if\s+you|from|about|with)\s+(?:\S+\s+){0,2}?just\b",
}
# Advice anywhere in a part that does not start with a question word.
_ADVICE = {
    "nl": [
        r"\bal\s+" + _E + r"\b",
        r"\b(?:zou|zal|kan|kon|kun)\s+(?:(?:het|'t|t|dat|dit)\s+(?:\S+\s+){0,3}?|een\s+(?:\S+\s+){1,6}?)(?:niet\s+)?"
        r"(?:helpen|beter|"
        r"verstandig\w*|slim\w*|handig\w*|zinvol\w*|nuttig\w*|werken|schelen|goed|een\s+idee|idee|een\s+optie|optie|"
        r"fijn\w*|prettig\w*|makkelijk\w*|eenvoudig\w*|logisch\w*|iets)\b",
        # Asked after a lead-in with a subject of its own: "(ik vraag me af) of een gesprek samen niet meer oplevert".
        r"^of\s+(?:een|het|dat|dit|zo'?n)\s+(?:\S+\s+){0,6}?"
        + _NIET
        + r"\s+(?:\S+\s+){0,2}?(?:meer|beter|handiger|"
        r"slimmer|verstandiger|makkelijker|fijner|prettiger|sneller|helpt|werkt|scheelt|oplevert)\b",
        # Advice said as a statement: "een idee is misschien om ...", "mijn suggestie zou zijn".
        r"\b(?:idee|optie|suggestie|tip)\s+(?:is|zou\s+(?:\S+\s+)?zijn|kan\s+zijn)\b",
        r"\b(?:misschien|wellicht)\s+om\b",
        r"^gewoon\b|\bgewoon\s+(?:doen|vragen|zeggen|bellen|melden|proberen|aanspreken)\b",
        r"\b(?:niet|geen)\s+(?:beter|handiger|slimmer|verstandiger|makkelijker|fijner)\s+om\b",
        r"\b(?:er\s+)?goed\s+aan\s+(?:doen|zou|zouden)\b|\bdoe\s+(?:je|jij)\s+er\s+(?:\S+\s+)?goed\s+aan\b",
        r"\b(?:is|was)\s+(?:het|dat|een\s+\w+)\s+(?:\S+\s+){0,2}?(?:niet|geen)\b",
        # With a longer subject: "is een gesprek met de ouders geen optie", "is bellen met de huisarts niet handiger".
        r"\b(?:is|was)\s+(?!(?:hij|zij|ze|je|jij|u|ik|die)\b)(?:\S+\s+){1,6}?(?:niet|geen)\s+(?:\S+\s+)?(?:optie|idee|oplossing|beter|handiger|slimmer|"
        r"verstandiger|makkelijker|logischer|sneller)\b",
        # "zou X niet helpen", however long X: "zou een kort overleg met het team elke ochtend niet helpen".
        r"\bzou\s+(?:\S+\s+){1,10}?" + _NIET + r"\s+(?:meer\s+)?helpen\b",
        # Someone else could take it over: "zou een collega het niet kunnen overnemen".
        r"\bzou\s+(?:een|de|je|jouw|iemand)\s+(?:\S+\s+){0,3}?"
        + _NIET
        + r"\s+(?:\S+\s+){0,3}?(?:kunnen|moeten)\b",
        r"\b(?:kan|kon)\s+(?:een|iemand)\s+(?:\S+\s+){0,3}?"
        + _NIET
        + r"\s+(?:\S+\s+){0,2}?(?:overnemen|invallen|"
        r"bijspringen|helpen)\b",
        # Other options put on the table: "heb je ook gekeken naar andere opties", "de optie bekeken om".
        r"\b(?:heb|had)\s+(?:je|jij)\s+(?:\S+\s+){0,4}?(?:optie|opties|mogelijkheid|mogelijkheden|alternatief|"
        r"alternatieven)\s+(?:\S+\s+){0,2}?(?:bekeken|overwogen|onderzocht|om)\b",
        r"\b(?:gekeken|gedacht)\s+(?:naar|aan)\s+(?:\S+\s+){0,2}?(?:opties|mogelijkheden|alternatieven)\b",
        r"\bzou\s+(?:je|jij)\s+(?:er\s+)?(?:iets|wat)\s+aan\s+hebben\s+(?:om|als)\b",
        r"\bis\s+(?:het|'t|t|dat)\s+(?:\S+\s+){0,2}?(?:een|geen)\s+(?:goed\s+)?(?:idee|optie|gedachte|suggestie|"
        r"oplossing)\b",
        r"\bligt\s+(?:het|dat)\s+(?:\S+\s+){0,2}?voor\s+de\s+hand\b",
        r"\bis\s+(?:het|'t|t)\s+(?:\S+\s+){0,2}?(?:handig|verstandig|slim|nuttig|zinvol|beter)\w*\s+om\b",
        r"\blijkt\s+(?:het|dat)\s+(?:je|jou|jij)\s+(?:\S+\s+){0,2}?(?:niet|geen|beter|verstandig|handig|slim|goed)\b",
        r"\bhad\s+(?:het|dat)\s+(?:\S+\s+){0,2}?(?:beter|anders|\w{3,}er)\s+(?:gekund|gemoeten)\b",
        # The same asked after a lead-in, in the order of a clause: "(ik vraag me af) of je niet strenger had moeten zijn".
        r"\b(?:je|jij)\s+(?:\S+\s+){0,6}?(?:had|hebt|heb)\s+(?:moeten|kunnen)\b|\b(?:moeten|kunnen)\s+hebben\b",
        r"^of\s+(?:je|jij|het|dat)\s+(?:\S+\s+){0,3}?" + _NIET + r"\b",
        r"^of\s+(?:je|jij)\s+(?:\S+\s+){0,4}?(?:zou|moet|moest)\b(?!\s+(?:\S+\s+){0,4}?(?:vertellen|zeggen|beschrijven|"
        r"uitleggen)\b)",
        r"\bhet\s+(?:zou|kan|kon)\s+(?:\S+\s+){0,2}?(?:helpen|beter|goed|verstandig|slim|handig)\b",
        r"\b(?:heb|had)\s+(?:je|jij)\s+(?:\S+\s+){0,3}?(?:wel\s*eens|ooit)\s+(?:\S+\s+){0,4}?"
        + _DONE["nl"]
        + r"\b",
        r"\bwordt\s+het\s+(?:niet\s+|geen\s+)?tijd\b",
        r"^(?:misschien|wellicht)\b|\b(?:misschien|wellicht)\s+(?:kun|kan|moet|zou|is|helpt|moeten|kunnen|"
        + _E
        + r"|gewoon|een\s+keer)\b",
        r"\b(?:kun|kunt|kan|kon|zou|moet|moest|mag|wil|wilt|ga|gaat|doe|doet)\s+(?:je|jij|u)\s+"
        r"(?!(?:zeggen|denken|vinden|verwachten)\s+dat\b)(?:\S+\s+){0,4}?"
        r"(?:" + _NIET + r"|toch|gewoon|beter|ook\s+" + _E + r"|eerst|misschien|eventueel|wellicht)\b",
        r"\b(?:zou|moet)\s+(?:je|jij|u)\s+(?:\S+\s+){0,5}?(?:kunnen|moeten)\b",
        r"\b(?:denk|vind)\s+(?:je|jij)\s+(?:\S+\s+){0,3}?" + _NIET + r"\b",
        r"\b(?:ben|was)\s+(?:je|jij)\s+(?:\S+\s+){0,2}?" + _NIET + r"\b",
        r"\bhad\s+(?:je|jij)\s+(?:\S+\s+){0,6}?(?:" + _NIET + r"|beter|kunnen|moeten)\b",
        r"\bheb\s+(?:je|jij)\s+(?:\S+\s+){0,6}?" + _NIET + r"\s+(?:\S+\s+){0,4}?(?:kunnen|moeten)\b",
        r"\bheb\s+(?:je|jij)\s+" + _NIET + r"\s+(?:het\s+)?(?:idee|gevoel)\b",
        r"\bis\s+er\s+(?:een\s+)?reden\s+(?:waarom|dat)\s+(?:je|jij)\s+(?:\S+\s+){0,4}?(?:"
        + _NIET
        + r"|geen)\b",
        r"\b(?:heb|had)\s+(?:je|jij)\s+(?:\S+\s+){0,4}?al\s+(?!(?:die|de|lang|zo)\b)(?:\S+\s+){0,4}?(?:"
        + _DONE["nl"]
        + "|"
        + _PARTICIPLE_NL
        + r")\b",
        r"\bben\s+(?:je|jij)\s+(?:\S+\s+){0,2}?al\s+(?:\S+\s+){0,2}?(?:bij|naar|langs)\s+(?:\S+\s+){0,4}?"
        r"(?:geweest|gegaan|gestapt)\b",
        r"\bben\s+(?:je|jij)\s+(?:\S+\s+){0,2}?(?:al|wel)\s+(?:"
        + _E
        + r"\s+)?(?:\S+\s+){0,4}?gaan\s+\w+en\b",
        r"\b(?:je|jij)\s+(?:\S+\s+){0,4}?al\s+(?:\S+\s+){0,4}?(?:(?:hebt|had)\s+"
        + _DONE["nl"]
        + "|"
        + _DONE["nl"]
        + r"\s+(?:hebt|had))\b",
        r"\b(?:heb|had)\s+(?:je|jij)\s+(?:\S+\s+){0,3}?(?:(?:er)?(?:aan|over)\s+(?:na)?gedacht|nagedacht)\b",
        r"\b(?:heb|had)\s+(?:je|jij)\s+(?:\S+\s+){0,2}?(?:na)?gedacht\s+(?:aan|over|om)\b",
        r"\bals\s+ik\s+(?:jou|u)\s+(?:was|ben)\b",
        r"\bin\s+(?:jouw|je)\s+(?:plaats|schoenen)\b",
        r"^ik\s+zou\b(?!\s+(?:graag|willen|benieuwd))",
        r"\bmijn\s+(?:tip|advies)\b",
        r"\b(?:het\s+)?lijkt\s+me\s+(?:\S+\s+)?(?:beter|verstandig|handig|slim|goed|fijn)\b",
        r"\bik\s+denk\s+dat\s+(?:je|jij)\b",
        r"\bvolgens\s+mij\s+(?:moet|kun|kan|zou|is\s+het)\b",
        r"^(?:je|jij)\s+(?:kunt|kan|zou|moet|moest|mag)\b",
        r"\bhet\s+is\s+misschien\b",
        r"\bkan\s+het\s+geen\s+kwaad\b",
        r"\bniet\s+iets\s+voor\b",
        r"\biets\s+voor\s+(?:je|jou|jullie)\b",
        r"\bgewoon\s+" + _E + r"\b",
        r"\bals\s+(?:je|jij)\s+(?:nou\s+|nu\s+|dan\s+)?(?:het\s+|dat\s+)?(?:gewoon|" + _E + r")\b",
    ],
    "en": [
        r"\bhave\s+you\s+(?:\S+\s+){0,3}?(?:already|ever)\b",
        r"\bhave\s+you\s+(?!been\b)(?:\S+\s+)?" + _DONE["en"] + r"\b",
        r"\bought\s+(?:you|we)\b|\byou\s+ought\b",
        r"\bdid\s+you\s+not\s+(?:think|consider|try|ask|check|call|ring|phone|tell|report|raise|speak|talk)\b",
        r"\b(?:would|could|might)\s+\w+ing\s+(?:\S+\s+){0,4}?(?:help|make\s+sense|be\s+(?:better|wiser|easier|an?\s+idea))\b",
        r"\b(?:idea|option|suggestion|tip)\s+(?:is|would\s+be|might\s+be|could\s+be)\b",
        r"\b(?:have|did)\s+you\s+(?:\S+\s+){1,9}?(?:yet|already)\b",
        r"\b(?:would|could|might|will)\s+you\s+(?:\S+\s+)?think\s+(?:about|of)\s+\w+ing\b",
        r"\bthought\s+(?:about|of)\b|\b(?:given|give)\s+(?:\S+\s+)?thought\s+to\b",
        r"\bdid\s+you\s+(?:ever\s+)?think\s+(?:about|of)\s+\w+ing\b",
        r"\b(?:did|has|didn'?t|hasn'?t)\s+it\s+(?:not\s+)?(?:ever\s+)?(?:occur(?:red)?\s+to|cross(?:ed)?\s+your\s+mind)\b",
        r"\b(?:is\s+there\s+(?:a|any)|any)\s+reason\s+(?:why\s+|that\s+)?you\s+(?:didn'?t|don'?t|did\s+not|do\s+not|"
        r"haven'?t|wouldn'?t|won'?t|aren'?t|can'?t)\b",
        r"\bany\s+chance\s+you\s+could\b",
        r"\b(?:would|could|might)\s+(?:(?:it|that)\s+(?:\S+\s+){0,3}?|an?\s+(?:\S+\s+){1,6}?)(?:help|make\s+sense|be\s+(?:better|wiser|"
        r"smarter|easier|nicer|kinder|safer|simpler|calmer|sensible|wise|helpful|useful|an?\s+(?:idea|option)|good|worth|"
        r"something))\b",
        r"\bwouldn'?t\s+(?:it|that|a\s+\w+|an\s+\w+|you)\b",
        r"\bwould\s+it\s+not\b",
        r"\b(?:isn'?t|wasn'?t)\s+(?:it|that|this)\b|\b(?:is|was)\s+it\s+not\b",
        # Asked after a lead-in, as a clause: "(i wonder) if you shouldn't ...", "whether you could ask her".
        r"^(?:if|whether)\s+(?:\S+\s+){1,6}?(?:wouldn'?t|couldn'?t|shouldn'?t)\b",
        r"^(?:if|whether)\s+(?:you|it)\s+(?:\S+\s+){0,2}?(?:should|shouldn'?t|couldn'?t|wouldn'?t|might|ought|"
        r"could(?!\s+(?:\S+\s+){0,3}?(?:tell|say|describe|explain)\b)|would\s+(?:\S+\s+)?help)\b",
        r"\bis\s+it\s+(?:not\s+)?(?:an?\s+)?(?:option|idea|time|worth|wiser|better)\b",
        r"\bis\s+it\s+(?:\S+\s+){0,2}?(?:wise|sensible|smart|helpful|useful)\w*\s+to\b",
        r"\b(?:might|may|could|would)\s+be\s+(?:worth|an?\s+(?:idea|option))\b",
        r"^(?:maybe|perhaps)\b|\b(?:maybe|perhaps)\s+(?:you|it|try|just|ask)\b",
        r"\bit\s+(?:would|might|may|could)\s+(?:\S+\s+)?(?:help|be\s+(?:better|wiser|good|smart))\b",
        r"\byou\s+(?:could|should|need\s+to|have\s+to|must|might|may\s+want|can\s+also|could\s+also|really\s+need)\b",
        r"\b(?:could|can|should|would)\s+you\s+not\b",
        r"\b(?:couldn'?t|can'?t|shouldn'?t|don'?t|aren'?t|weren'?t)\s+you\b",
        r"\bif\s+i\s+were\s+you\b",
        r"^i\s+(?:would|'?d)\b|^i'd\b",
        r"\bmy\s+(?:tip|advice)\b",
        r"\bin\s+my\s+opinion\b",
        r"\b(?:it\s+)?seems\s+(?:\S+\s+)?(?:better|wiser|smarter)\b",
        r"\bi\s+think\s+you\b",
        r"\bsomething\s+for\s+you\b",
        r"\bcould\s+you\s+(?:just|also|maybe|perhaps|simply)\b",
        r"\b(?:could|can|would)\s+you\s+(?:\S+\s+){1,8}?(?:maybe|perhaps)\s*$",
        # With a longer subject: "is a meeting with the parents not an option", "isn't ringing the gp easier".
        r"\b(?:is|was)\s+(?!(?:he|she|they|you|i|this|that)\b)(?:\S+\s+){1,6}?(?:not|no)\s+(?:\S+\s+)?(?:option|idea|solution|better|easier|quicker|"
        r"smarter|wiser|simpler)\b",
        r"\b(?:isn'?t|wasn'?t)\s+(?:\S+\s+){1,5}?(?:easier|better|quicker|smarter|wiser|simpler|an?\s+option|"
        r"an?\s+idea)\b",
        r"\b(?:doesn'?t|won'?t|wouldn'?t)\s+(?:it|that)\s+(?:\S+\s+)?(?:help|work)\b|\bdoes\s+(?:it|that)\s+not\s+help\b",
        # Someone else could take it over: "couldn't a colleague take it over".
        r"\b(?:couldn'?t|can'?t|wouldn'?t)\s+(?:a|an|someone|somebody|another|the)\s+(?:\S+\s+){0,2}?"
        r"(?:take|step|cover|help|do)\b",
        r"\b(?:look|looked|looking|thought|think|consider|considered|explore|explored)\s+(?:at\s+|into\s+|about\s+|of\s+)?"
        r"(?:any\s+)?(?:other|alternative)\s+(?:options|possibilities|alternatives)\b",
        r"^(?:(?:it'?s|it\s+is|might\s+be|could\s+be|would\s+be|may\s+be)\s+)?worth\s+\w+ing\b",
        r"^(?:just|try)\b",
    ],
}
# A question about the asker (the group member) instead of the case bringer.
_SELF = {
    "nl": r"\b(?:ik|mij|mijn|m'n|ikzelf)\b",
    "en": r"\b(?:i|my|mine|i'm|i've|i'd)\b|(?<!tell )(?<!walk )\bme\b",
}
_QUOTED = re.compile(r"(?:^|(?<=\s))['‘\"“][^'’\"”]+['’\"”]")  # the case bringer's own words, quoted
_WHY_BLAME = {
    "nl": r"waarom\s+(?:heb|had|ben|was|deed|zei|koos|ging|liet|nam|kwam|bleef|\w+(?:de|te))\s+(?:je|jij)\b",
    "en": r"why\s+(?:did|didn'?t|would|have|haven'?t|were|had|on\s+earth)\s+you\b",
}
_FEELINGS = {
    "nl": r"\b(?:boos|bang|verdrietig|teleurgesteld|schuldig|machteloos|rot|moe|geschrokken|gefrustreerd|"
    r"onzeker|alleen|boos|gekwetst|angstig|beschaamd)\b",
    "en": r"\b(?:angry|sad|scared|afraid|guilty|upset|tired|shocked|hurt|frustrated|helpless|ashamed|alone)\b",
}
_SUBJECTS = {
    "nl": {
        "je",
        "jij",
        "u",
        "ze",
        "zij",
        "hij",
        "het",
        "er",
        "jullie",
        "we",
        "wij",
        "die",
        "dat",
        "dit",
        "de",
        "deze",
        "men",
        "ik",
        "mijn",
        "jouw",
        "een",
        "iemand",
    },
    "en": {
        "you",
        "she",
        "he",
        "it",
        "they",
        "we",
        "there",
        "the",
        "this",
        "that",
        "i",
        "your",
        "a",
        "anyone",
    },
}
_AUX_EN = re.compile(
    r"(?:do|does|did|have|has|had|is|are|was|were|am|can|could|will|would|should|shall|may|might|must)"
    r"(?:n'?t)?|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|won't"
)
_ADVICE_LEMMAS = {"nl": {"overwegen", "proberen"}, "en": {"consider", "try"}}
# "overwegen"/"consider" as what the case bringer is doing now is no advice: "dat je overweegt te stoppen",
# "are you considering leaving". Dutch: the present form in -t; English: -ing after a form of "to be".
_DOING = {
    "nl": re.compile(r"\w+t$"),
    "en": re.compile(r"(?:\b(?:are|is|am|was|were)\s+(?:\w+\s+)?|'re\s+)$"),
}
# Spellings as typed or spoken, read as their standard forms (token -> form); a Flemish verb before "ge"
# takes the form it has before "je" ("kunt ge" -> "kun je").
_SPELLINGS = {
    "nl": {
        "ge": "je",
        "gij": "jij",
        "uw": "je",
        "da": "dat",
        "nie": "niet",
        "mss": "misschien",
        "misch": "misschien",
        "zijt": "bent",
        "zoudt": "zou",
        "kondt": "kon",
        "hadt": "had",
        "ff": "even",
        "nt": "niet",
    },
    "en": {
        "u": "you",
        "ya": "you",
        "ur": "your",
        "r": "are",
        "im": "i'm",
        "ive": "i've",
        "youre": "you're",
        "dont": "don't",
        "didnt": "didn't",
        "doesnt": "doesn't",
        "isnt": "isn't",
        "arent": "aren't",
        "wasnt": "wasn't",
        "werent": "weren't",
        "havent": "haven't",
        "hasnt": "hasn't",
        "cant": "can't",
        "couldnt": "couldn't",
        "shouldnt": "shouldn't",
        "wouldnt": "wouldn't",
        "wont": "won't",
    },
}
_BEFORE_GE = {
    "kunt": "kun",
    "hebt": "heb",
    "zijt": "ben",
    "doet": "doe",
    "gaat": "ga",
    "wilt": "wil",
    "zoudt": "zou",
    "ziet": "zie",
    "vindt": "vind",
    "denkt": "denk",
    "zegt": "zeg",
    "hadt": "had",
    "waart": "was",
    "kondt": "kon",
    "zult": "zal",
    "moogt": "mag",
    "weet": "weet",
    "moet": "moet",
}
_GE = re.compile(r"\s+g(?:e|ij)\b")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_PARTS = re.compile(r"[^?!.;:,\n]+")
_JOIN = {"nl": r"\s(?:en|maar)\s", "en": r"\s(?:and|but)\s"}  # "or" offers a choice in one question
_NL_WORDS = frozenset(
    [
        "je",
        "jij",
        "het",
        "de",
        "een",
        "niet",
        "wat",
        "hoe",
        "waarom",
        "is",
        "heb",
        "ik",
        "zou",
        "dat",
        "van",
        "en",
        "ze",
        "hij",
        "ben",
        "was",
        "er",
        "om",
        "al",
        "eens",
        "dan",
        "toen",
        "met",
        "op",
        "voor",
        "naar",
        "kun",
        "kan",
        "wel",
        "zijn",
        "heeft",
        "hebt",
        "deed",
        "gewoon",
        "mij",
        "mijn",
        "jouw",
    ]
)
_EN_WORDS = frozenset(
    [
        "you",
        "the",
        "a",
        "not",
        "what",
        "how",
        "why",
        "is",
        "have",
        "i",
        "would",
        "that",
        "of",
        "and",
        "she",
        "he",
        "are",
        "was",
        "it",
        "there",
        "to",
        "already",
        "did",
        "do",
        "with",
        "on",
        "for",
        "can",
        "could",
        "your",
        "my",
        "me",
        "been",
        "just",
        "don't",
    ]
)


@dataclass(frozen=True)
class Verdict:
    """The coach's reading of one text.

    ``label``: one of LABELS. ``words``: the (start, end) character spans in the
    text that made it closed or advice. ``suggestion``: a catalogue key for an
    open question to ask instead (None when open). ``hints``: the softer slips
    of HINTS. ``language``: "nl" or "en", the language the text is written in.
    """

    label: str
    language: str
    words: tuple[tuple[int, int], ...] = ()
    suggestion: str | None = None
    hints: tuple[str, ...] = field(default=())


@cache
def _compiled(lang: str):
    subjects = f"(?:{'|'.join(_SUBJECTS[lang])})"

    def one(*patterns):
        return re.compile("|".join(f"(?:{p})" for p in patterns))

    return {
        "lead": re.compile(_LEAD_IN[lang] + r"\s*"),
        "open": re.compile(rf"(?:{_WH[lang]})\b|{_TELL[lang]}"),
        "advice_start": one(*_ADVICE_START[lang]),
        "advice": [re.compile(p) for p in _ADVICE[lang]],
        "advice_in_open": re.compile(_ADVICE_IN_OPEN[lang]),
        "self": re.compile(_SELF[lang]),
        "why_blame": re.compile(_WHY_BLAME[lang]),
        "feel": re.compile(_FEELINGS[lang]),
        "join": re.compile(_JOIN[lang] + rf"(?=(?:{_WH[lang]})\b|(?!{subjects}\b)\w+\s+{subjects}\b)"),
    }


@cache
def _lemma(word: str, lang: str) -> str:
    import simplemma  # about a second with its tables, paid by the first question, not by every start-up

    return simplemma.lemmatize(word, lang=lang)


def warm() -> None:
    """Load simplemma's tables now (a second or so), so that the first question typed waits for nothing."""
    check("heb je het al eens overwogen", "nl")
    check("have you considered it", "en")


def language_of(text: str, hint: str = "nl") -> str:
    """Say "nl" or "en": the language most of the text's small words belong to; ``hint`` on a tie."""
    words = [w.lower() for w in _WORD.findall(text[:400])]
    nl = sum(w in _NL_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if nl == en:
        return hint if hint in ("nl", "en") else "nl"
    return "nl" if nl > en else "en"


def _verb_first(part: str, lang: str) -> bool:
    """Does the part start as a yes/no question does: a verb, then its subject ("Was je", "Did you")?"""
    words = _WORD.findall(part[:80])
    if len(words) < 2:
        return False
    first, second = words[0], words[1]
    if lang == "en":
        return bool(_AUX_EN.fullmatch(first)) and second in _SUBJECTS["en"]
    return second in _SUBJECTS["nl"] and first not in _SUBJECTS["nl"] and _lemma(first, "nl").endswith("n")


@dataclass
class _Part:
    start: int  # offset of the part's question (after its lead-in) in the lowered text
    text: str
    kind: str  # open, closed, advice, or "said" (a statement that asks nothing)
    words: list[tuple[int, int]]


def _parts(lowered: str, lang: str) -> list[tuple[int, str]]:
    """The text's parts with their offsets: cut at punctuation and at a conjunction that starts a question."""
    found = []
    for m in _PARTS.finditer(lowered):
        chunk = m.group()
        cuts = [0, *(j.start() + 1 for j in _compiled(lang)["join"].finditer(chunk)), len(chunk)]
        for a, b in zip(cuts, cuts[1:], strict=False):
            piece = chunk[a:b]
            letter = _WORD.search(piece)
            if letter:  # a part starts at its first word: no emoji, digits or quotes in front
                found.append((m.start() + a + letter.start(), piece[letter.start() :].rstrip()))
    return found


def _read(offset: int, part: str, lang: str, asks: bool) -> _Part:
    """What one part is: open, closed, advice, or a statement (``asks``: the part ends with '?')."""
    rx = _compiled(lang)
    conjunction = re.match(r"(?:en|of|maar|and|or|but)\s+", part)
    skip = conjunction.end() if conjunction else 0
    lead = rx["lead"].match(part, skip)
    skip = lead.end() if lead else skip
    rest = part[skip:]
    at = offset + skip
    m = rx["advice_start"].match(rest)
    if m:
        return _Part(at, rest, "advice", [(at, at + m.end())])
    if rx["open"].match(rest) or re.fullmatch(r"(?:en\s+)?(?:toen|dan)|(?:and\s+)?then|what\s+then", rest):
        hit = rx["advice_in_open"].search(rest)
        if hit:
            return _Part(at, rest, "advice", [(at + hit.start(), at + hit.end())])
        return _Part(at, rest, "open", [])
    words = []
    for pattern in rx["advice"]:
        hit = pattern.search(rest)
        if hit:
            words.append((at + hit.start(), at + hit.end()))
    for w in _WORD.finditer(rest):
        if w.group() in _ADVICE_LEMMAS[lang] or _lemma(w.group(), lang) in _ADVICE_LEMMAS[lang]:
            doing = _DOING[lang].match(w.group()) if lang == "nl" else w.group().endswith("ing")
            if not (doing and (lang == "nl" or _DOING["en"].search(rest[: w.start()]))):
                words.append((at + w.start(), at + w.end()))
    if words:
        return _Part(at, rest, "advice", sorted(set(words)))
    if re.match(r"(?:stel\s+(?:je\s+(?:eens\s+)?voor\s+)?(?:nou\s+)?dat|suppose|imagine|say)\b", rest):
        return _Part(at, rest, "said", [])  # a supposition sets up the question that follows it
    if _verb_first(rest, lang):
        first_two = re.match(r"\S+\s+\S+", rest)
        return _Part(at, rest, "closed", [(at, at + first_two.end())] if first_two else [])
    if re.search(r"\b(?:klopt\s+(?:dat|het)|toch|of\s+niet|right|or\s+not|is\s+that\s+so)\s*$", rest):
        return _Part(at, rest, "closed", [(at, at + len(rest))])
    if lead and lead.group(2):
        return _Part(at, rest, "closed", [(offset, at)])
    if lead and lead.group(1):
        if re.match(r"(?:of|whether|if)\b", rest):
            return _Part(at, rest, "closed", [(at, at + len(rest.split()[0]))])
        return _Part(at, rest, "open", [])
    return _Part(at, rest, "closed" if asks else "said", [])


def check(text: str, hint: str = "nl") -> Verdict:
    """Read a question: its label, the words that made it closed or advice, a suggestion, soft hints.

    ``text`` is any string (a non-string reads as empty); ``hint`` is the
    author's language, used when the text itself does not tell. Fast (well
    under a millisecond once simplemma's tables are loaded) and never raises.
    """
    text = text if isinstance(text, str) else ""
    lang = language_of(text, hint)
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lowered: keep offsets true
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    lowered, where = _standard(lowered, lang)
    parts = []
    for offset, piece in _parts(lowered, lang):
        if parts and re.match(r"(?:of|or)\s", piece):
            continue  # "ben je boos, of vooral teleurgesteld?" is one question: a choice
        end = offset + len(piece)
        asks = lowered[end : end + 3].lstrip().startswith("?")
        parts.append(_read(offset, piece, lang, asks))
    questions = [p for p in parts if p.kind != "said"]
    if not questions:
        questions = [_Part(0, lowered, "closed", [])] if parts else []
    if not questions:
        return Verdict("open", lang)
    advice = [p for p in questions if p.kind == "advice"]
    main = advice[0] if advice else questions[0]
    hints = []
    if sum(len(_WORD.findall(p.text)) >= 2 for p in questions) >= 2:
        hints.append("stacked")
    if _compiled(lang)["why_blame"].match(main.text):
        hints.append("why_blame")
    after = parts[parts.index(questions[0]) :] if questions[0] in parts else parts
    if main.kind != "advice" and any(_compiled(lang)["self"].search(_QUOTED.sub("", p.text)) for p in after):
        hints.append("about_self")
    spans = sorted(
        {w for p in questions if p.kind == main.kind for w in p.words}, key=lambda w: (w[0], -w[1])
    )
    words = tuple(
        (where[a], where[b])
        for i, (a, b) in enumerate(spans)
        if not any(c <= a and b <= d for c, d in spans[:i])
    )
    return Verdict(main.kind, lang, words, _suggestion(main, lang), tuple(hints))


def _standard(lowered: str, lang: str) -> tuple[str, list[int]]:
    """``lowered`` with typed and spoken spellings in their standard form (``_SPELLINGS``), and for each
    offset into the result (its end included) the offset in ``lowered`` it came from."""
    lowered = lowered.replace("’", "'").replace("‘", "'")
    out, where, done = [], [], 0
    for m in _WORD.finditer(lowered):
        word = m.group()
        form = _SPELLINGS[lang].get(word)
        if lang == "nl" and word in _BEFORE_GE and _GE.match(lowered, m.end()):
            form = _BEFORE_GE[word]
        if form is None or form == word:
            continue
        out.append(lowered[done : m.start()])
        where.extend(range(done, m.start()))
        out.append(form)
        where.extend(m.start() + min(i, len(word) - 1) for i in range(len(form)))
        done = m.end()
    if not where:
        return lowered, list(range(len(lowered) + 1))
    out.append(lowered[done:])
    where.extend(range(done, len(lowered) + 1))
    return "".join(out), where


def _suggestion(part: _Part, lang: str) -> str | None:
    """The catalogue key of an open question that asks what ``part`` wanted to know, openly."""
    if part.kind == "open":
        return None
    if part.kind == "advice":
        if re.match(
            r"(?:waarom|why|wat\s+(?:houdt|weerhoudt)|what(?:'s|\s+is)\s+stopping|what\s+keeps)", part.text
        ):
            return "coach.suggest.hard"
        if re.search(
            r"\b(?:denk|vind|ben|was|had)\s+(?:je|jij)\b|\b(?:don'?t|aren'?t|weren'?t)\s+you\b|"
            r"\bshould\s+have\b|\bisn'?t\s+it\b|\bis\s+het\s+niet\b",
            part.text,
        ):
            return "coach.suggest.see"
        return "coach.suggest.tried"
    if _compiled(lang)["feel"].search(part.text):
        return "coach.suggest.feel"
    return "coach.suggest.more"
