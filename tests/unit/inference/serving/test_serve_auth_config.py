"""The optional token (bearer or basic) and the server settings' checks."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from inference.serving.auth import authorized
from inference.serving.config import ServeConfig
from nerloop.errors import UsageError


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("Bearer s3cret", True),
        ("bearer  s3cret ", True),
        (_basic("label-studio", "s3cret"), True),
        (_basic("anyone", "s3cret:x"), False),
        ("Bearer wrong", False),
        (_basic("s3cret", "wrong"), False),
        ("Basic !!notbase64", False),
        ("Token s3cret", False),
        ("", False),
        (None, False),
    ],
)
def test_the_token_is_accepted_as_bearer_or_basic_password(header: str | None, ok: bool) -> None:
    assert authorized(header, "s3cret") is ok


def test_without_a_token_everything_is_allowed() -> None:
    assert authorized(None, None) and authorized("Bearer x", "")


def test_the_token_stays_out_of_the_configs_repr() -> None:
    assert "s3cret" not in repr(ServeConfig(token="s3cret"))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"model": Path("m"), "matcher": True}, "either --model or --matcher"),
        ({"max_batch": 0}, "--max-batch must be at least 1"),
        ({"workers": 0}, "--workers"),
        ({"port": 70000}, "--port"),
        ({"max_wait_ms": -1}, "negative"),
        ({"max_batch": 64, "max_queue": 10}, "at least one batch"),
    ],
)
def test_bad_settings_are_usage_errors(settings: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ServeConfig(**settings)


def test_only_a_server_without_model_or_matcher_follows_the_champion() -> None:
    assert ServeConfig().follows_champion
    assert not ServeConfig(model=Path("m")).follows_champion and not ServeConfig(matcher=True).follows_champion
