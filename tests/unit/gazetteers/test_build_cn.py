import pytest

from gazetteers.build_cn import Division, administrative_base, rows_from_divisions, township_base

DIVISIONS = [
    Division(1, "370000", "", "山东省"),
    Division(1, "110000", "", "北京市"),
    Division(2, "371700", "370000", "菏泽市"),
    Division(3, "371724", "371700", "巨野县"),
    Division(4, "371724107", "371724", "麒麟镇"),
    Division(4, "371724001", "371724", "城关街道"),
    Division(4, "371724100", "371724", "城关镇"),
    Division(3, "110101", "110000", "东城区"),
    Division(4, "110101001", "110101", "东华门街道"),
    Division(2, "441900", "440000", "东莞市"),
]


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("巨野县", "巨野"),
        ("延边朝鲜族自治州", "延边"),
        ("博尔塔拉蒙古自治州", "博尔塔拉"),
        ("曹县", "曹县"),
        ("长阳土家族自治县", "长阳"),
        ("滨海新区", "滨海"),
        ("神农架林区", "神农架"),
        ("万柏林区", "万柏林"),
        ("六枝特区", "六枝"),
        ("井陉矿区", "井陉"),
        ("矿区", "矿区"),
        ("清新区", "清新"),
        ("海西蒙古族藏族自治州", "海西"),
        ("新疆维吾尔自治区", "新疆"),
        ("内蒙古自治区", "内蒙古"),
    ],
)
def test_administrative_base(name, base):
    assert administrative_base(name) == base


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("麒麟镇", "麒麟"),
        ("麒麟苗族乡", "麒麟"),
        ("解放路街道", "解放路"),
        ("水族乡", "水族"),
        ("十里望回族镇", "十里望"),
        ("得力其尔鄂温克民族乡", "得力其尔"),
        ("保安藏族乡", "保安"),
        ("郭勒布依乡", "郭勒布依"),  # Uyghur place name, not 布依族
    ],
)
def test_township_base(name, base):
    assert township_base(name) == base


def test_rows_follow_power_grid_naming_and_skip_missing_levels():
    rows = {r.id: r for r in rows_from_divisions(DIVISIONS)}
    qilin = rows["山东省/菏泽市/巨野县供电公司/麒麟供电所"]
    assert qilin.aliases == ("麒麟镇", "麒麟镇供电所")
    assert rows["山东省/菏泽市/巨野县供电公司"].aliases == ("巨野县", "巨野")
    # two townships with one base name under one county keep their full names
    assert "山东省/菏泽市/巨野县供电公司/城关街道供电所" in rows
    assert "山东省/菏泽市/巨野县供电公司/城关镇供电所" in rows
    # municipalities have no city level
    assert rows["北京市/东城区供电公司"].parent == "北京市"
    # a division whose parent is absent from the data is dropped, not attached to the wrong place
    assert not any(r.name == "东莞市" for r in rows.values())


def test_one_province_only():
    rows = rows_from_divisions(DIVISIONS, province="山东")
    assert {r.id.split("/")[0] for r in rows} == {"山东省"}


def test_ethnic_township_is_named_without_its_designation():
    rows = {
        r.name: r for r in rows_from_divisions([*DIVISIONS[:4], Division(4, "371724108", "371724", "十里望回族镇")])
    }
    row = rows["十里望供电所"]
    assert row.aliases == ("十里望回族镇", "十里望回族镇供电所", "十里望回族供电所")
