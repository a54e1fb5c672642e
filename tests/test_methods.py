"""Method files: the shipped ones validate; broken ones say which file, which field, what is wrong."""

import copy
import subprocess
import sys

import pytest
import yaml

from intervisie.cli import app_or_exit
from intervisie.cli import main as cli
from intervisie.methods import MethodError, default_directory, load_methods, parse_method
from tests.support import ROOT, parse_error

DEFAULT = yaml.safe_load((default_directory() / "vijf-fasen.yaml").read_text(encoding="utf-8"))


def test_shipped_methods_validate():
    methods = load_methods(default_directory())
    five = methods["vijf-fasen"]
    assert [s.id for s in five.steps] == [
        "check-in", "casus", "vragen", "perspectieven", "oorzaken", "oplossingen", "opbrengst", "afsluiting",
    ]  # fmt: skip
    for step in five.steps:
        for lang in ("nl", "en"):
            assert step.names[lang] and step.purpose[lang] and step.instructions[lang]


def broken(change):
    return parse_error(parse_method, DEFAULT, change)


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda d: d.pop("steps"), "", "missing field 'steps'"),
        (lambda d: d["steps"][2].update(minutes=0), "steps[2].minutes", "whole number"),
        (lambda d: d["steps"][2].update(minutes="15"), "steps[2].minutes", "whole number"),
        (lambda d: d["steps"][1]["names"].pop("en"), "steps[1].names.en", "missing or empty"),
        (
            lambda d: d["steps"][2]["contribute"][0].update(kind="gossip"),
            "steps[2].contribute[0].kind",
            "one of",
        ),
        (
            lambda d: d["steps"][2]["contribute"][0].update(roles=["boss"]),
            "steps[2].contribute[0].roles[0]",
            "one of",
        ),
        (lambda d: d["steps"][2]["rules"].append("telepathy"), "steps[2].rules[2].type", "one of"),
        (lambda d: d["steps"][3].update(colour="red"), "steps[3].colour", "unknown field"),
        (lambda d: d["steps"][4].update(id="vragen"), "steps[4].id", "used twice"),
        (lambda d: d["steps"][0]["rules"][0].update(count=0), "steps[0].rules[0].count", "whole number"),
        (
            lambda d: d["steps"][3]["contribute"].append({"kind": "cause", "roles": ["case_bringer"]}),
            "steps[3].rules",
            "case bringer listens",
        ),
        (lambda d: d.update(audience="everyone"), "audience", "one of"),
        (lambda d: d.update(id="Vijf Fasen"), "id", "lower-case"),
    ],
)
def test_broken_method_names_file_field_and_problem(change, where, problem):
    error = broken(change)
    assert error.source == "broken.yaml"
    assert error.where == where
    assert problem in error.problem
    assert str(error).startswith(f"broken.yaml: {where}: ")


def test_invalid_yaml_names_the_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("id: x\nsteps: [\n", encoding="utf-8")
    with pytest.raises(MethodError) as caught:
        load_methods(tmp_path)
    assert caught.value.source == "bad.yaml" and "line" in caught.value.where


def test_duplicate_method_ids_across_files(tmp_path):
    text = (default_directory() / "vijf-fasen.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(MethodError, match="also defined in a.yaml"):
        load_methods(tmp_path)


def test_cli_check_reports_ok_and_errors(tmp_path, capsys):
    assert cli(["methods", "check"]) == 0
    assert "ok: vijf-fasen.yaml" in capsys.readouterr().out
    document = copy.deepcopy(DEFAULT)
    document["steps"][2]["minutes"] = -5
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    assert cli(["methods", "check", str(tmp_path)]) == 1
    assert "x.yaml: steps[2].minutes: must be a whole number" in capsys.readouterr().err


def test_broken_file_stops_the_server_without_a_stack_trace(tmp_path):
    (tmp_path / "x.yaml").write_text("id: x\n", encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        app_or_exit({"METHODS_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})
    assert "x.yaml" in str(caught.value.code) and "missing field" in str(caught.value.code)


def test_entry_point_refuses_to_start_on_a_broken_file(tmp_path):
    (tmp_path / "x.yaml").write_text("id: x\nnames: 3\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "wsgi.py")],
        env={
            "PATH": "/usr/bin:/bin",
            "INTERVISIE_METHODS_DIR": str(tmp_path),
            "INTERVISIE_INSTANCE_PATH": str(tmp_path),
            "INTERVISIE_ASYNC_MODE": "threading",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "x.yaml" in result.stderr and "Traceback" not in result.stderr
