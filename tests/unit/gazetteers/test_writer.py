"""Writing a gazetteer back to CSV, with held-out entries left out (``gazetteer_train/``)."""

from __future__ import annotations

from gazetteers import load_gazetteer
from gazetteers.writer import write_gazetteer_dir


def test_written_gazetteer_loads_back_with_the_same_ids_minus_the_excluded_subtrees(mini, tmp_path) -> None:
    company = next(e for e in mini.entries("Company") if mini.descendants(e.id, "Substation"))
    below = set(mini.descendants(company.id, "Substation"))
    write_gazetteer_dir(mini, tmp_path / "reduced", {company.id})
    reduced = load_gazetteer(tmp_path / "reduced", use_cache=False)
    expected = {e.id for e in mini} - {company.id} - below
    assert {e.id for e in reduced} == expected
    for entry in reduced:
        original = mini.get(entry.id)
        assert (entry.name, entry.parent, entry.aliases) == (original.name, original.parent, original.aliases)
    assert reduced.domain == mini.domain
