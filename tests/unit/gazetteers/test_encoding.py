import pytest

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
