from pathlib import Path

import pytest
import yaml

from gazetteers import load_gazetteer
from nerloop.errors import InputError


def _problems(directory: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_gazetteer(directory, use_cache=False)
    return [str(p) for p in info.value.problems]


def test_default_ids_are_paths_of_names(mini):
    (qilin,) = mini.lookup("麒麟", "Substation")
    assert qilin == "山东省/菏泽市/巨野县供电公司/麒麟供电所"
    assert mini.get(qilin).parent == "山东省/菏泽市/巨野县供电公司"


def test_same_name_under_different_parents_is_allowed(mini):
    assert len(mini.lookup("龙山供电所", "Substation")) == 2
    assert len(mini.lookup("市中区", "Company")) == 2


def test_parent_may_skip_a_level_for_municipalities(mini):
    (company,) = mini.lookup("东城", "Company")
    assert mini.ancestors(company) == ("北京市",)
    assert mini.chain_names(company) == {
        "Province": "北京市",
        "City": None,
        "Company": "东城区供电公司",
        "Substation": None,
    }


def test_explicit_aliases_and_extra_columns_are_kept(tmp_path, mini_copy):
    (mini_copy / "cities.csv").write_text(
        "name,parent,aliases,code\n济南市,山东省,泉城,370100\n枣庄市,山东省,,\n菏泽市,山东省,曹州|牡丹城,\n", "utf-8"
    )
    gazetteer = load_gazetteer(mini_copy, use_cache=False)
    (heze,) = gazetteer.lookup("牡丹城", "City")
    assert gazetteer.get(heze).name == "菏泽市"
    assert gazetteer.get(gazetteer.lookup("泉城", "City")[0]).meta == {"code": "370100"}


def test_gbk_file_is_read_correctly(mini_copy):
    path = mini_copy / "substations.csv"
    path.write_bytes(path.read_text("utf-8").encode("gbk"))
    gazetteer = load_gazetteer(mini_copy, use_cache=False)
    assert gazetteer.lookup("麒麟", "Substation")


def test_every_problem_is_reported_with_file_and_line(mini_copy):
    """The acceptance case: dangling parent, duplicate under one parent, GBK file, missing column at once."""
    (mini_copy / "companies.csv").write_text(
        "name,parent\n巨野县供电公司,菏泽市\n鄄城县供电公司,荷泽市\n曹县供电公司,菏泽市\n", "utf-8"
    )
    (mini_copy / "substations.csv").write_bytes(
        "name,parent\n麒麟供电所,巨野县供电公司\n城关供电所,曹县供电公司\n麒麟供电所,巨野县供电公司\n".encode("gbk")
    )
    (mini_copy / "indicators.csv").write_text("指标,aliases\n投诉,\n", "utf-8")
    problems = _problems(mini_copy)
    companies, substations, indicators = (
        str(mini_copy / f) for f in ("companies.csv", "substations.csv", "indicators.csv")
    )
    assert len(problems) == 3, problems
    assert problems[0] == f"{companies}:3: unknown parent '荷泽市': no City has this id or name; did you mean '菏泽市'?"
    assert problems[1].startswith(f"{substations}:4: duplicate name '麒麟供电所' under '山东省/菏泽市/巨野县供电公司'")
    assert "first at line 2" in problems[1]
    assert problems[2].startswith(f"{indicators}:1: missing required column(s) name")


def test_missing_parent_column(mini_copy):
    (mini_copy / "cities.csv").write_text("name,parents\n济南市,山东省\n", "utf-8")
    problems = _problems(mini_copy)
    assert problems[0].startswith(f"{mini_copy / 'cities.csv'}:1: missing required column(s) parent")


def test_dangling_parent_suggests_the_nearest_name(mini_copy):
    (mini_copy / "companies.csv").write_text("name,parent\n巨野县供电公司,荷泽市\n", "utf-8")
    (mini_copy / "substations.csv").write_text("name,parent\n", "utf-8")
    (problem,) = [p for p in _problems(mini_copy) if "companies.csv" in p]
    assert problem.endswith("did you mean '菏泽市'?")


def test_ambiguous_parent_name_lists_candidates(mini_copy):
    (mini_copy / "substations.csv").write_text("name,parent\n新站供电所,市中区供电公司\n", "utf-8")
    (problem,) = _problems(mini_copy)
    assert ":2: ambiguous parent '市中区供电公司'" in problem
    assert "山东省/济南市/市中区供电公司" in problem and "山东省/枣庄市/市中区供电公司" in problem


def test_missing_required_file_and_empty_name(mini_copy):
    (mini_copy / "indicators.csv").unlink()
    (mini_copy / "provinces.csv").write_text("name,aliases\n山东省,\n,鲁\n北京市,\n", "utf-8")
    problems = _problems(mini_copy)
    assert f"{mini_copy / 'indicators.csv'}: file not found; Indicator entries are required" in problems
    assert f"{mini_copy / 'provinces.csv'}:3: empty name" in problems


def test_undecodable_file_is_an_error_not_mojibake(mini_copy):
    (mini_copy / "indicators.csv").write_bytes("name\n投诉\n".encode("utf-16-le"))
    (problem,) = _problems(mini_copy)
    assert problem.startswith(f"{mini_copy / 'indicators.csv'}:2: not valid UTF-8: byte 0x95 at byte offset 10")


def test_tab_separated_utf16_excel_export(mini_copy):
    (mini_copy / "indicators.csv").write_bytes("name\taliases\n投诉\t投诉量\n".encode("utf-16"))
    gazetteer = load_gazetteer(mini_copy, use_cache=False)
    assert gazetteer.lookup("投诉量", "Indicator")


def test_cache_returns_an_equal_gazetteer_and_notices_edits(mini_copy):
    first = load_gazetteer(mini_copy)
    again = load_gazetteer(mini_copy)
    assert again.fingerprint == first.fingerprint and len(again) == len(first)
    with (mini_copy / "indicators.csv").open("a", encoding="utf-8") as stream:
        stream.write("停电,\n")
    changed = load_gazetteer(mini_copy)
    assert changed.fingerprint != first.fingerprint
    assert changed.lookup("停电", "Indicator")


def test_a_second_load_is_read_from_the_cache_not_rebuilt(mini_copy, monkeypatch):
    """The cache must really be read back (a failed read is swallowed and rebuilt, only slower)."""
    import gazetteers.loader as loader

    first = load_gazetteer(mini_copy)

    def rebuilt(*args, **kwargs):
        raise AssertionError("the gazetteer was rebuilt: its cache could not be read")

    monkeypatch.setattr(loader, "_build_entries", rebuilt)
    again = load_gazetteer(mini_copy)
    assert again is not first and again.fingerprint == first.fingerprint
    assert [e.id for e in again] == [e.id for e in first]


def test_domain_yaml_in_the_directory_overrides_the_default(tmp_path):
    (tmp_path / "domain.yaml").write_text(
        "name: retail\nhierarchy: [Region, Store]\ntypes:\n  Region: {file: regions.csv}\n  Store: {file: stores.csv}\n  Product: {file: products.csv}\n",
        "utf-8",
    )
    (tmp_path / "regions.csv").write_text("name\n华东\n", "utf-8")
    (tmp_path / "stores.csv").write_text("name,parent\n南京西路店,华东\n", "utf-8")
    (tmp_path / "products.csv").write_text("name\n咖啡\n", "utf-8")
    gazetteer = load_gazetteer(tmp_path, use_cache=False)
    assert gazetteer.domain.hierarchy == ("Region", "Store")
    assert gazetteer.path(gazetteer.lookup("南京西路店", "Store")[0]) == ("华东", "华东/南京西路店")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('"投\n诉",', "name '投\\n诉' contains U+000A"),
        ("投\t诉,", "name '投\\t诉' contains U+0009"),
        ("投\u200b诉,", "name '投\\u200b诉' contains U+200B (ZERO WIDTH SPACE)"),
        ("投诉,投\u200d诉量", "aliases '投\\u200d诉量' contains U+200D (ZERO WIDTH JOINER)"),
    ],
)
def test_names_with_control_or_invisible_characters_are_errors(mini_copy, row, message):
    (mini_copy / "indicators.csv").write_text(f"name,aliases\n意见,\n{row}\n", "utf-8")
    (problem,) = _problems(mini_copy)
    assert problem.startswith(f"{mini_copy / 'indicators.csv'}:3: {message}")


