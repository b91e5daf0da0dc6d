"""``nerloop gazetteer …`` end to end, in a subprocess like a user's shell."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def nerloop(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "nerloop", *args], capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_check_passes_on_the_embedded_default():
    result = nerloop("gazetteer", "check", "--json", check=True)
    summary = json.loads(result.stdout)
    counts = {t["type"]: t["entries"] for t in summary["types"]}
    assert counts["Province"] == 1 and counts["City"] == 16 and counts["Substation"] > 1500


def test_check_lists_every_problem_and_exits_non_zero(mini_copy):
    (mini_copy / "companies.csv").write_text("name,parent\n巨野县供电公司,荷泽市\n", "utf-8")
    (mini_copy / "indicators.csv").write_text("指标\n投诉\n", "utf-8")
    result = nerloop("gazetteer", "check", str(mini_copy))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"{mini_copy / 'companies.csv'}:2: unknown parent '荷泽市'")
    assert lines[-1].startswith("error: gazetteer")
    assert any(line.startswith(f"{mini_copy / 'indicators.csv'}:1: missing required column(s) name") for line in lines)
    assert "Traceback" not in result.stderr


def test_check_warns_on_measure_word_aliases_but_passes(mini_copy):
    """mini's indicators.csv lists 投诉量: indicator 投诉 plus the measure word 量."""
    result = nerloop("gazetteer", "check", str(mini_copy), check=True)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: {mini_copy / 'indicators.csv'}:2: alias '投诉量' of '投诉' is Indicator '投诉' plus the measure"
        " word '量'; measure words are not part of a mention: drop the alias"
    ]
    default = nerloop("gazetteer", "check", "--json", check=True)
    assert json.loads(default.stdout)["warnings"] == [] and "warning" not in default.stderr


def test_missing_directory_is_one_line():
    result = nerloop("gazetteer", "check", "/nonexistent/gaz")
    assert result.returncode != 0
    assert result.stderr.strip() == "error: gazetteer directory /nonexistent/gaz does not exist"


def test_stats_reports_shared_names(mini_dir):
    result = nerloop("gazetteer", "stats", str(mini_dir), "--json", check=True)
    substations = next(t for t in json.loads(result.stdout)["types"] if t["type"] == "Substation")
    assert substations["shared_names"] == 2
    assert substations["ambiguous_surface_forms"] > 0


@pytest.mark.slow
def test_national_build_passes_check(tmp_path):
    out = tmp_path / "cn"
    built = nerloop("gazetteer", "build-cn", str(out), check=True)
    assert "Substation: 38723" in built.stdout
    summary = json.loads(nerloop("gazetteer", "check", str(out), "--json", check=True).stdout)
    counts = {t["type"]: t["entries"] for t in summary["types"]}
    assert counts == {"Province": 33, "City": 333, "Company": 2845, "Substation": 38723, "Indicator": 16, "Date": 0}
    assert (out / "NOTICE.md").read_text("utf-8").count("MIT License") == 1
    # the default grammar must work with the national gazetteer (its template text names no township)
    data = tmp_path / "data"
    generated = nerloop(
        "generate", "--gazetteer", str(out), "--out", str(data), "-n", "2000", "--db", f"sqlite:///{tmp_path / 's.db'}"
    )
    assert generated.returncode == 0, generated.stderr
    assert sum(1 for _ in (data / "train.jsonl").open(encoding="utf-8")) == 1600


def test_build_one_province_and_unknown_province(tmp_path):
    nerloop("gazetteer", "build-cn", str(tmp_path / "sd"), "--province", "山东", check=True)
    assert nerloop("gazetteer", "check", str(tmp_path / "sd")).returncode == 0
    bad = nerloop("gazetteer", "build-cn", str(tmp_path / "x"), "--province", "火星省")
    assert bad.returncode == 1 and bad.stderr.startswith("error: unknown province '火星省'")


def test_help_documents_every_command():
    out = nerloop("gazetteer", "--help", check=True).stdout
    for command in ("check", "stats", "build-cn"):
        assert command in out
