import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gazetteers.encoding import EncodingProblem, decode_bytes, sniff_delimiter

TEXT = "name,parent\n菏泽市,山东省\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16"),
    ],
)
def test_excel_export_encodings_decode_to_the_same_text(data, encoding):
    text, used = decode_bytes(data)
    assert text == TEXT
    assert used == encoding


def test_new_cjk_extension_characters_are_text():
    text, _ = decode_bytes("下\U00031cea镇\n".encode())
    assert "\U00031cea" in text


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-16-le"),  # no BOM: NULs everywhere
        "name\nCafé\n".encode("latin-1"),
        bytes(range(0x80, 0x100)),
    ],
)
def test_other_encodings_are_refused_not_garbled(data):
    with pytest.raises(EncodingProblem):
        decode_bytes(data)


@pytest.mark.parametrize(
    ("header", "delimiter"), [("name,parent", ","), ("name\tparent", "\t"), ("name;parent", ";"), ("name", ",")]
)
def test_delimiter_sniffing(header, delimiter):
    assert sniff_delimiter(header) == delimiter


def test_utf8_with_one_corrupt_byte_is_an_error_with_offset_and_line_not_mojibake():
    # two-character names: every Chinese run has an even byte count, so GB18030 decodes it all
    data = bytearray("name\n城关\n龙山\n济南\n".encode())
    data[5] = 0x81  # the first byte of 城; the old detector returned 仧庡叧 榫欏北 娴庡崡
    assert bytes(data).decode("gb18030") == "name\n仧庡叧\n榫欏北\n娴庡崡\n"
    with pytest.raises(EncodingProblem) as caught:
        decode_bytes(bytes(data))
    assert caught.value.line == 2 and "byte 0x81 at byte offset 5" in str(caught.value)


@given(
    names=st.lists(st.sampled_from(["投诉", "麒麟供电所", "巨野县", "菏泽市", "城关", "龙山", "济南"]), min_size=1),
    where=st.integers(min_value=0),
    value=st.integers(min_value=0x80, max_value=0xFE),
)
def test_corrupt_utf8_never_decodes(names, where, value):
    data = bytearray(("name\n" + "\n".join(names) + "\n").encode())
    positions = [i for i, b in enumerate(data) if b >= 0x80]
    data[positions[where % len(positions)]] = value
    assume(not _valid_utf8(bytes(data)))
    with pytest.raises(EncodingProblem, match="not valid UTF-8"):
        decode_bytes(bytes(data))


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_real_gbk_gazetteers_still_decode(tmp_path):
    from gazetteers.default import default_directory

    for path in default_directory().glob("*.csv"):
        text = path.read_text("utf-8")
        assert decode_bytes(text.encode("gb18030")) == (text, "gb18030")
