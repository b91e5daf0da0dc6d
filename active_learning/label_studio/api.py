"""Every call to Label Studio, through label-studio-sdk 2.x, and nothing else.

Results come back as plain dicts and ints so the rest of nerloop never touches SDK
types; HTTP and connection failures become the typed errors of ``errors.py`` in one
place (:meth:`LabelStudioApi._call`), with one-line messages that never show the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from active_learning.label_studio.config import LabelStudioTarget
from active_learning.label_studio.errors import (
    AuthenticationFailed,
    LabelStudioError,
    ProjectNotFound,
    ServerUnreachable,
)

T = TypeVar("T")
PAGE_SIZE = 1000
_ANNOTATED = {
    "filters": {
        "conjunction": "or",
        "items": [
            {"filter": "filter:tasks:total_annotations", "operator": "greater", "type": "Number", "value": 0},
            {"filter": "filter:tasks:cancelled_annotations", "operator": "greater", "type": "Number", "value": 0},
        ],
    }
}


@dataclass(frozen=True)
class Project:
    """A Label Studio project as nerloop needs it."""

    id: int
    title: str
    model_version: str | None
    label_config: str | None = None


def _as_dict(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.dict()


class LabelStudioApi:
    """One server and token; every method is one or a few SDK calls."""

    def __init__(self, target: LabelStudioTarget) -> None:
        from label_studio_sdk import LabelStudio

        self.url = target.url
        self._client = LabelStudio(base_url=target.url, api_key=target.token, timeout=target.timeout)

    def _call(self, what: str, fn: Callable[[], T], *, project: int | str | None = None) -> T:
        """Run one SDK call; map its failures to one-line typed errors."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        try:
            return fn()
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"cannot reach Label Studio at {self.url} ({type(exc).__name__}); is the server running "
                "and the URL right (--url / NERLOOP_LS_URL)?"
            ) from None
        except ApiError as exc:
            status = exc.status_code
            if status in (401, 403):
                raise AuthenticationFailed(
                    f"Label Studio at {self.url} refused the token ({status}) while trying to {what}; "
                    "check --token / NERLOOP_LS_TOKEN (a legacy token needs LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true)"
                ) from None
            if status == 404 and project is not None:
                raise ProjectNotFound(
                    f"project {project} not found on Label Studio at {self.url} (deleted?) while trying to {what}"
                ) from None
            detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
            detail = " ".join(str(detail or exc.body or "").split())[:200]
            raise LabelStudioError(f"Label Studio at {self.url} answered {status} to {what}: {detail}") from None

    def _pages(self, what: str, project: int, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every task of a listing, page by page, stopping at the total the server reports.

        (The SDK's own pager asks for one page past the end, which Label Studio answers with 404.)
        """
        seen, page = 0, 1
        while True:
            response = self._call(
                what,
                lambda p=page: self._client.tasks.list(project=project, page=p, page_size=PAGE_SIZE, **kwargs),
                project=project,
            ).response
            items = response.tasks or []
            for item in items:
                yield _as_dict(item)
            seen += len(items)
            if not items or seen >= response.total:
                return
            page += 1

    def find_project(self, title: str) -> Project | None:
        """The project with this exact title (the oldest if several), or ``None``."""
        found = self._call("list projects", lambda: list(self._client.projects.list(title=title)))
        matches = sorted((p for p in found if p.title == title), key=lambda p: p.id)
        if not matches:
            return None
        return Project(matches[0].id, matches[0].title, matches[0].model_version, matches[0].label_config)

    def get_project(self, project_id: int) -> Project:
        """Raises :class:`ProjectNotFound` when it is gone."""
        p = self._call("read the project", lambda: self._client.projects.get(project_id), project=project_id)
        return Project(p.id, p.title, p.model_version, p.label_config)

    def create_project(self, title: str, label_config: str, model_version: str | None) -> Project:
        kwargs: dict[str, Any] = {"title": title, "label_config": label_config, "show_skip_button": True}
        if model_version:
            kwargs["model_version"] = model_version
        p = self._call("create a project", lambda: self._client.projects.create(**kwargs))
        return Project(p.id, title, model_version, label_config)

    def set_model_version(self, project_id: int, model_version: str) -> None:
        """Make the prediction score column show this version's scores."""
        self._call(
            "set the project's model version",
            lambda: self._client.projects.update(project_id, model_version=model_version),
            project=project_id,
        )

    def task_keys(self, project_id: int) -> dict[int, dict[str, Any]]:
        """Task id → task ``data`` of every task in the project (paginated)."""
        return {
            task["id"]: task.get("data") or {}
            for task in self._pages("list tasks", project_id, fields="task_only", include="id,data")
        }

    def task_ids(self, project_id: int) -> set[int]:
        """Ids of every task in the project (paginated): what has not been deleted."""
        return {task["id"] for task in self._pages("list tasks", project_id, fields="task_only", include="id")}

    def import_tasks(self, project_id: int, tasks: Sequence[dict[str, Any]]) -> list[int]:
        """Import tasks (with predictions) in one request; their new ids, in order.

        No automatic retry: a retried import that had in fact succeeded would duplicate tasks.
        """
        response = self._call(
            f"import {len(tasks)} tasks",
            lambda: self._client.projects.import_tasks(
                project_id, request=list(tasks), return_task_ids=True, request_options={"max_retries": 0}
            ),
            project=project_id,
        )
        ids = list(response.task_ids or [])
        if len(ids) != len(tasks):
            raise LabelStudioError(f"Label Studio at {self.url} created {len(ids)} of {len(tasks)} tasks")
        return ids

    def annotated_tasks(self, project_id: int) -> Iterator[dict[str, Any]]:
        """Tasks with at least one annotation, submitted or skipped, with their annotations (paginated)."""
        return self._pages("list annotated tasks", project_id, fields="all", query=json.dumps(_ANNOTATED))

    def users(self) -> dict[int, str]:
        """User id → e-mail (annotations name their author by id)."""
        return {
            u.id: u.email or u.username or str(u.id)
            for u in self._call("list users", lambda: list(self._client.users.list()))
        }
