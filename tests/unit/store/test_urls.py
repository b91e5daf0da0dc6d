"""Password masking is pure string work: properties over random passwords, special characters included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import URL

from nerloop.store.urls import mask_url, one_line, scrub

# Printable passwords of any script, with the characters URLs reserve; no control characters.
passwords = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=6, max_size=24)


def encoded(password: str) -> str:
    return URL.create("postgresql+psycopg", "nerloop", password, "db.example", 5432, "store").render_as_string(
        hide_password=False
    )


def raw(password: str) -> str:
    return f"postgresql+psycopg://nerloop:{password}@db.example:5432/store"


@given(passwords)
def test_masked_url_never_contains_the_password(password):
    for url in (encoded(password), raw(password)):
        masked = mask_url(url)
        assert password not in masked and "nerloop:***@db.example:5432/store" in masked


@given(passwords, st.sampled_from(["{url}", "connection to {url} failed", "dsn={url}\nretrying", "password={pw} x"]))
def test_scrubbed_message_never_contains_any_spelling_of_the_password(password, template):
    for url in (encoded(password), raw(password)):
        spelled = url[len("postgresql+psycopg://nerloop:") : url.rindex("@")]  # as written in the URL
        message = scrub(template.format(url=url, pw=password) + f" / {spelled}", url)
        assert password not in message and spelled not in message


def test_password_in_a_query_parameter_is_masked():
    url = "postgresql+psycopg://nerloop@db/store?password=s3cr%21t&sslmode=require"
    assert mask_url(url) == "postgresql+psycopg://nerloop@db/store?password=***&sslmode=require"
    assert "s3cr!t" not in scrub("bad password 's3cr!t' for user", url)


def test_a_password_that_masking_would_rebuild_hides_the_whole_message():
    url = "postgresql://u:******@h/db"
    assert "******" not in scrub("u:******@h refused", url)


def test_url_without_password_is_unchanged():
    assert mask_url("sqlite:///data/nerloop.db") == "sqlite:///data/nerloop.db"
    assert mask_url(URL.create("postgresql", "u", None, "h")) == "postgresql://u@h"


def test_libpq_multi_line_message_becomes_one_line():
    text = (
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?\n"
    )
    assert one_line(text) == (
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused; '
        "Is the server running on that host and accepting TCP/IP connections?"
    )
