"""Keep store passwords out of every message: mask URLs, scrub secrets out of driver error text.

A password can reach a message three ways: the URL itself (``repr``/f-strings of the string the user
gave), SQLAlchemy's own "could not parse URL" text, and the DBAPI's error text (some drivers echo
their DSN or conninfo). So masking works on the raw string, not only on a parsed
:class:`~sqlalchemy.engine.URL`: an unencoded ``@`` or ``/`` in a password makes SQLAlchemy parse
part of it as the host, and ``render_as_string(hide_password=True)`` would then print that part.
"""

from __future__ import annotations

import re
import weakref
from urllib.parse import parse_qsl, unquote, unquote_plus

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

MASK = "***"
_HIDDEN = "message hidden: it contained the store password"

# scheme://user:password@host — the password runs to the *last* '@', as a user who did not
# percent-encode it meant; the user part stops at ':' '/' '@'.
_USERINFO = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://[^:/@]*):(?P<password>.*)@(?P<rest>[^@]*)$", re.S)
# The same inside free text (a DSN echoed by a driver): mask up to the next '@' before white space.
_URL_IN_TEXT = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:/@\s]*):[^@\s]*@")
# password=… in a query string or a libpq conninfo (password='a b' quoted, or up to a separator).
_PASSWORD_PARAM = re.compile(r"(?i)\b(?P<key>password|passwd|pwd)\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^&\s]*)")


def mask_url(url: str | URL) -> str:
    """``url`` with its password (userinfo or ``password=`` query parameter) replaced by ``***``."""
    if isinstance(url, URL):
        text = url.render_as_string(hide_password=True)
    else:
        match = _USERINFO.match(url)
        text = f"{match['head']}:{MASK}@{match['rest']}" if match else url
    return _PASSWORD_PARAM.sub(lambda m: f"{m['key']}={MASK}", text)


def url_secrets(url: str | URL) -> set[str]:
    """Every spelling of the password in ``url`` that a message could contain (raw, decoded, parsed)."""
    found: set[str] = set()
    raw = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    match = _USERINFO.match(raw)
    if match:
        found |= {match["password"], unquote(match["password"]), unquote_plus(match["password"])}
    try:
        parsed = url if isinstance(url, URL) else make_url(raw)
    except Exception:  # noqa: BLE001 - an unparsable URL still has the raw secrets found above
        parsed = None
    if parsed is not None and parsed.password:
        found.add(str(parsed.password))
    query = raw.partition("?")[2]
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.lower() in {"password", "passwd", "pwd"}:
            found |= {value, unquote(value)}
    return {s for s in found if s}


def scrub(text: str, url: str | URL) -> str:
    """``text`` without any spelling of ``url``'s password, URLs and ``password=`` values masked.

    If masking could rebuild the password (a password made of ``*``), the whole text is withheld.
    """
    secrets = sorted(url_secrets(url), key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _URL_IN_TEXT.sub(lambda m: f"{m['head']}:{MASK}@", text)
    text = _PASSWORD_PARAM.sub(lambda m: f"{m['key']}={MASK}", text)
    if any(secret in text for secret in secrets):
        return _HIDDEN
    return text


# The URL as the user wrote it, per engine: the parsed URL can misplace an unencoded password.
_RAW_URLS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def remember_url(engine: Engine, raw: str) -> None:
    """Keep the string ``engine`` was made from, for :func:`raw_url` and :func:`store_name`."""
    _RAW_URLS[engine] = raw


def raw_url(engine: Engine) -> str | URL:
    """The URL ``engine`` was opened with, as written (its parsed URL where it was not remembered)."""
    base = getattr(engine, "_proxied", engine)  # an execution_options() engine proxies the real one
    return _RAW_URLS.get(base, engine.url)


def store_name(engine: Engine) -> str:
    """The store's URL for messages: password masked, whatever characters it holds."""
    raw = raw_url(engine)
    return scrub(mask_url(raw), raw)


def one_line(text: str) -> str:
    """Driver messages span lines (libpq adds a hint line per address tried): join them with ``; ``."""
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())
