"""The question coach measured: precision and recall per label and language, and its speed.

Reads ``tests/data/questions_nl.tsv`` and ``questions_en.tsv`` (text, label,
split, tags), runs ``intervisie.coach.check`` on every question and prints a
Markdown table per split (dev: the part the rules were written against;
heldout: never looked at while writing them; fresh and fresh2: later batches
by other hands, each measured once before the rules saw it, then used for
tuning; fresh3 and fresh4: each written after a round of fixes and measured
once, never tuned on), the soft hints' recall on the tagged questions, and the
mean and 99th-percentile time per question after a warm-up. ``--errors`` lists
the questions it gets wrong in the splits tuned on (``TUNED``), so the held-out,
fresh3 and fresh4 parts stay unseen.

    .venv/bin/python bench/coach.py [--errors]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from intervisie import coach

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SPLITS = ("dev", "heldout", "fresh", "fresh2", "fresh3", "fresh4")
TUNED = ("dev", "fresh", "fresh2")


def load(lang: str) -> list[dict]:
    """The labelled questions of one language, as dicts of the file's columns."""
    with (DATA / f"questions_{lang}.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def scores(rows: list[dict], lang: str) -> dict[str, tuple[float, float, int]]:
    """Per label: (precision, recall, how many questions carry the label)."""
    guessed = [coach.check(r["text"], lang).label for r in rows]
    result = {}
    for label in coach.LABELS:
        true = sum(g == label and r["label"] == label for g, r in zip(guessed, rows, strict=True))
        said = sum(g == label for g in guessed)
        real = sum(r["label"] == label for r in rows)
        result[label] = (true / said if said else 0.0, true / real if real else 0.0, real)
    return result


def hint_recall(rows: list[dict], lang: str) -> dict[str, tuple[int, int, int]]:
    """Per hint: (tagged and found, tagged, found on an untagged question)."""
    result = {}
    for hint in coach.HINTS:
        found = [hint in coach.check(r["text"], lang).hints for r in rows]
        tagged = [hint in r["tags"].split(",") for r in rows]
        result[hint] = (
            sum(f and t for f, t in zip(found, tagged, strict=True)),
            sum(tagged),
            sum(f and not t for f, t in zip(found, tagged, strict=True)),
        )
    return result


def speed(texts: list[str]) -> tuple[float, float]:
    """Mean and 99th-percentile milliseconds per question, after one warm-up pass."""
    for text in texts:
        coach.check(text)
    times = []
    for text in texts * 5:
        start = time.perf_counter()
        coach.check(text)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.mean(times), statistics.quantiles(times, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--errors", action="store_true", help="list the questions it gets wrong in the splits tuned on"
    )
    args = parser.parse_args()
    data = {lang: load(lang) for lang in ("nl", "en")}
    for split in (s for s in SPLITS if any(r["split"] == s for rows in data.values() for r in rows)):
        print(f"\n### {split}\n")
        print("| language | label | n | precision | recall |")
        print("|---|---|---:|---:|---:|")
        for lang, rows in data.items():
            part = [r for r in rows if r["split"] == split]
            for label, (p, r, n) in scores(part, lang).items():
                print(f"| {lang} | {label} | {n} | {p:.2f} | {r:.2f} |")
    print("\n### soft hints (all questions)\n")
    print("| language | hint | found / tagged | on untagged |")
    print("|---|---|---:|---:|")
    for lang, rows in data.items():
        for hint, (hit, tagged, extra) in hint_recall(rows, lang).items():
            print(f"| {lang} | {hint} | {hit} / {tagged} | {extra} |")
    mean, p99 = speed([r["text"] for rows in data.values() for r in rows])
    print(f"\nspeed: {mean:.3f} ms per question on average, {p99:.3f} ms at the 99th percentile")
    if args.errors:
        print(f"\n### {', '.join(TUNED)} questions read wrongly\n")
        for lang, rows in data.items():
            for r in rows:
                got = coach.check(r["text"], lang)
                if r["split"] in TUNED and got.label != r["label"]:
                    print(f"{lang} {r['split']:<6} {r['label']:>6} -> {got.label:<6} {r['text']}")


if __name__ == "__main__":
    main()