def test_a_header_without_rows_is_an_error_unless_the_type_is_optional(mini_copy):
    (mini_copy / "indicators.csv").write_text("name,aliases\n", "utf-8")
    (problem,) = _problems(mini_copy)
    assert problem.startswith(f"{mini_copy / 'indicators.csv'}:1: a header and no rows")
    (mini_copy / "indicators.csv").write_text("name\n投诉\n", "utf-8")
    (mini_copy / "dates.csv").write_text("name\n", "utf-8")  # Date is file_required: false
    load_gazetteer(mini_copy, use_cache=False)


def test_a_field_over_the_csv_limit_is_a_located_problem(mini_copy):
    (mini_copy / "indicators.csv").write_text(f'name\n投诉\n"{"长" * 200_000}"\n', "utf-8")
    (problem,) = _problems(mini_copy)
    assert problem.startswith(f"{mini_copy / 'indicators.csv'}:3: bad CSV: field larger than field limit")


def test_domain_types_in_another_order_than_the_hierarchy_load_correctly(mini_copy, mini):
    data = yaml.safe_load((Path(__file__).parents[3] / "nerloop" / "data" / "domain.yaml").read_text("utf-8"))
    data["types"] = dict(reversed(data["types"].items()))  # Date, Indicator, Substation, …, Province
    (mini_copy / "domain.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    gazetteer = load_gazetteer(mini_copy, use_cache=False)
    assert gazetteer.domain.hierarchy == ("Province", "City", "Company", "Substation")
    assert len(gazetteer.entries("Substation")) == len(mini.entries("Substation"))


def test_a_gbk_domain_file_is_one_located_problem(mini_copy):
    (mini_copy / "domain.yaml").write_bytes("name: 电力\nhierarchy: [Province]\n".encode("gbk"))
    with pytest.raises(InputError) as caught:
        load_gazetteer(mini_copy, use_cache=False)
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{mini_copy / 'domain.yaml'}:1: not valid UTF-8: byte 0xb5 at byte offset 6")


def test_a_cache_write_that_fails_leaves_no_temporary_file(mini_copy, tmp_path, monkeypatch):
    import errno
    import pickle

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    cache = tmp_path / "cache"
    monkeypatch.setenv("NERLOOP_CACHE", str(cache))
    monkeypatch.setattr(pickle, "dump", full_disk)
    assert load_gazetteer(mini_copy).entries("Substation")  # the cache only costs speed
    assert list(cache.iterdir()) == []


def test_the_cache_key_follows_the_source_of_a_compiled_module(tmp_path):
    """A compiled module's extension is a stub whose bytes do not change with the source: hash the source."""
    from gazetteers.loader import _source_of

    stub = tmp_path / "model.cpython-311-x86_64-linux-gnu.so"
    stub.write_bytes(b"stub")
    assert _source_of(stub) == stub  # no source beside it (a wheel without sources): the stub is all there is
    (tmp_path / "model.py").write_text("x = 1\n", "utf-8")
    assert _source_of(stub) == tmp_path / "model.py"
    assert _source_of(tmp_path / "model.py") == tmp_path / "model.py"
