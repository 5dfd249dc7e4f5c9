"""Batch evaluation on a Ray cluster: the items of ``core.training.evaluate`` scored by a pool of workers.

    python -m core.training.evaluate --manifest big/manifest.csv --out runs/eval --ray            # local Ray
    python -m core.training.evaluate --manifest big/manifest.csv --out runs/eval --ray HOST:6379  # a cluster

Each worker is a Ray actor holding one :class:`~core.engine.analysis.Lab` (loaded once) and scoring items with
:func:`core.training.evaluate.score_item`, so the figures are those of the local run. Videos are decoded on the
worker that scores them: only the path travels, so every node must see the media at the same path (a shared
mount) and run the lab's code and model (the lab's container image, or the same checkout).

Results are streamed as items finish: a journal ``scores.partial.jsonl`` (one JSON object an item, everything
the summary needs, frame scores included) and a row of ``scores.csv``. A run that is interrupted (Ctrl-C, a
lost cluster) and started again with the same ``--out`` scores only what the journal does not hold yet; at
the end ``evaluate`` rewrites ``scores.csv`` in manifest order, exactly as the local run writes it.
A worker that dies on an item (out of memory, a crashing decoder) gets that item recorded with an error and
is replaced by a new one; the run goes on (and stops, saying why, only when workers keep dying).
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import Callable, Iterable

from core.training.evaluate import Item, score_item

JOURNAL = "scores.partial.jsonl"
SCORES = "scores.csv"
SCORE_COLUMNS = ["path", "label", "kind", "media", "score", "n_faces", "error"]  # as evaluate.write_scores
# What the manifest says about an item; every other field of Item is a result the worker fills in.
_INPUT_FIELDS = {"path", "name", "label", "media", "kind", "families"}
ROOT = Path(__file__).resolve().parent.parent.parent


class ResumeMismatch(RuntimeError):
    """The journal in ``--out`` was written by a run with other settings; resuming would mix results."""


def _result_fields() -> list[str]:
    return [f.name for f in fields(Item) if f.name not in _INPUT_FIELDS]


def _key(item: Item) -> str:
    return f"{item.label}\t{item.name}"


def read_journal(out_dir: Path, settings: dict) -> dict[str, dict]:
    """Finished items of an earlier run into ``out_dir`` (key → result fields); {} when there is none.

    Raises ResumeMismatch when that run used other settings (model, frames per video)."""
    path = Path(out_dir) / JOURNAL
    if not path.exists():
        return {}
    done: dict[str, dict] = {}
    with path.open(encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by the interruption: that item is scored again
            continue
        if n == 0:
            if record.get("settings") != settings:
                raise ResumeMismatch(
                    f"{path} was written by a run with settings {record.get('settings')}, this run has {settings}. "
                    f"Use another --out, or delete {path.name} there to start over.")
            continue
        done[record["key"]] = record["result"]
    return done


def _plain(value):
    """numpy scalars and arrays (and anything else score_item may record) as JSON can hold them."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


