from __future__ import annotations

import subprocess
import sys

import pytest

from nerloop.convert.bio import record_to_bio
from nerloop.convert.errors import ConvertError
from nerloop.convert.hf import dataset_to_records, records_to_dataset
from nerloop.records import Entity, TaggedQuery


def test_dataset_round_trips_records_losslessly(records, domain):
    ds = records_to_dataset(records, domain)
    assert ds.column_names == ["text", "tokens", "ner_tags", "entities", "record"]
    assert dataset_to_records(ds) == records


def test_columns_hold_characters_and_bio_tags(records, domain):
    ds = records_to_dataset(records, domain)
    names = ds.features["ner_tags"].feature.names
    assert names[0] == "O"
    for row, record in zip(ds, records):
        assert row["tokens"] == list(record.text)
        assert [names[i] for i in row["ner_tags"]] == record_to_bio(record)
        assert [(e["type"], e["start"], e["end"], e["text"], e["id"]) for e in row["entities"]] == [
            (e.type, e.start, e.end, e.text, e.id) for e in record.entities
        ]


def test_type_outside_the_domain_is_refused(domain):
    with pytest.raises(ConvertError, match="B-Town"):
        records_to_dataset([TaggedQuery("城关", (Entity("Town", 0, 2, "城关"),))], domain)


def test_convert_imports_without_datasets():
    code = "import sys; sys.modules['datasets'] = None; import nerloop.convert, nerloop.export; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
