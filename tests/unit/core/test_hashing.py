"""The one stable-hash helper: the values that splits, frozen gold and selection were built on."""

from __future__ import annotations

import hashlib

import pytest

from nerloop.hashing import stable_hex, stable_int, stable_unit


@pytest.mark.parametrize("key", ["", "7\0substation:麒麟", "gold:" + "ab" * 32])
def test_blake2b_unit_is_the_digest_of_the_key_over_two_to_the_64(key: str) -> None:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    assert stable_unit(key) == int.from_bytes(digest, "big") / 2**64


@pytest.mark.parametrize("key", ["", "3:deadbeef", "gold:济南"])
def test_sha256_forms_keep_the_hex_prefix_values(key: str) -> None:
    hexdigest = hashlib.sha256(key.encode()).hexdigest()
    assert stable_int(key, 32, algorithm="sha256") == int(hexdigest[:8], 16)
    assert stable_unit(key, 48, algorithm="sha256") == int(hexdigest[:12], 16) / float(1 << 48)


def test_units_lie_in_the_half_open_interval_and_do_not_depend_on_the_process() -> None:
    values = [stable_unit(f"1:{i}") for i in range(1000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert values == [stable_unit(f"1:{i}") for i in range(1000)]
    assert 0.4 < sum(values) / len(values) < 0.6


@pytest.mark.parametrize(("bits", "algorithm"), [(0, "blake2b"), (12, "blake2b"), (264, "sha256"), (64, "md5")])
def test_impossible_widths_and_unknown_algorithms_are_refused(bits: int, algorithm: str) -> None:
    with pytest.raises(ValueError):
        stable_int("x", bits, algorithm=algorithm)  # type: ignore[arg-type]


def test_hex_digests_keep_the_text_keys_fingerprints_and_region_ids_already_stored() -> None:
    text = "济南供电公司投诉量"
    assert stable_hex(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert stable_hex(text, 12) == hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    assert stable_hex("t-1|City|0|2", 10, algorithm="sha1") == hashlib.sha1(b"t-1|City|0|2").hexdigest()[:10]
    with pytest.raises(ValueError, match="unknown algorithm"):
        stable_hex(text, algorithm="md5")  # type: ignore[arg-type]
