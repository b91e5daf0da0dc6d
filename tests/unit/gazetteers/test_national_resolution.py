"""Resolution over the national build, one table per failure class of issue 10 (new examples, not the issue's)."""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import time
from pathlib import Path

import pytest

from gazetteers import load_gazetteer
from gazetteers.build_cn import build_cn
from gazetteers.default import default_directory
from gazetteers.matcher import GazetteerMatcher

pytestmark = pytest.mark.slow
REFERENCE = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> GazetteerMatcher:
    out = tmp_path_factory.mktemp("cn")
    build_cn(Path(out))
    shutil.copyfile(default_directory() / "indicators.csv", out / "indicators.csv")
    return GazetteerMatcher(load_gazetteer(out))


def tag(matcher: GazetteerMatcher, text: str, consistent):
    resolution = matcher.tag(text, REFERENCE)
    consistent(matcher.gazetteer, resolution)
    return resolution.record


def filled(resolved: dict) -> dict:
    return {k: v for k, v in resolved.items() if v is not None}


@pytest.mark.parametrize(
    ("text", "mentions", "resolved"),
    [
        # municipalities: the province is the parent of the district company
        ("天津和平区的投诉", [("Province", "天津"), ("Company", "和平区")], {"Province": "天津市", "Company": "和平区供电公司"}),
        ("重庆渝中区停电", [("Province", "重庆"), ("Company", "渝中区")], {"Province": "重庆市", "Company": "渝中区供电公司"}),
        ("上海黄浦区投诉", [("Province", "上海"), ("Company", "黄浦区")], {"Province": "上海市", "Company": "黄浦区供电公司"}),
        # 市中区-style collisions and greedy segmentation: X市中区 is X + 市中区, X市南区 is X + 市南区
        ("枣庄市中区停电", [("City", "枣庄"), ("Company", "市中区")], {"Province": "山东省", "City": "枣庄市", "Company": "市中区供电公司"}),
        ("乐山市中区投诉", [("City", "乐山"), ("Company", "市中区")], {"Province": "四川省", "City": "乐山市", "Company": "市中区供电公司"}),
        ("青岛市南区投诉", [("City", "青岛"), ("Company", "市南区")], {"Province": "山东省", "City": "青岛市", "Company": "市南区供电公司"}),
        ("济南市中区投诉", [("City", "济南"), ("Company", "市中区")], {"Province": "山东省", "City": "济南市", "Company": "市中区供电公司"}),
    ],
)  # fmt: skip
def test_one_unit_resolves_to_its_chain(national, consistent, text, mentions, resolved):
    record = tag(national, text, consistent)
    assert [(e.type, e.text) for e in record.entities if e.type not in ("Indicator", "Date")] == mentions
    assert filled(record.resolved) == resolved
    assert record.conflict is False
    assert len(record.targets) == 1


@pytest.mark.parametrize(
    ("text", "targets", "shared"),
    [
        ("郓城和巨野哪个投诉多", ["郓城县供电公司", "巨野县供电公司"], {"Province": "山东省", "City": "菏泽市"}),
        ("章丘 vs 历城停电", ["章丘区供电公司", "历城区供电公司"], {"Province": "山东省", "City": "济南市"}),
        ("历城区和章丘区对比投诉", ["历城区供电公司", "章丘区供电公司"], {"Province": "山东省", "City": "济南市"}),
        ("对比淄博与潍坊的意见", ["淄博市", "潍坊市"], {"Province": "山东省"}),
        # the city fits both companies: it belongs to both targets
        ("淄博张店和临淄哪个停电多", ["张店区供电公司", "临淄区供电公司"], {"Province": "山东省", "City": "淄博市"}),
    ],
)
def test_comparisons_are_several_targets_not_a_conflict(national, consistent, text, targets, shared):
    record = tag(national, text, consistent)
    assert record.conflict is False and record.ambiguous == ()
    assert [t.resolved["Company"] or t.resolved["City"] for t in record.targets] == targets
    assert filled(record.resolved) == shared
    if text.startswith("淄博"):
        assert [t.mentions for t in record.targets] == [(0, 1), (0, 2)]


@pytest.mark.parametrize(
    "text",
    [
        "长城宽带的投诉",
        "新华书店的意见",
        "太平洋保险的意见",
        "双汇火腿的投诉",
        "王城关反映停电",
        "刷新天气投诉",
        "东方明珠的意见",
    ],
)
def test_short_forms_inside_ordinary_words_are_not_places(national, consistent, text):
    record = tag(national, text, consistent)
    assert [e.type for e in record.entities] == ["Indicator"]
    assert record.targets == () and set(record.resolved.values()) == {None}


def test_a_weak_short_form_that_contradicts_a_known_chain_is_dropped(national, consistent):
    # 长城 (townships far away) inside 长城汽车 must not turn 菏泽's query into a conflict;
    # 太平 must not make 日照 read as a township to fit it
    record = tag(national, "菏泽长城汽车的投诉", consistent)
    assert [e.text for e in record.entities] == ["菏泽", "投诉"]
    assert (record.conflict, record.resolved["City"]) == (False, "菏泽市")
    record = tag(national, "日照太平洋保险的意见", consistent)
    assert [(e.type, e.text) for e in record.entities] == [("City", "日照"), ("Indicator", "意见")]


def test_unknown_name_before_an_organisation_suffix_is_one_unlinked_mention(national, consistent):
    record = tag(national, "菏泽石门渠供电所投诉", consistent)
    assert [(e.type, e.text, e.id) for e in record.entities[:2]] == [
        ("City", "菏泽", "山东省/菏泽市"),
        ("Substation", "石门渠供电所", None),
    ]
    assert record.conflict is False and record.resolved["City"] == "菏泽市"


def test_explain_shows_the_alternative_that_lost(national):
    explained = national.tag("枣庄市中区停电", REFERENCE).segmentation.explain()
    assert [m["text"] for m in explained["chosen"]] == ["枣庄", "市中区", "停电"]
    lost = {m["text"]: m["why_not"] for m in explained["alternatives"]}
    assert "枣庄市" in lost and "score higher" in lost["枣庄市"]


def test_a_200_kb_line_is_tagged_in_linear_time(national):
    filler = "请问一下这个系统的数据什么时候能够完成刷新，我们部门需要尽快拿到报表。"
    query = "本月菏泽巨野县麒麟供电所投诉，对比郓城和巨野的意见，"
    unit = filler * 5 + query
    line = unit * (200_000 // len(unit))
    gc.freeze()  # as the CLI does after loading: the gazetteer's objects stay out of collections
    try:
        started = time.perf_counter()
        record = national.tag(line, REFERENCE).record
        seconds = time.perf_counter() - started
    finally:
        gc.unfreeze()
    assert len(record.entities) > 5000
    assert seconds < 3.0, f"{seconds:.2f} s for {len(line)} characters"  # about 1 s on the CI-class machine


@pytest.mark.parametrize(
    ("text", "type_name", "names"),
    [
        ("城关、龙山、麒麟三个所哪个停电多", "Substation", ["城关", "龙山", "麒麟"]),
        ("城关和龙山两个公司投诉多", "Company", ["城关", "龙山"]),  # not 和龙 (a county in 吉林)
        ("城关和龙山两个所投诉多", "Substation", ["城关", "龙山"]),
    ],
)
def test_lists_are_typed_by_the_organisation_word_after_them(national, consistent, text, type_name, names):
    record = tag(national, text, consistent)
    listed = [e for e in record.entities if e.type != "Indicator"]
    assert [(e.type, e.text) for e in listed] == [(type_name, name) for name in names]
    assert len(record.targets) == len(names) and record.conflict is False
