import pytest

from gazetteers.aliases import ETHNIC_GROUPS, short_forms, strip_ethnic, surface_forms
from nerloop.domain import load_domain

DOMAIN = load_domain()


@pytest.mark.parametrize(
    ("type_name", "name", "expected"),
    [
        ("Company", "巨野县供电公司", ["巨野县", "巨野"]),
        ("Company", "市中供电中心", ["市中"]),
        ("Substation", "麒麟供电所", ["麒麟", "麒麟所"]),
        ("Substation", "麒麟镇供电所", ["麒麟镇", "麒麟", "麒麟所"]),
        ("City", "菏泽市", ["菏泽"]),
        ("Province", "山东省", ["山东"]),
        ("Province", "广西壮族自治区", ["广西"]),
        ("Company", "曹县供电公司", ["曹县"]),  # never a one-character 曹
        ("Indicator", "投诉", []),
        # special county-level divisions
        ("Company", "滨海新区供电公司", ["滨海新区", "滨海"]),
        ("Company", "浦东新区供电公司", ["浦东新区", "浦东"]),
        ("Company", "清新区供电公司", ["清新区", "清新"]),  # 新区 would leave one character
        ("Company", "神农架林区供电公司", ["神农架林区", "神农架"]),
        ("Company", "万柏林区供电公司", ["万柏林区", "万柏林"]),  # 林区 needs three characters left
        ("Company", "碑林区供电公司", ["碑林区", "碑林"]),
        ("Company", "六枝特区供电公司", ["六枝特区", "六枝"]),
        ("Company", "井陉矿区供电公司", ["井陉矿区", "井陉"]),
        ("Company", "矿区供电公司", []),  # 矿区 is a stop form, 矿 too short
        # autonomous counties and banners
        ("Company", "长阳土家族自治县供电公司", ["长阳土家族自治县", "长阳土家族", "长阳"]),
        ("Company", "莫力达瓦达斡尔族自治旗供电公司", ["莫力达瓦达斡尔族自治旗", "莫力达瓦达斡尔族", "莫力达瓦"]),
        ("Company", "鄂伦春自治旗供电公司", ["鄂伦春自治旗", "鄂伦春"]),  # nothing would remain
        ("City", "延边朝鲜族自治州", ["延边朝鲜族", "延边"]),
        ("City", "博尔塔拉蒙古自治州", ["博尔塔拉蒙古", "博尔塔拉"]),  # 蒙古 without 族 after 自治
        # ethnic townships
        ("Substation", "十里望回族镇供电所", ["十里望回族镇", "十里望回族", "十里望", "十里望所"]),
        ("Substation", "十里望回族乡", ["十里望回族", "十里望", "十里望所"]),
        ("Substation", "得力其尔鄂温克民族乡", ["得力其尔鄂温克民族", "得力其尔", "得力其尔所"]),
        ("Substation", "庙子沟蒙古族满族乡", ["庙子沟蒙古族满族", "庙子沟", "庙子沟所"]),
        ("Substation", "水族乡", ["水族", "水族所"]),  # nothing would remain
        ("Substation", "郭勒布依乡", ["郭勒布依", "郭勒布依所"]),  # 布依 without 族 is part of the name
        ("Substation", "民族街道", ["民族所"]),  # 民族 alone is a stop form
        ("Substation", "钱家营矿区供电所", ["钱家营矿区", "钱家营", "钱家营所"]),
        ("Substation", "浮山新区街道", ["浮山新区", "浮山", "浮山所"]),
        ("Substation", "新区街道", ["新区所"]),  # 新区 is a stop form
    ],
)
def test_generated_short_forms(type_name, name, expected):
    assert short_forms(name, DOMAIN.types[type_name].short_forms) == expected


def test_surface_forms_put_name_first_and_deduplicate():
    forms = surface_forms("麒麟供电所", ("麒麟镇", "麒麟"), DOMAIN.types["Substation"].short_forms)
    assert forms[0] == "麒麟供电所"
    assert len(forms) == len(set(forms))
    assert {"麒麟", "麒麟所", "麒麟镇"} <= set(forms)


@pytest.mark.parametrize("group", ETHNIC_GROUPS)
@pytest.mark.parametrize("suffix", ["乡", "镇", "自治乡"])
def test_every_ethnic_township_has_its_plain_short_form(group, suffix):
    forms = short_forms(f"十里望{group}族{suffix}", DOMAIN.types["Substation"].short_forms)
    assert "十里望" in forms and "十里望所" in forms


@pytest.mark.parametrize("group", ETHNIC_GROUPS)
def test_every_autonomous_county_has_its_plain_short_form(group):
    assert short_forms(f"长阳{group}族自治县供电公司", DOMAIN.types["Company"].short_forms)[-1] == "长阳"


def test_there_are_55_ethnic_groups():
    assert len(set(ETHNIC_GROUPS)) == 55


@pytest.mark.parametrize(
    ("base", "autonomous", "expected"),
    [
        ("十里望回族", False, "十里望"),
        ("音河达斡尔鄂温克民族", False, "音河"),
        ("新保安", False, "新保安"),  # a group name without 族 stays in a township's name
        ("博尔塔拉蒙古", True, "博尔塔拉"),
        ("鄂温克族", False, "鄂温克族"),  # nothing would remain
        ("回族", False, "回族"),
    ],
)
def test_strip_ethnic(base, autonomous, expected):
    assert strip_ethnic(base, autonomous=autonomous) == expected
