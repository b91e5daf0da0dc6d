from __future__ import annotations

import datetime as dt

import pytest

from nerloop.domain import Domain, load_domain
from nerloop.records import DateRange, Entity, TaggedQuery

HEZE = "山东省/菏泽市"
QILIN = "山东省/菏泽市/巨野县供电公司/麒麟供电所"
NO_CHAIN = {"Province": None, "City": None, "Company": None, "Substation": None}


def domain_example() -> TaggedQuery:
    """The annotation example of DOMAIN.md."""
    return TaggedQuery(
        "菏泽麒麟供电所意见个数",
        (
            Entity("City", 0, 2, "菏泽", id=HEZE),
            Entity("Substation", 2, 7, "麒麟供电所", id=QILIN),
            Entity("Indicator", 7, 9, "意见"),
        ),
        {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"},
    )


def samples() -> list[TaggedQuery]:
    return [
        domain_example(),
        TaggedQuery(
            "本月菏泽麒麟供电所投诉个数",
            (
                Entity("Date", 0, 2, "本月"),
                Entity("City", 2, 4, "菏泽", id=HEZE),
                Entity("Substation", 4, 9, "麒麟供电所", id=QILIN),
                Entity("Indicator", 9, 11, "投诉"),
            ),
            {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"},
            date=DateRange(dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ),
        # A character outside the BMP, an unknown substation (no id) and a space.
        TaggedQuery(
            "𠀀镇供电所 投诉",
            (Entity("Substation", 0, 5, "𠀀镇供电所"), Entity("Indicator", 6, 8, "投诉")),
            dict(NO_CHAIN),
        ),
        TaggedQuery("今天天气怎么样", (), dict(NO_CHAIN)),  # negative: no mention at all
        TaggedQuery(
            "a<b>&amp; c 投诉",
            (Entity("Indicator", 12, 14, "投诉"),),
            dict(NO_CHAIN),
        ),
        TaggedQuery(
            "龙山供电所停电",
            (Entity("Substation", 0, 5, "龙山供电所"), Entity("Indicator", 5, 7, "停电")),
            {"Province": "山东省", "City": None, "Company": None, "Substation": None},
            ambiguous=(("山东省/济南市/章丘区供电公司/龙山供电所", "山东省/日照市/莒县供电公司/龙山供电所"),),
        ),
    ]


@pytest.fixture(scope="session")
def domain() -> Domain:
    return load_domain()


@pytest.fixture
def example() -> TaggedQuery:
    return domain_example()


@pytest.fixture
def records() -> list[TaggedQuery]:
    """Records every converter must handle; spans checked so a typo here fails loudly."""
    out = samples()
    for record in out:
        record.check_spans()
    return out
