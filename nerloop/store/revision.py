"""Write the next migration from the difference between models.py and the migration head.

For developers, after changing ``nerloop/store/models.py``::

    python -m nerloop.store.revision "add model versions"

writes ``nerloop/store/migrations/versions/0002_add_model_versions.py`` (numbered after the last
revision). Alembic compares a scratch SQLite store upgraded to head with the models; read the
file it writes (renames come out as drop + add, server defaults are not compared) before committing.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from nerloop.store.migrate import MIGRATIONS, alembic_config, upgrade


def next_revision_id(config: Config, message: str) -> str:
    """``NNNN_slug``: one more than the number of revisions, then the message in lower-case words."""
    number = len(list(ScriptDirectory.from_config(config).walk_revisions())) + 1
    slug = "_".join(re.findall(r"[a-z0-9]+", message.lower()))[:40] or "revision"
    return f"{number:04d}_{slug}"


def new_revision(message: str, version_path: Path | None = None, extra_locations: tuple[Path, ...] = ()) -> Path:
    """Autogenerate the next revision file; its path.

    Args:
        message: what the revision does, also the file's docstring.
        version_path: where to write it; default: the package's ``migrations/versions``.
        extra_locations: more version directories holding revisions (tests write to a temporary one).
    """
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            config = alembic_config(engine)
            locations = [MIGRATIONS / "versions", *extra_locations]
            if version_path is not None and version_path not in locations:
                locations.append(version_path)
            config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
            upgrade(engine, config=config)
            script = command.revision(
                config,
                message=message,
                autogenerate=True,
                rev_id=next_revision_id(config, message),
                version_path=str(version_path) if version_path else None,
            )
        finally:
            engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print('usage: python -m nerloop.store.revision "what the revision does"', file=sys.stderr)
        return 2
    print(new_revision(args[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
