"""Id lists (gazetteer drop --ids) are read through nerloop.textfiles: a bad byte is a located problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazetteers.writer import read_id_list
from nerloop.errors import InputError


def test_an_id_list_with_a_byte_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_bytes("\ufeffsd-1  # 济南\n".encode() + "菏泽".encode("gbk") + b"\n")
    with pytest.raises(InputError) as caught:
        read_id_list(path)
    assert str(caught.value.problems[0]).startswith(f"{path}:2: not valid UTF-8: byte 0xba at byte offset ")


def test_an_id_list_drops_its_bom_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("\ufeffsd-1  # 济南\n\n# all\nsd-2\n", "utf-8")
    assert read_id_list(path) == ["sd-1", "sd-2"]
