"""``nerloop al simulate``: learning curves of each strategy against random, with simulated annotators.

The annotators' pool is written by a *different* grammar than training
(``active_learning/data/simulation_grammar.yaml``: other shapes and word orders, typos,
hard negatives), on held-out gazetteer entries for its test part, so that "human" labels
teach something the synthetic warm start does not already know, as real logs do; and, as in
real logs, part of the pool (``routine_share``) is the routine shapes the generator covers,
new draws of the training grammar the warm start already handles. Every
strategy starts from the same warm-start model per seed; each round the current model tags
the unlabelled pool, a diverse batch is chosen (:func:`~active_learning.select.diverse_top_k`),
its gold records join the training data (upweighted), and the model is retrained from scratch
on warm-start data plus all labels so far. The entity F1 on the pool's test part after each
round gives the curve.

The label-efficiency ratio of a strategy is ``labels random needs / labels the strategy
needs`` to reach random's final F1 (linear interpolation between rounds), per seed and
averaged over the seeds where the strategy reaches it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from active_learning.batch import text_hash
from active_learning.config import SelectConfig, SimulationConfig
from active_learning.errors import SimulationError
from active_learning.score import StochasticTagger, score_records
from active_learning.select import Candidate, diverse_top_k
from active_learning.strategies import RANDOM, Needs, get_strategy, needs_of
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolver
from nerloop.evaluation import evaluate
from nerloop.records import TaggedQuery
from nerloop.tagging import Tagger

SIMULATION_GRAMMAR = Path(__file__).parent / "data" / "simulation_grammar.yaml"
Curve = list[tuple[int, float]]
_NO_DIVERSITY = SelectConfig(near_duplicate=100.0, per_entry_cap=1 << 30, per_shape_cap=1 << 30)


class Learner(Protocol):
    """Trains a fresh tagger; the trainer backend in production, anything real in tests."""

    def fit(self, train: Sequence[tuple[TaggedQuery, float]], validation: Sequence[TaggedQuery], seed: int) -> Tagger:
        """A tagger trained on weighted records (seeded), validated on ``validation``."""
        ...


@dataclass(frozen=True)
class SimulationData:
    """Warm-start data (training grammar) and the annotators' pool and test set (simulation grammar)."""

    warm_train: list[TaggedQuery]
    warm_validation: list[TaggedQuery]
    pool: list[TaggedQuery]
    test: list[TaggedQuery]


def generate_splits(
    gazetteer: Gazetteer,
    grammar: Path | None,
    out_dir: Path,
    sizes: tuple[int, int, int],
    seed: int,
    reference: dt.date,
    typo_rate: float | None = None,
) -> Path:
    """``nerloop generate`` with exact train/validation/test sizes; returns ``out_dir``."""
    from generator.config import GeneratorConfig
    from generator.grammar import load_grammar
    from generator.pipeline import generate_dataset

    # no extra entity-free or mixed records: the simulation compares selection strategies on
    # queries, and its README figures were measured so
    options: dict = {"negative_share": 0.0, "mixed_share": 0.0}
    if typo_rate is not None:
        options["typo_rate"] = typo_rate
    config = GeneratorConfig(n=sum(sizes), seed=seed, reference_date=reference, split_ratios=sizes, **options)
    generate_dataset(gazetteer, load_grammar(grammar, gazetteer.domain), out_dir, config)
    return out_dir


