"""Stable hashes of keys: hex digests (text keys, fingerprints, short ids) and pseudo-random numbers.

The same key gives the same value in every run and on every machine.

Python's ``hash()`` is salted per process, and a ``random.Random`` depends on the order of
draws; a split, a frozen-gold decision or a tie-break that must not move when the input is
reordered or the program restarted hashes its key instead.

New uses take the defaults (64 bits of blake2b). The sha256 form exists because the values
of existing uses are kept: which texts are frozen gold is stored implicitly in every
database, and ``al select`` with a seed must keep choosing the same queries.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Algorithm = Literal["blake2b", "sha256"]


def stable_hex(key: str, length: int | None = None, *, algorithm: Literal["sha256", "sha1"] = "sha256") -> str:
    """The hex digest of ``key`` (UTF-8), cut to ``length`` characters when given.

    sha256 for everything new; sha1 only where short ids already live outside nerloop
    (Label Studio region ids) and must not change.
    """
    if algorithm not in ("sha256", "sha1"):
        raise ValueError(f"unknown algorithm {algorithm!r}; use sha256 or sha1")
    return hashlib.new(algorithm, key.encode("utf-8")).hexdigest()[:length]


def stable_int(key: str, bits: int = 64, *, algorithm: Algorithm = "blake2b") -> int:
    """A ``bits``-bit unsigned integer from ``key`` (UTF-8), stable across runs and machines.

    Args:
        key: what the number is for, seed included (``f"{seed}:{text_hash}"``).
        bits: a multiple of 8; blake2b up to 512, sha256 up to 256.
        algorithm: ``blake2b`` (a digest of ``bits / 8`` bytes) or ``sha256`` (its first
            ``bits / 8`` bytes).
    """
    if bits <= 0 or bits % 8:
        raise ValueError(f"bits must be a positive multiple of 8, not {bits}")
    data, size = key.encode("utf-8"), bits // 8
    if algorithm == "blake2b":
        digest = hashlib.blake2b(data, digest_size=size).digest()
    elif algorithm == "sha256":
        digest = hashlib.sha256(data).digest()[:size]
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}; use blake2b or sha256")
    if len(digest) < size:
        raise ValueError(f"{algorithm} has fewer than {bits} bits")
    return int.from_bytes(digest, "big")


def stable_unit(key: str, bits: int = 64, *, algorithm: Algorithm = "blake2b") -> float:
    """A number in [0, 1) from ``key``, stable across runs, independent of any iteration order."""
    return stable_int(key, bits, algorithm=algorithm) / 2**bits
