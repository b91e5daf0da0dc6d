"""Schema migrations (Alembic, configured in code: no ``alembic.ini`` at run time).

The revisions live in ``nerloop/store/migrations/versions`` and ship with the package. A store is in
one of five states (:class:`StoreRevision`); :func:`upgrade_store` is what ``open_store`` runs: it
creates an empty store, adopts one created by nerloop 0.1 (tables, no ``alembic_version``),
upgrades one that is behind, and refuses one migrated by a newer nerloop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from nerloop.store.errors import StoreNeedsUpgrade, StoreTooNew
from nerloop.store.models import Base
from nerloop.store.urls import raw_url, store_name

MIGRATIONS = Path(__file__).parent / "migrations"
_ALEMBIC_LOCK = threading.Lock()
# A revision module that sets this to False is never run by open_store, only by `nerloop db upgrade`.
AUTO_UPGRADE_FLAG = "AUTO_UPGRADE"


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's config for nerloop's revisions; ``engine`` is what ``env.py`` migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")  # version_locations below are joined by os.pathsep
    config.set_main_option("file_template", "%%(rev)s")  # the file is named by its id: 0002_add_x.py
    config.attributes["engine"] = engine
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


@dataclass(frozen=True)
class StoreRevision:
    """Where a store stands against this nerloop's migrations."""

    current: str | None
    head: str
    known: bool  # the current revision is one this code has (False: written by a newer nerloop)
    has_tables: bool  # nerloop tables exist (with ``current`` None: created before migrations)
    pending: tuple[str, ...] = ()  # revisions an upgrade would run, oldest first

    @property
    def state(self) -> str:
        if not self.known:
            return "newer"
        if self.current == self.head:
            return "up to date"
        if self.current is None:
            return "unversioned" if self.has_tables else "empty"
        return "behind"


def store_revision(engine: Engine) -> StoreRevision:
    """Read the store's ``alembic_version`` and compare it with this code's head."""
    script = script_directory()
    head = script.get_current_head()
    assert head is not None, "nerloop ships at least one revision"
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        has_tables = bool(set(inspect(conn).get_table_names()) & set(Base.metadata.tables))
    known = current is None or _has_revision(script, current)
    pending: tuple[str, ...] = ()
    if known and current != head:
        pending = tuple(reversed([s.revision for s in script.iterate_revisions(head, current)]))
    return StoreRevision(current=current, head=head, known=known, has_tables=has_tables, pending=pending)


def _has_revision(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several resolution errors for an unknown id
        return False


def upgrade(engine: Engine, target: str = "head", config: Config | None = None) -> None:
    """Run every pending revision up to ``target`` in one transaction, under the store's lock.

    Processes serialize on the store (PostgreSQL advisory lock, SQLite ``BEGIN IMMEDIATE``);
    threads on a process lock, since Alembic's ``context``/``op`` are module-level proxies.
    """
    with _ALEMBIC_LOCK:
        command.upgrade(config or alembic_config(engine), target)


def upgrade_store(engine: Engine, *, unattended: bool = False) -> StoreRevision:
    """Bring the store to head; the revision it was at before.

    Args:
        unattended: what ``open_store`` passes: refuse revisions marked ``AUTO_UPGRADE = False``
            (they rewrite data: a person should back up first and run ``nerloop db upgrade``).

    Raises:
        StoreTooNew: a newer nerloop migrated the store.
        StoreNeedsUpgrade: unattended, and a pending revision must not run unattended.
    """
    revision = store_revision(engine)
    store, url = store_name(engine), raw_url(engine)
    if revision.state == "newer":
        raise StoreTooNew(
            f"store {store} is at revision {revision.current}, newer than this nerloop knows "
            f"(head {revision.head}): upgrade nerloop",
            url,
        )
    if revision.state == "up to date":
        return revision
    script = script_directory()
    manual = [r for r in revision.pending if not getattr(script.get_revision(r).module, AUTO_UPGRADE_FLAG, True)]
    if unattended and manual:
        raise StoreNeedsUpgrade(
            f"store {store} needs revision(s) {', '.join(manual)}, which are not run automatically: "
            f"back it up, then run `nerloop db upgrade`",
            url,
        )
    upgrade(engine)
    return revision
