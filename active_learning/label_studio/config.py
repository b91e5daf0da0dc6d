"""Where tasks go and annotations come from: a Label Studio server and project."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from active_learning.label_studio.errors import LabelStudioError
from nerloop.domain import Domain

URL_ENV = "NERLOOP_LS_URL"
TOKEN_ENV = "NERLOOP_LS_TOKEN"
DEFAULT_PROJECT = "nerloop"
FILE_PROJECT = "file"
"""``LabelTask.project`` of queries pushed to files (air-gapped annotation)."""


@dataclass(frozen=True)
class LabelStudioTarget:
    """A Label Studio project on a server.

    Args:
        url: base URL, e.g. ``http://127.0.0.1:8080``.
        token: API token (legacy or personal access token); never printed (``repr`` hides it).
        project: project title (3+ characters), created on first push, or a numeric project id.
        domain: its entity types make the labeling config; ``None``: the default power domain.
        import_chunk: tasks per import request.
        timeout: seconds per HTTP request.
    """

    url: str
    token: str = field(repr=False)
    project: str = DEFAULT_PROJECT
    domain: Domain | None = field(default=None, repr=False)
    import_chunk: int = 1000
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise LabelStudioError(f"Label Studio URL {self.url!r} must start with http:// or https://")
        if not self.token:
            raise LabelStudioError(f"no Label Studio token; pass --token or set {TOKEN_ENV}")
        if not self.project.isdigit() and len(self.project.strip()) < 3:
            raise LabelStudioError(f"project title {self.project!r} is too short; Label Studio needs 3+ characters")

    @property
    def project_id(self) -> int | None:
        """The project id when ``project`` is one, else ``None`` (a title)."""
        return int(self.project) if self.project.isdigit() else None

    @classmethod
    def from_options(
        cls, url: str | None, token: str | None, project: str = DEFAULT_PROJECT, domain: Domain | None = None
    ) -> LabelStudioTarget:
        """Flags first, then ``NERLOOP_LS_URL`` / ``NERLOOP_LS_TOKEN``."""
        url = url or os.environ.get(URL_ENV)
        token = token or os.environ.get(TOKEN_ENV)
        if not url:
            raise LabelStudioError(f"no Label Studio URL; pass --url or set {URL_ENV}")
        return cls(url=url.rstrip("/"), token=token or "", project=project, domain=domain)