def prepare_data(
    gazetteer: Gazetteer,
    config: SimulationConfig,
    work_dir: Path,
    reference: dt.date,
    grammar: Path | None = None,
    simulation_grammar: Path = SIMULATION_GRAMMAR,
) -> SimulationData:
    """The warm start (training grammar) and the annotators' pool and test set.

    The pool and test set are the simulation grammar's long tail plus ``routine_share`` of new
    training-grammar draws (none a warm-start text), shuffled together.
    """
    from nerloop.export import read_jsonl

    validation = max(config.warm_size // 8, 1)
    warm = generate_splits(
        gazetteer, grammar, Path(work_dir) / "warm", (config.warm_size, validation, 0), 101, reference
    )
    routine_pool = round(config.pool_size * config.routine_share)
    routine_test = round(config.test_size * config.routine_share)
    tail = generate_splits(
        gazetteer,
        simulation_grammar,
        Path(work_dir) / "pool",
        (config.pool_size - routine_pool, 0, config.test_size - routine_test),
        202,
        reference,
        config.typo_rate,
    )
    pool, test = list(read_jsonl(tail / "train.jsonl")), list(read_jsonl(tail / "test.jsonl"))
    warm_train = list(read_jsonl(warm / "train.jsonl"))
    if routine_pool or routine_test:
        # new draws of the training grammar, none a text the warm start trained on; a margin for those dropped
        sizes = (routine_pool + routine_pool // 4 + 5, 0, routine_test + routine_test // 4 + 5)
        routine = generate_splits(gazetteer, grammar, Path(work_dir) / "routine", sizes, 303, reference)
        seen = {r.text for r in warm_train} | {r.text for r in pool} | {r.text for r in test}
        pool += [r for r in read_jsonl(routine / "train.jsonl") if r.text not in seen][:routine_pool]
        test += [r for r in read_jsonl(routine / "test.jsonl") if r.text not in seen][:routine_test]
        mix = random.Random(404)  # interleaved, so pool order says nothing about the source
        mix.shuffle(pool)
        mix.shuffle(test)
    if (len(pool), len(test)) != (config.pool_size, config.test_size):
        raise SimulationError(
            f"the grammars gave {len(pool)} pool and {len(test)} test queries, not {config.pool_size} and "
            f"{config.test_size}: the gazetteer is too small for these sizes; lower --pool-size/--test-size"
        )
    return SimulationData(warm_train, list(read_jsonl(warm / "validation.jsonl")), pool, test)


def tagger_f1(tagger: Tagger, test: Sequence[TaggedQuery], hierarchy: Sequence[str]) -> float:
    """Entity F1 (exact type and span) of a tagger's mentions on gold records."""
    predictions = tagger.predict([r.text for r in test])
    predicted = [TaggedQuery(r.text, p.entities) for r, p in zip(test, predictions)]
    return evaluate(test, predicted, hierarchy)["entity_f1"]


def choose_batch(
    tagger: Tagger,
    pool: Sequence[TaggedQuery],
    strategy: str,
    config: SimulationConfig,
    resolver: Resolver,
    reference: dt.date,
    seed: int,
) -> list[int]:
    """Indexes into ``pool`` of the next batch: diverse top-k, topped up by score if caps leave it short."""
    hierarchy = resolver.gazetteer.domain.hierarchy
    texts = [r.text for r in pool]
    predictions = tagger.predict(texts)
    samples = None
    if needs_of(strategy) is Needs.MC_SAMPLES:
        if not isinstance(tagger, StochasticTagger):
            raise SimulationError(f"strategy {strategy!r} needs MC-dropout samples; this tagger has no predict_samples")
        samples = tagger.predict_samples(texts, config.mc_samples)
    pairs = [(resolver.resolve(t, p.entities, reference), p) for t, p in zip(texts, predictions)]
    candidates = []
    for i, ((resolution, _), (scores, signals)) in enumerate(zip(pairs, score_records(pairs, hierarchy, samples))):
        value = 0.0 if strategy == RANDOM else scores.get(strategy)
        if value is None:
            raise SimulationError(f"the tagger gives no {strategy!r} scores")
        candidates.append(Candidate(i, text_hash(texts[i]), resolution.record, value, signals, tagger.version))
    chosen = [
        c.query_log_id
        for c, _ in diverse_top_k(candidates, config.batch_size, config.select, hierarchy, strategy, seed)
    ]
    if len(chosen) < config.batch_size:
        relaxed = [
            c.query_log_id
            for c, _ in diverse_top_k(candidates, len(candidates), _NO_DIVERSITY, hierarchy, strategy, seed)
        ]
        chosen += [i for i in relaxed if i not in set(chosen)][: config.batch_size - len(chosen)]
    return chosen


def labels_to_reach(curve: Curve, target: float) -> float | None:
    """Labels at which ``curve`` first reaches ``target`` (linear between rounds), ``None`` if never."""
    previous = None
    for labels, f1 in curve:
        if f1 >= target:
            if previous is None or previous[1] >= f1:
                return float(labels)
            x0, y0 = previous
            return x0 + (labels - x0) * (target - y0) / (f1 - y0)
        previous = (labels, f1)
    return None


def label_efficiency(random_curve: Curve, curve: Curve) -> float | None:
    """labels random needs / labels the strategy needs to reach random's final F1 (``None``: not reached
    or undefined because random never improved on the warm start)."""
    target = random_curve[-1][1]
    needed_random = labels_to_reach(random_curve, target)
    needed = labels_to_reach(curve, target)
    if needed is None or not needed or not needed_random:
        return None
    return needed_random / needed


def simulate(
    data: SimulationData,
    learner: Learner,
    gazetteer: Gazetteer,
    config: SimulationConfig,
    reference: dt.date,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run every strategy and random for every seed; the JSON-able result with curves and ratios."""
    for name in config.strategies:
        get_strategy(name)
    if len(data.pool) < config.rounds * config.batch_size:
        raise SimulationError(
            f"the pool has {len(data.pool)} queries; {config.rounds} rounds of {config.batch_size} need more"
        )
    started = time.perf_counter()
    hierarchy = gazetteer.domain.hierarchy
    resolver = Resolver(gazetteer)
    strategies = [RANDOM, *[s for s in config.strategies if s != RANDOM]]
    warm = [(r, 1.0) for r in data.warm_train]
    curves: dict[str, dict[str, Curve]] = {s: {} for s in strategies}
    for seed in range(config.seeds):
        warm_tagger = learner.fit(warm, data.warm_validation, seed)
        warm_f1 = tagger_f1(warm_tagger, data.test, hierarchy)
        for strategy in strategies:
            tagger, labelled, remaining = warm_tagger, [], list(range(len(data.pool)))
            curve: Curve = [(0, warm_f1)]
            for round_no in range(1, config.rounds + 1):
                picked = choose_batch(
                    tagger,
                    [data.pool[i] for i in remaining],
                    strategy,
                    config,
                    resolver,
                    reference,
                    seed * 1000 + round_no,
                )
                chosen = {remaining[i] for i in picked}
                labelled += sorted(chosen)
                remaining = [i for i in remaining if i not in chosen]
                train = warm + [(data.pool[i], config.human_weight) for i in labelled]
                tagger = learner.fit(train, data.warm_validation, seed)
                curve.append((len(labelled), tagger_f1(tagger, data.test, hierarchy)))
                if progress is not None:
                    progress(
                        {
                            "seed": seed,
                            "strategy": strategy,
                            "round": round_no,
                            "labels": len(labelled),
                            "f1": curve[-1][1],
                        }
                    )
            curves[strategy][str(seed)] = curve
    return _result(curves, config, data, round(time.perf_counter() - started, 1))


def _result(
    curves: dict[str, dict[str, Curve]], config: SimulationConfig, data: SimulationData, seconds: float
) -> dict[str, Any]:
    seeds = sorted(curves[RANDOM])
    out: dict[str, Any] = {
        "config": config.to_dict(),
        "data": {"warm_train": len(data.warm_train), "pool": len(data.pool), "test": len(data.test)},
        "seconds": seconds,
        "curves": {},
        "label_efficiency": {},
    }
    for strategy, per_seed in curves.items():
        rounds = len(per_seed[seeds[0]])
        mean = []
        for k in range(rounds):
            values = [per_seed[s][k][1] for s in seeds]
            mean.append(
                [
                    per_seed[seeds[0]][k][0],
                    statistics.fmean(values),
                    statistics.pstdev(values) if len(values) > 1 else 0.0,
                ]
            )
        out["curves"][strategy] = {"seeds": {s: [list(p) for p in per_seed[s]] for s in seeds}, "mean": mean}
        ratios = [label_efficiency(curves[RANDOM][s], per_seed[s]) for s in seeds]
        reached = [r for r in ratios if r is not None]
        out["label_efficiency"][strategy] = {
            "per_seed": ratios,
            "mean": statistics.fmean(reached) if reached else None,
            "reached": len(reached),
            "seeds": len(seeds),
        }
    out["random_final_f1"] = out["curves"][RANDOM]["mean"][-1][1]
    best = max(
        (s for s in curves if s != RANDOM and out["label_efficiency"][s]["mean"]),
        key=lambda s: out["label_efficiency"][s]["mean"],
        default=None,
    )
    out["best_strategy"] = best
    return out


def write_results(result: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """``curves.json`` and ``curves.png`` (mean entity F1 vs human labels, ±1 std over seeds)."""
    try:
        import matplotlib
    except ImportError as exc:
        raise SimulationError("plotting needs matplotlib: pip install 'nerloop[plot]'") from exc

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out_dir / "curves.json", out_dir / "curves.png"
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for strategy, curve in result["curves"].items():
        xs = [p[0] for p in curve["mean"]]
        ys = [p[1] for p in curve["mean"]]
        sd = [p[2] for p in curve["mean"]]
        efficiency = result["label_efficiency"][strategy]
        ratio, reached, seeds = efficiency["mean"], efficiency["reached"], efficiency["seeds"]
        label = (
            strategy if strategy == RANDOM or ratio is None else f"{strategy} (×{ratio:.2f}, {reached}/{seeds} seeds)"
        )
        ax.plot(xs, ys, marker="o", markersize=3, label=label, linestyle="--" if strategy == RANDOM else "-")
        ax.fill_between(xs, [y - s for y, s in zip(ys, sd)], [y + s for y, s in zip(ys, sd)], alpha=0.12)
    ax.axhline(result["random_final_f1"], color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("human labels")
    ax.set_ylabel("entity F1 (simulation test set)")
    ax.set_title(
        f"Active learning, mean of {result['label_efficiency'][RANDOM]['seeds']} seeds (× = label efficiency vs random)"
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path)
    plt.close(fig)
    return json_path, png_path


class TrainerLearner:
    """The real trainer backend as a :class:`Learner` (``trainer.tagger.train_model``/``load_model``)."""

    def __init__(self, domain: Any, gazetteer: Gazetteer, work_dir: Path, steps: int, base: str = "tiny") -> None:
        self.domain, self.gazetteer, self.work_dir = domain, gazetteer, Path(work_dir)
        self.steps, self.base = steps, base
        self.fits = 0

    def fit(self, train: Sequence[tuple[TaggedQuery, float]], validation: Sequence[TaggedQuery], seed: int) -> Tagger:
        from active_learning.deps import require_component
        from trainer.config import TrainConfig

        backend = require_component("trainer.tagger", "tagger training backend")
        self.fits += 1
        out = self.work_dir / f"fit-{self.fits}"
        config = TrainConfig(base=self.base, max_steps=self.steps, seed=seed, early_stopping_patience=0)
        manifest = backend.train_model(config, train, validation, self.domain, out, gazetteer=self.gazetteer)
        # the same gazetteer at inference: the lexicon features the model was trained with
        return backend.load_model(out, manifest, gazetteer=self.gazetteer)
