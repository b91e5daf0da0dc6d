"""Unbounded work refused up front: grammar length and depth limits, the disk-space estimate."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections import namedtuple
from pathlib import Path

import pytest

import nerloop.export
from generator.config import GeneratorConfig
from generator.errors import GrammarError
from generator.estimate import estimate_bytes, human_bytes
from generator.grammar import MAX_DEPTH, load_grammar, parse_grammar
from generator.pipeline import generate_dataset
from nerloop.domain import load_domain
from nerloop.errors import DiskSpaceError, NerloopError, UsageError
from nerloop.outdir import MANIFEST
from nerloop.records import TaggedQuery

DOMAIN = load_domain()
REFERENCE = dt.date(2026, 11, 25)


def doubling(levels: int) -> str:
    """Each fragment writes the next one twice: 2**levels characters from a few lines of YAML."""
    fragments = "".join(f"  f{i}: ['{{{{f{i + 1}}}}}{{{{f{i + 1}}}}}']\n" for i in range(levels))
    return f"fragments:\n{fragments}  f{levels}: [ab]\ntemplates:\n  - '{{{{f0}}}}{{{{indicator}}}}'\n"


def test_a_doubling_grammar_is_rejected_at_parse_time_with_the_line():
    started = time.perf_counter()
    with pytest.raises(GrammarError) as caught:
        parse_grammar(doubling(60), DOMAIN, "g.yaml")
    assert time.perf_counter() - started < 2
    (problem,) = caught.value.problems
    # f51 writes 2**9 times "ab", 1024 characters: the innermost fragment over 1000, on line 53
    assert (
        str(problem)
        == "g.yaml:53: fragment 'f51' can expand to 1,024 characters (limit 1000); shorten it or what it uses"
    )


def test_a_grammar_nested_deeper_than_the_limit_is_rejected():
    chain = "".join(f"  f{i}: ['{{{{f{i + 1}}}}}']\n" for i in range(MAX_DEPTH + 5))
    text = f"fragments:\n{chain}  f{MAX_DEPTH + 5}: [x]\ntemplates:\n  - '{{{{f0}}}}'\n"
    with pytest.raises(GrammarError, match=f"nests {MAX_DEPTH + 1} fragments deep"):
        parse_grammar(text, DOMAIN)


def test_a_long_literal_template_is_rejected():
    with pytest.raises(GrammarError, match="template 't1' can write queries of 1,201 characters"):
        parse_grammar(f"templates:\n  - '{'查' * 1200}{{{{indicator}}}}'\n", DOMAIN)


def test_the_default_grammar_is_within_the_limits():
    assert load_grammar(None, DOMAIN).templates


def test_a_gbk_grammar_is_one_located_problem(tmp_path: Path):
    path = tmp_path / "g.yaml"
    path.write_bytes("templates:\n  - '{{city}}投诉'\n".encode("gbk"))
    with pytest.raises(NerloopError) as caught:
        load_grammar(path, DOMAIN)
    assert str(caught.value.problems[0]).startswith(f"{path}:2: not valid UTF-8: byte 0xcb at byte offset 26")


def test_estimate_scales_the_sample_to_n_and_counts_each_export():
    record = TaggedQuery("本月菏泽投诉")
    one = estimate_bytes([record] * 10, 1000, (), DOMAIN)
    assert one == 1000 * (len(record.to_json().encode()) + 1)
    assert estimate_bytes([record] * 10, 1000, ("bio", "alpaca"), DOMAIN) > 2 * one
    assert human_bytes(1_234_000_000) == "1.2 GB"


def test_a_run_that_does_not_fit_is_refused_before_writing(mini, tmp_path: Path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 20 << 20, 20 << 20))
    grammar = load_grammar(None, DOMAIN)
    config = GeneratorConfig(n=100_000, seed=1, reference_date=REFERENCE)
    with pytest.raises(DiskSpaceError, match=r"would write about [\d.]+ MB to .* but only 21.0 MB are free"):
        generate_dataset(mini, grammar, tmp_path, config)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".nerloop.lock"]
    small = GeneratorConfig(n=50, seed=1, reference_date=REFERENCE)
    generate_dataset(mini, grammar, tmp_path, small, force=True)
    assert (tmp_path / MANIFEST).is_file()


def test_a_missing_export_package_is_reported_before_sampling(mini, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(nerloop.export, "find_spec", lambda name: None, raising=False)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(NerloopError, match=r"--export hf needs the datasets, pyarrow package\(s\)"):
        generate_dataset(mini, load_grammar(None, DOMAIN), tmp_path, GeneratorConfig(n=10), exports=("hf",))
    assert not tmp_path.joinpath(MANIFEST).exists()


@pytest.mark.parametrize("ratios", [(float("nan"), 0.1, 0.1), (float("inf"), 0.1, 0.1), (0.8, -0.1, 0.3)])
def test_split_ratios_that_are_not_finite_non_negative_numbers_are_refused(ratios):
    with pytest.raises(UsageError, match="split ratios"):
        GeneratorConfig(split_ratios=ratios)