class _Writer:
    """Appends finished items to the journal and to scores.csv, flushed at once so a kill loses nothing."""

    def __init__(self, out_dir: Path, settings: dict, resuming: bool):
        out_dir.mkdir(parents=True, exist_ok=True)
        journal, scores = out_dir / JOURNAL, out_dir / SCORES
        if not resuming:
            journal.write_text(json.dumps({"settings": settings}) + "\n", encoding="utf-8")
        fresh_csv = not resuming or not scores.exists()
        self._journal = journal.open("a", encoding="utf-8")
        self._csv_file = scores.open("w" if fresh_csv else "a", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        if fresh_csv:
            self._csv.writerow(SCORE_COLUMNS)

    def add(self, item: Item) -> None:
        result = {name: getattr(item, name) for name in _result_fields()}
        self._journal.write(json.dumps({"key": _key(item), "result": result}, default=_plain) + "\n")
        self._csv.writerow([item.name, item.label, item.kind, item.media,
                            "" if not math.isfinite(item.score) else f"{item.score:.6f}", item.n_faces, item.error])
        for f in (self._journal, self._csv_file):
            f.flush()
            os.fsync(f.fileno())

    def close(self) -> None:
        self._journal.close()
        self._csv_file.close()


def _worker_class(cpus: float):
    import ray

    @ray.remote(num_cpus=cpus, max_restarts=0)
    class LabWorker:
        """One Lab for the life of the worker; scores one item a call."""

        def __init__(self, model: str | None):
            # The lab sizes torch's threads from the machine's cores; a worker owns only its share of them.
            os.environ.setdefault("LAB_TORCH_THREADS", str(max(1, int(cpus))))
            from core.engine.analysis import load_lab

            self.lab = load_lab(Path(model) if model else None, allow_untrained=True)

        def score(self, item: Item, n_frames: int) -> Item:
            try:
                score_item(self.lab, item, n_frames)
            except Exception as exc:  # noqa: BLE001 - one bad item is recorded, never the end of the run
                item.error = f"{type(exc).__name__}: {exc}"
            return item

    return LabWorker


def connect(address: str | None = None, *, num_cpus: int | None = None) -> None:
    """Join the Ray cluster at ``address`` (or ``RAY_ADDRESS``), or start a local one; no-op when connected.

    Workers started here find the lab's code through PYTHONPATH, as on a cluster whose nodes run the lab's image.
    """
    import ray

    if ray.is_initialized():
        return
    env = {"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}}
    if address:
        ray.init(address=address, runtime_env=env, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, runtime_env=env, include_dashboard=False, log_to_driver=False)


def score_on_ray(items: list[Item], out_dir: Path, *, address: str | None = None, model: Path | None = None,
                 n_frames: int = 32, workers: int | None = None, cpus_per_worker: float = 1.0,
                 model_version: str = "", progress: bool = True,
                 on_result: Callable[[Item], None] | None = None) -> list[Item]:
    """Score ``items`` on Ray (filling them in, like ``score_item``) and return them in their original order.

    ``workers`` defaults to the cluster's CPUs / ``cpus_per_worker``. Items already in ``out_dir``'s journal
    from an interrupted run with the same settings are taken from it, not scored again. ``on_result`` is
    called with each item as it finishes (after it is written).
    """
    import ray
    from tqdm import tqdm

    settings = {"model": str(model) if model else "", "model_version": model_version, "frames": n_frames}
    out_dir = Path(out_dir)
    done = read_journal(out_dir, settings)
    todo = []
    for item in items:
        result = done.get(_key(item))
        if result is None:
            todo.append(item)
        else:
            for name, value in result.items():
                setattr(item, name, value)
    if done:
        print(f"resuming: {len(items) - len(todo)} of {len(items)} items already scored in {out_dir / JOURNAL}",
              file=sys.stderr)
    writer = _Writer(out_dir, settings, resuming=bool(done) or (out_dir / JOURNAL).exists())
    try:
        if todo:
            connect(address)
            n_workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_worker))
            n_workers = min(n_workers, len(todo))
            _run_pool(todo, writer, n_frames, n_workers, cpus_per_worker, str(model) if model else None,
                      progress, on_result, tqdm)
    finally:
        writer.close()
    return items


def _run_pool(todo: list[Item], writer: _Writer, n_frames: int, n_workers: int, cpus: float, model: str | None,
              progress: bool, on_result, tqdm) -> None:
    import ray

    by_index = dict(enumerate(todo))
    LabWorker = _worker_class(cpus)
    actors = [LabWorker.remote(model) for _ in range(n_workers)]
    queue: Iterable[int] = iter(range(len(todo)))
    running: dict = {}  # future → (actor, index)
    replacements = 0

    def submit(actor) -> None:
        i = next(queue, None)
        if i is not None:
            running[actor.score.remote(by_index[i], n_frames)] = (actor, i)

    for actor in actors:
        submit(actor)
    bar = tqdm(total=len(todo), desc="evaluating on Ray", unit="item", disable=not progress)
    try:
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            actor, i = running.pop(ready[0])
            try:
                item = ray.get(ready[0])
            except ray.exceptions.RayActorError as exc:  # the worker died on this item: record it, replace it
                item = by_index[i]
                item.error = f"the worker scoring this item died ({type(exc).__name__}); it was not scored"
                replacements += 1
                if replacements > 2 * n_workers + 2:
                    raise RuntimeError("Ray workers keep dying (see the Ray logs: out of memory?); stopped. "
                                       "Run the same command again to resume.") from exc
                actors[actors.index(actor)] = actor = LabWorker.remote(model)
            except ray.exceptions.RayTaskError as exc:
                item = by_index[i]
                item.error = f"scoring failed on the worker: {exc.cause if exc.cause else exc}"
            else:
                # keep the caller's Item objects: copy the results into them
                for name in _result_fields():
                    setattr(by_index[i], name, getattr(item, name))
                item = by_index[i]
            writer.add(item)
            bar.update(1)
            if on_result is not None:
                on_result(item)
            submit(actor)
    finally:
        bar.close()
        for actor in actors:  # also stops what they were still scoring after an interruption
            ray.kill(actor)
