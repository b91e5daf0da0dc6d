"""Linking one mention: exact, then normalized, then (when asked) fuzzy within a scope."""

from __future__ import annotations

import pytest

from gazetteers.config import ResolverConfig
from gazetteers.linker import NOT_LINKED, Linker, fold_width, normalized_forms

QILIN = "山东省/菏泽市/巨野县供电公司/麒麟供电所"
JUYE = "山东省/菏泽市/巨野县供电公司"
LONGSHAN_CAO = "山东省/菏泽市/曹县供电公司/龙山供电所"
LONGSHAN_JINAN = "山东省/济南市/长清区供电公司/龙山供电所"


@pytest.fixture
def linker(mini):
    return Linker(mini)


@pytest.mark.parametrize("surface", ["麒麟", "麒麟所", "麒麟供电所", "麒麟镇"])
def test_known_surface_form_links_exactly(linker, surface):
    link = linker.link(surface, "Substation")
    assert (link.candidates, link.method, link.form, link.score) == ((QILIN,), "exact", surface, 100.0)


@pytest.mark.parametrize(
    ("text", "type_name", "form", "expected"),
    [
        ("麒麟镇供电所", "Substation", "麒麟镇", QILIN),
        ("麒麟 供电所", "Substation", "麒麟供电所", QILIN),
        ("麒麟\u3000所", "Substation", "麒麟所", QILIN),
        ("麒\uf9f3所", "Substation", "麒麟所", QILIN),  # CJK compatibility ideograph 麟
        ("巨野县供电中心", "Company", "巨野县", JUYE),
        ("巨野供电公司", "Company", "巨野", JUYE),
        ("菏泽市 ", "City", "菏泽市", "山东省/菏泽市"),
    ],
)
def test_variant_links_through_a_normalized_form(linker, text, type_name, form, expected):
    link = linker.link(text, type_name)
    assert (link.candidates, link.method, link.form) == ((expected,), "normalized", form)


def test_normalized_forms_fold_width_drop_spaces_then_strip_suffixes(mini):
    assert normalized_forms("巨野县供电中心", mini, "Company") == ["巨野县供电中心", "巨野县", "巨野"]
    assert normalized_forms("麒麟　镇供电所", mini, "Substation") == ["麒麟镇供电所", "麒麟镇", "麒麟", "麒麟所"]


def test_fold_width_keeps_one_code_point_per_character():
    text = "ＡＢ１２　麒\uf9f3𠀀㍻"  # ㍻ folds to two characters, so it is kept as is
    folded = fold_width(text)
    assert folded == "AB12 麒麟𠀀㍻"
    assert len(folded) == len(text)


def test_typo_links_only_when_fuzzy_is_asked(linker):
    assert linker.link("麒麟供店所", "Substation") is NOT_LINKED
    link = linker.link("麒麟供店所", "Substation", fuzzy=True)
    assert link.candidates == (QILIN,)
    assert (link.method, link.form) == ("fuzzy", "麒麟供电所")
    assert 75 <= link.score < 100
    assert link.alternatives[0] == ("麒麟供电所", link.score)


def test_fuzzy_link_of_shared_name_keeps_every_entry_bearing_it(linker):
    link = linker.link("龙山供店所", "Substation", fuzzy=True)
    assert set(link.candidates) == {LONGSHAN_CAO, LONGSHAN_JINAN}


def test_fuzzy_scope_keeps_only_entries_the_other_mentions_allow(linker):
    link = linker.link("龙山供店所", "Substation", fuzzy=True, scope={LONGSHAN_CAO, QILIN})
    assert link.candidates == (LONGSHAN_CAO,)
    assert linker.link("龙山供店所", "Substation", fuzzy=True, scope={QILIN}) is NOT_LINKED
    assert linker.link("龙山供店所", "Substation", fuzzy=True, scope=set()) is NOT_LINKED


def test_fuzzy_never_fires_for_two_character_mentions(mini):
    # A threshold low enough that 麒林 ~ 麒麟 (ratio 50) would pass: only the length rule stops it.
    linker = Linker(mini, ResolverConfig(fuzzy_threshold=40))
    assert linker.link("麒麟索", "Substation", fuzzy=True).candidates == (QILIN,)
    assert linker.link("麒林", "Substation", fuzzy=True) is NOT_LINKED


def test_fuzzy_forgives_a_slip_in_the_suffix_but_not_in_the_name():
    from gazetteers import load_gazetteer

    linker = Linker(load_gazetteer(None))
    assert linker.link("麒麟供店所", "Substation", fuzzy=True).candidates == (
        "山东省/菏泽市/巨野县供电公司/麒麟供电所",
    )
    # 新建 is not 新城 or 新户, although four of five characters agree (ratio 80)
    assert linker.link("新建供电所", "Substation", fuzzy=True) is NOT_LINKED
    assert linker.link("麒林供电所", "Substation", fuzzy=True) is NOT_LINKED


def test_fuzzy_below_threshold_stays_unlinked(linker):
    assert linker.link("麒林店", "Substation", fuzzy=True) is NOT_LINKED


def test_fuzzy_switched_off_in_config_never_links_a_typo(mini):
    linker = Linker(mini, ResolverConfig(fuzzy=False))
    assert linker.link("麒麟供店所", "Substation", fuzzy=True) is NOT_LINKED


def test_unknown_substation_is_not_linked(linker):
    assert linker.link("新建供电所", "Substation", fuzzy=True) is NOT_LINKED


def test_name_is_linked_only_as_its_own_type(linker):
    assert linker.link("麒麟", "Company") is NOT_LINKED
    assert linker.link("菏泽", "Substation") is NOT_LINKED


def test_link_explains_itself(linker):
    assert linker.link("麒麟供店所", "Substation", fuzzy=True).to_dict() == {
        "method": "fuzzy",
        "form": "麒麟供电所",
        "score": 80.0,
        "candidates": [QILIN],
        "alternatives": [["麒麟供电所", 80.0]],  # the best form of each candidate entry
    }
    assert NOT_LINKED.to_dict()["method"] == "none"
