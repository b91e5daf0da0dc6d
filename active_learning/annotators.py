"""Simulated annotators: a gold-labelled set answering pushed tasks, for the demo and the tests.

They stand where Label Studio stands in the cycle: ``push`` records a task per selected
query, ``pull`` answers every open task whose text the gold set knows and stores it as a
:class:`~nerloop.store.models.GoldLabel`. Both are idempotent through the store's unique
keys (project + text hash for tasks, source + annotation id for labels), exactly like the
real push and pull, so a cycle run against them tests the same resumption guarantees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import Engine, select

from active_learning.batch import BatchItem
from nerloop.records import TaggedQuery
from nerloop.store.engine import session_scope
from nerloop.store.models import GoldLabel, LabelTask

SOURCE = "simulated"


class SimulatedAnnotators:
    """Answer tasks from ``gold`` (text hash → correct record); texts it does not know are skipped."""

    def __init__(self, gold: Mapping[str, TaggedQuery], project: str = SOURCE, annotator: str = "simulated") -> None:
        self.gold = dict(gold)
        self.project = project
        self.annotator = annotator

    def push(self, engine: Engine, items: Sequence[BatchItem]) -> None:
        with session_scope(engine) as session:
            known = set(session.scalars(select(LabelTask.text_hash).where(LabelTask.project == self.project)))
            for item in items:
                if item.text_hash not in known:
                    known.add(item.text_hash)
                    session.add(
                        LabelTask(
                            text_hash=item.text_hash,
                            query_log_id=item.query_log_id,
                            project=self.project,
                            model_version=item.model_version,
                        )
                    )

    def pull(self, engine: Engine) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        with session_scope(engine) as session:
            open_tasks = session.scalars(
                select(LabelTask).where(LabelTask.project == self.project, LabelTask.status == "pushed")
            ).all()
            for task in open_tasks:
                record = self.gold.get(task.text_hash)
                if record is None:
                    task.status = "skipped"
                    continue
                annotation = f"{self.project}-{task.id}"
                exists = session.scalar(
                    select(GoldLabel.id).where(GoldLabel.source == SOURCE, GoldLabel.annotation_id == annotation)
                )
                if exists is None:
                    session.add(
                        GoldLabel(
                            text_hash=task.text_hash,
                            record=record.to_dict(),
                            source=SOURCE,
                            annotation_id=annotation,
                            ls_task_id=task.id,
                            annotator=self.annotator,
                            annotated_at=now,
                        )
                    )
                task.status = "annotated"
