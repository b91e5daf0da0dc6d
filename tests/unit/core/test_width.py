"""The one width-folding helper: half-width letters, offsets kept."""

from __future__ import annotations

from nerloop.width import fold_width, to_full_width


def test_full_width_digits_and_letters_fold_to_ascii() -> None:
    assert fold_width("２０２４年ＡＢＣ供电所") == "2024年ABC供电所"


def test_a_character_whose_nfkc_form_is_longer_is_kept_so_offsets_hold() -> None:
    text = "㈱麒麟１号"
    folded = fold_width(text)
    assert folded == "㈱麒麟1号" and len(folded) == len(text)


def test_normalized_text_comes_back_unchanged() -> None:
    text = "济南供电公司2024年"
    assert fold_width(text) is text


def test_to_full_width_widens_letters_and_digits_or_every_printable_ascii_character() -> None:
    assert to_full_width("2024-05 ab!") == "２０２４-０５ ａｂ!"
    assert to_full_width("2024-05 ab!", punctuation=True) == "２０２４－０５ ａｂ！"
    printable = "".join(map(chr, range(0x21, 0x7F)))
    assert fold_width(to_full_width(printable, punctuation=True)) == printable
