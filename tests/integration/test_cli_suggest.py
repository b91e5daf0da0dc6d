"""``nerloop gazetteer suggest`` over gold labels in the store."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from active_learning.batch import text_hash
from nerloop.cli.app import app
from nerloop.records import Entity, TaggedQuery
from nerloop.store import GoldLabel, open_store, session_scope

runner = CliRunner()


def _gold(db: str, *records: TaggedQuery) -> None:
    with session_scope(open_store(db)) as session:
        for i, record in enumerate(records):
            session.add(
                GoldLabel(text_hash=text_hash(record.text), record=record.to_dict(), source="t", annotation_id=str(i))
            )


def test_suggest_writes_rows_ready_for_the_level_file(tmp_path, mini_dir):
    db = f"sqlite:///{tmp_path / 's.db'}"
    text = "本月巨野新华供电所投诉"
    _gold(db, TaggedQuery(text, (Entity("Company", 2, 4, "巨野"), Entity("Substation", 4, 9, "新华供电所"))))
    printed = runner.invoke(app, ["gazetteer", "suggest", str(mini_dir), "--db", db])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout.splitlines()[1] == f"substations.csv,新华供电所,山东省/菏泽市/巨野县供电公司,1,{text}"

    written = runner.invoke(app, ["gazetteer", "suggest", str(mini_dir), "--db", db, "--out", str(tmp_path / "new")])
    assert written.exit_code == 0, written.output
    with (tmp_path / "new" / "substations.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert rows == [{"name": "新华供电所", "parent": "山东省/菏泽市/巨野县供电公司", "count": "1", "examples": text}]
