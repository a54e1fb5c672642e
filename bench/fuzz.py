"""Fuzz every client event 10,000 times and write the result to bench/FUZZ.md.

    .venv/bin/python bench/fuzz.py                 # 10,000 cases, writes bench/FUZZ.md
    .venv/bin/python bench/fuzz.py --cases 500 --out /tmp/fuzz.md

The cases and the checks are those of ``tests/test_fuzz.py`` (which runs a few
hundred in the suite): arbitrary JSON shapes, sizes and argument counts for
every event in docs/protocol.md, from every role, in every session status,
through the Flask-SocketIO test client on a fresh SQLite database. A case
fails when it gets no acknowledgement, ``server_error``, a refusal without a
code or message, or a refusal that changed the database.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intervisie.app import create_app  # noqa: E402
from tests.conftest import CONFIG  # noqa: E402
from tests.test_fuzz import UNLIMITED, World, run_many  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "FUZZ.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({**CONFIG, **UNLIMITED, "DATABASE_URL": f"sqlite:///{folder}/fuzz.sqlite3"})
        started = time.monotonic()
        result = run_many(World(app), args.cases, args.seed)
        seconds = time.monotonic() - started
    tally, problems = result["tally"], result["problems"]
    total = sum(tally.values())
    kinds: dict[str, int] = {}
    for problem, _case in problems:
        key = problem.split(":")[0]
        kinds[key] = kinds.get(key, 0) + 1
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# Fuzzing every client event",
        "",
        f"Run {datetime.date.today().isoformat()} on commit `{commit}` (plus the working tree) with",
        f"`.venv/bin/python bench/fuzz.py --cases {args.cases} --seed {args.seed}`: {total:,} cases in {seconds:.0f} s.",
        "The cases and checks are those of `tests/test_fuzz.py`; see bench/fuzz.py.",
        "",
        "## Result",
        "",
        f"- cases: **{total:,}**",
        f"- no acknowledgement: **{kinds.get('no acknowledgement', 0)}**",
        f"- `server_error`: **{kinds.get('server_error', 0)}**",
        f"- refused but changed the database: **{sum(v for k, v in kinds.items() if k.startswith('refused'))}**",
        f"- other malformed answers: **{sum(v for k, v in kinds.items() if k.startswith(('not an', 'refusal without')))}**",
        "",
    ]
    if problems:
        lines += ["## Problems (first 30)", ""]
        for problem, case in problems[:30]:
            lines.append(f"- {problem}: `{case!r}`"[:600])
        lines.append("")
    lines += ["## Answers per event", "", "| event | answers |", "|---|---|"]
    events = sorted({event for event, _ in tally})
    for event in events:
        answers = sorted(((code, n) for (e, code), n in tally.items() if e == event), key=lambda x: -x[1])
        lines.append(f"| `{event}` | " + ", ".join(f"{code} {n}" for code, n in answers) + " |")
    kept = ""  # the hand-written "## Findings" (what earlier runs found and how it was fixed) stays
    if args.out.exists() and "\n## Findings\n" in args.out.read_text(encoding="utf-8"):
        kept = "\n## Findings\n" + args.out.read_text(encoding="utf-8").split("\n## Findings\n", 1)[1]
    args.out.write_text("\n".join(lines) + "\n" + kept, encoding="utf-8")
    print("\n".join(lines[:16]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
