from __future__ import annotations

from nerloop.convert.alpaca import dataset_info, instruction, record_to_alpaca
from nerloop.convert.xml import record_to_xml, xml_to_entities


def test_instruction_names_every_type_and_the_uniqueness_rule(domain):
    text = instruction(domain)
    for name, t in domain.types.items():
        assert f"{name}（{t.label}）" in text
        assert t.description in text
    assert " > ".join(domain.hierarchy) in text
    assert "唯一" in text and "不要补全" in text


def test_example_is_instruction_query_and_xml(example, domain):
    item = record_to_alpaca(example, domain)
    assert item == {"instruction": instruction(domain), "input": example.text, "output": record_to_xml(example, domain)}
    entities, completions = xml_to_entities(item["output"], item["input"], domain)
    assert [e.text for e in entities] == ["菏泽", "麒麟供电所", "意见"]
    assert completions == {"Province": "山东省", "Company": "巨野县供电公司"}


def test_dataset_info_maps_splits_to_llama_factory_columns():
    assert dataset_info({"train": "train_alpaca.json", "test": "test_alpaca.json"}) == {
        "nerloop_train": {
            "file_name": "train_alpaca.json",
            "columns": {"prompt": "instruction", "query": "input", "response": "output"},
        },
        "nerloop_test": {
            "file_name": "test_alpaca.json",
            "columns": {"prompt": "instruction", "query": "input", "response": "output"},
        },
    }
