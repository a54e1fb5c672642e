"""The privacy guard measured: precision and recall per language and kind, and its speed.

Reads ``tests/data/privacy_nl.tsv`` and ``privacy_en.tsv`` (text,
has_personal_data, kinds, split, known: the session's own names, ``;``
between them, which the guard is told and must not flag), runs
``intervisie.privacy.findings`` on every sentence and prints a Markdown table
per split (dev: the part the guard was tuned on; heldout: never looked at
while tuning; fresh2: a later batch by other hands, measured once before
tuning, then tuned on; fresh3: written after, never tuned on): per sentence
(does it hold personal data of a third party?) and per kind (is that kind in
it?), and the median and 99th-percentile time per sentence after a warm-up.
``--errors`` lists the sentences it gets wrong in the splits tuned on
(``TUNED``; the held-out and fresh3 parts stay unseen).

    .venv/bin/python bench/privacy.py [--errors]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from intervisie import privacy

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
LANGUAGES = ("nl", "en")
SPLITS = ("dev", "heldout", "fresh2", "fresh3")
TUNED = ("dev", "fresh2")


def load(lang: str) -> list[dict]:
    """The labelled sentences of one language, as dicts of the file's columns."""
    with (DATA / f"privacy_{lang}.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def kinds_of(row: dict) -> set[str]:
    return {kind for kind in row["kinds"].split(",") if kind}


def known_of(row: dict) -> list[str]:
    """The names of the people in the session, which are not third parties."""
    return [name for name in (row.get("known") or "").split(";") if name]


def scores(rows: list[dict], found: list[set[str]]) -> dict[str, tuple[float, float, int]]:
    """Per sentence ("any") and per kind: (precision, recall, sentences that hold it)."""
    result = {}
    for kind in ("any", *privacy.KINDS):

        def has(kinds: set[str], kind=kind) -> bool:
            return bool(kinds) if kind == "any" else kind in kinds

        real = [has(kinds_of(row)) for row in rows]
        said = [has(kinds) for kinds in found]
        hits = sum(r and s for r, s in zip(real, said, strict=True))
        if sum(real) or sum(said):
            result[kind] = (
                hits / sum(said) if sum(said) else 0.0,
                hits / sum(real) if sum(real) else 0.0,
                sum(real),
            )
    return result


def speed(texts: list[str], lang: str) -> tuple[float, float]:
    """Median and 99th-percentile milliseconds per sentence, after one warm-up pass."""
    for text in texts:
        privacy.findings(text, lang)
    times = []
    for text in texts:
        start = time.perf_counter()
        privacy.findings(text, lang)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--errors", action="store_true", help="list the sentences it gets wrong in the splits tuned on"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    privacy.load()
    print(f"deduce loaded in {time.perf_counter() - start:.1f} s\n")
    for lang in LANGUAGES:
        rows = load(lang)
        found = [{f["kind"] for f in privacy.findings(row["text"], lang, known_of(row))} for row in rows]
        for split in SPLITS:
            part = [i for i, row in enumerate(rows) if row["split"] == split]
            if not part:
                continue
            table = scores([rows[i] for i in part], [found[i] for i in part])
            print(f"### {lang}, {split} ({len(part)} sentences)\n")
            print("| kind | precision | recall | sentences with it |\n|---|---|---|---|")
            for kind, (precision, recall, count) in table.items():
                print(f"| {kind} | {precision:.2f} | {recall:.2f} | {count} |")
            print()
        median, p99 = speed([row["text"] for row in rows], lang)
        print(f"{lang}: {median:.2f} ms per sentence (median), {p99:.2f} ms (99th percentile)\n")
        if args.errors:
            for row, kinds in zip(rows, found, strict=True):
                if row["split"] in TUNED and kinds != kinds_of(row):
                    print(f"  want {sorted(kinds_of(row))} got {sorted(kinds)}: {row['text']}")
            print()


if __name__ == "__main__":
    main()
