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


def test_drop_entries_refuses_ids_that_name_nothing_and_reads_id_lists(mini, tmp_path) -> None:
    import pytest

    from gazetteers.writer import drop_entries, read_id_list
    from nerloop.errors import NerloopError

    substation = next(iter(mini.entries("Substation")))
    ids = tmp_path / "removed.txt"
    ids.write_text(f"# removed for evaluation\n\n{substation.id}  # a comment\n", "utf-8")
    assert read_id_list(ids) == [substation.id]
    counts = drop_entries(mini, tmp_path / "out", read_id_list(ids))
    assert counts["Substation"] == len(list(mini.entries("Substation"))) - 1
    assert substation.id not in load_gazetteer(tmp_path / "out", use_cache=False)
    with pytest.raises(NerloopError, match="not in the gazetteer: 山东省/无此县"):
        drop_entries(mini, tmp_path / "bad", ["山东省/无此县"], source="ids.txt")
    assert not (tmp_path / "bad").exists()
