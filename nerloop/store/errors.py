"""Store errors: each message is one line and names the store with its password masked."""

from __future__ import annotations

from nerloop.errors import NerloopError


class StoreError(NerloopError):
    """The store could not be opened, read or written; the message never contains a password."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (refused, unknown host, dropped database) even after one retry."""


class StoreTooNew(StoreError):
    """The store was migrated by a newer nerloop than this one: this code cannot know its tables."""


class StoreNeedsUpgrade(StoreError):
    """The store is behind and the pending migrations are marked unsafe to run unattended."""
