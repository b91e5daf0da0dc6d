"""Store errors: each message is one line and names the store with its password masked."""

from __future__ import annotations

from sqlalchemy.engine import URL

from nerloop.errors import NerloopError
from nerloop.store.urls import scrub


class StoreError(NerloopError):
    """The store could not be opened, read or written; the message never contains a password.

    Args:
        message: one line; scrubbed as a whole of every spelling of ``url``'s password.
        url: the store's URL as the user wrote it.
    """

    def __init__(self, message: str, url: str | URL | None = None) -> None:
        super().__init__(scrub(message, url) if url is not None else message)


class StoreUnavailable(StoreError):
    """The store cannot be reached (refused, unknown host, dropped database) even after one retry."""


class StoreTooNew(StoreError):
    """The store was migrated by a newer nerloop than this one: this code cannot know its tables."""


class StoreNeedsUpgrade(StoreError):
    """The store is behind and the pending migrations are marked unsafe to run unattended."""
