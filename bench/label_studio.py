"""Benchmark: ``al push`` and ``al pull`` of ``--n`` tasks against a real Label Studio.

What is measured, and why
-------------------------
The issue's bar: "push and pull of 1,000 tasks each take seconds, not minutes" (batch import,
paginated pull). This script starts a throwaway Label Studio from ``.venv-ls`` (what
``scripts/test.sh`` installs; or pass ``--url``/``--token`` of a running one), then times
(1) :func:`push_batch` of ``--n`` queries with pre-annotations into a new project — the
server-side hash check, the batch import, setting the project's model version, our
bookkeeping — (2) the same push again (nothing to import: every hash is already there), and
(3) :func:`pull_annotations` of a project holding ``--n`` annotated tasks (each an annotator's
acceptance of the pre-annotation), into a fresh store. Wall clock, best of ``--repeat``.

Run from the repository root with the project venv::

    .venv/bin/python bench/label_studio.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_WORK, fmt_int, machine_facts, markdown_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="tasks pushed and pulled")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--url", default=os.environ.get("NERLOOP_LS_URL"), help="a running server (default: start one)")
    parser.add_argument("--token", default=os.environ.get("NERLOOP_LS_TOKEN"))
    parser.add_argument("--ls-venv", type=Path, default=Path(os.environ.get("NERLOOP_LS_VENV") or REPO / ".venv-ls"))
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK / "label-studio")
    return parser.parse_args(argv)


def _items(n: int, tag: str) -> list:
    from active_learning.batch import BatchItem, text_hash
    from nerloop.records import Entity, TaggedQuery

    items = []
    for i in range(n):
        text = f"本月济南{tag}{i}号供电所投诉"
        entities = (Entity("Date", 0, 2, "本月", score=0.9), Entity("City", 2, 4, "济南", score=0.8))
        items.append(BatchItem(None, text_hash(text), TaggedQuery(text, entities), i / n, "bench-v1", "mnlp"))
    return items


def run(url: str, token: str, args: argparse.Namespace) -> list[list[str]]:
    from label_studio_sdk import LabelStudio

    from active_learning.label_studio import LabelStudioTarget, pull_annotations, push_batch
    from active_learning.label_studio.convert import accepted_task
    from nerloop.store import open_store

    client = LabelStudio(base_url=url, api_key=token)
    times: dict[str, list[float]] = {"push": [], "push again (nothing new)": [], "pull": []}
    for _ in range(args.repeat):
        tag = uuid.uuid4().hex[:6]
        items = _items(args.n, tag)
        store = args.work / f"store-{tag}.db"
        engine = open_store(f"sqlite:///{store}")
        target = LabelStudioTarget(url=url, token=token, project=f"bench-{tag}")
        started = time.perf_counter()
        report = push_batch(engine, items, target)
        times["push"].append(time.perf_counter() - started)
        assert report.imported == args.n, report
        started = time.perf_counter()
        again = push_batch(engine, items, target)
        times["push again (nothing new)"].append(time.perf_counter() - started)
        assert again.imported == 0, again

        # a project whose tasks all carry an annotation, as after a day of annotating
        annotated = client.projects.create(
            title=f"bench-annotated-{tag}", label_config=client.projects.get(report.project_id).label_config
        )
        client.projects.import_tasks(annotated.id, request=[accepted_task(item) for item in items])
        fresh = open_store(f"sqlite:///{args.work / f'pull-{tag}.db'}")
        started = time.perf_counter()
        pulled = pull_annotations(fresh, LabelStudioTarget(url=url, token=token, project=str(annotated.id)))
        times["pull"].append(time.perf_counter() - started)
        assert pulled.added == args.n, pulled
        engine.dispose()
        fresh.dispose()
    return [[what, fmt_int(args.n), f"{min(t):.1f}", fmt_int(round(args.n / min(t)))] for what, t in times.items()]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.url and args.token:
        rows = run(args.url, args.token, args)
    else:
        from active_learning.label_studio.local_server import label_studio_binary, local_server

        binary = label_studio_binary(args.ls_venv)
        if binary is None:
            sys.exit(f"error: no label-studio in {args.ls_venv}; run scripts/test.sh or pass --url and --token")
        with local_server(binary, args.work / f"server-{uuid.uuid4().hex[:6]}") as server:
            rows = run(server.url, server.token, args)
    print(markdown_table(["what", "value"], machine_facts(None)))
    print()
    print(markdown_table(["Label Studio 1.23.2 on 127.0.0.1", "tasks", "seconds", "tasks/s"], rows))


if __name__ == "__main__":
    main()
