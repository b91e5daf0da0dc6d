import pytest

from gazetteers.aliases import short_forms, surface_forms
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
    ],
)
def test_generated_short_forms(type_name, name, expected):
    assert short_forms(name, DOMAIN.types[type_name].short_forms) == expected


def test_surface_forms_put_name_first_and_deduplicate():
    forms = surface_forms("麒麟供电所", ("麒麟镇", "麒麟"), DOMAIN.types["Substation"].short_forms)
    assert forms[0] == "麒麟供电所"
    assert len(forms) == len(set(forms))
    assert {"麒麟", "麒麟所", "麒麟镇"} <= set(forms)
