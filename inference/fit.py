"""Calibrate a trained model and choose its combination with the gazetteer, on a realistic development set.

Generated validation data rewards recall and never shows what goes wrong in real logs
(greetings, person names, brands), so the decision between model and gazetteer is made on
the hand-written development set shipped with the power domain (:mod:`inference.devset`), or
on a ``--dev`` file of the user's own; only without either on generated validation. The
choice, in order: never below the matcher on queries whose names the gazetteer knows; as few
mentions in entity-free queries beyond ``MAX_FALSE_PER_100`` per 100 as the model allows (a
mention invented in a greeting costs an analyst more than a missed one); then the best entity
F1. Written to ``calibration.json`` beside the model.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gazetteers.matcher import GazetteerMatcher
from gazetteers.model import Gazetteer
from gazetteers.tagging import MatcherTagger
from inference.calibration import PlattCalibration, fit_platt, reliability
from inference.combine import FIXED_MODES, Thresholds, combine_calibrated, combine_entities
from inference.evidence import EvidenceFinder
from nerloop.atomic import atomic_write_text
from nerloop.errors import NerloopError
from nerloop.evaluation import prf
from nerloop.records import Entity, TaggedQuery
from nerloop.tagging import Prediction
from trainer.errors import ModelDirError
from trainer.model_dir import ModelManifest

CALIBRATION_FILE = "calibration.json"
MAX_FALSE_PER_100 = 1.0
SUPPORTED = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
UNSUPPORTED = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.01)
VETO = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)


@dataclass(frozen=True)
class Score:
    """What the choice weighs, for one candidate on the development records."""

    f1: float
    known_f1: float
    false_per_100: float

    def to_dict(self) -> dict:
        return {k: round(v, 4) for k, v in vars(self).items()}


def _spans(entities: Sequence[Entity]) -> set[tuple[str, int, int]]:
    return {(e.type, e.start, e.end) for e in entities}


def score(gold: Sequence[TaggedQuery], predicted: Sequence[Sequence[Entity]], known: Sequence[bool]) -> Score:
    """Entity F1 (exact type and span), F1 on the ``known`` records, false mentions per 100 entity-free ones."""
    tp = n_pred = n_gold = ktp = kpred = kgold = false = empty = 0
    for record, entities, is_known in zip(gold, predicted, known):
        g, p = _spans(record.entities), _spans(entities)
        hits = len(g & p)
        tp, n_pred, n_gold = tp + hits, n_pred + len(p), n_gold + len(g)
        if is_known:
            ktp, kpred, kgold = ktp + hits, kpred + len(p), kgold + len(g)
        if not g:
            empty += 1
            false += len(p)
    return Score(prf(tp, n_pred, n_gold)[2], prf(ktp, kpred, kgold)[2], 100.0 * false / empty if empty else 0.0)


def known_records(gold: Sequence[TaggedQuery], gazetteer: Gazetteer) -> list[bool]:
    """Records whose hierarchy mentions all name entries of ``gazetteer`` (the matcher's home ground)."""
    hierarchy = set(gazetteer.domain.hierarchy)
    return [all(e.type not in hierarchy or (e.id is not None and e.id in gazetteer) for e in r.entities) for r in gold]


@dataclass(frozen=True)
class Fit:
    """The outcome: the chosen mode, calibration and thresholds, and every candidate's score."""

    combine: str
    calibration: PlattCalibration
    thresholds: Thresholds
    scores: dict[str, Score]
    reliability: dict
    n_records: int
    source: str

    def to_dict(self) -> dict:
        return {
            "combine": self.combine,
            "calibration": {"method": "platt", **self.calibration.to_dict()},
            "thresholds": self.thresholds.to_dict(),
            "scores": {mode: s.to_dict() for mode, s in self.scores.items()},
            "reliability": self.reliability,
            "n_records": self.n_records,
            "fitted_on": self.source,
            "max_false_per_100": MAX_FALSE_PER_100,
        }


def _key(candidate: Score, floor: float) -> tuple:
    """Larger is better: never below the matcher on known names, then the precision floor, then F1."""
    fits_known = candidate.known_f1 >= floor - 1e-9
    excess = max(0.0, candidate.false_per_100 - MAX_FALSE_PER_100)
    return (fits_known, -round(excess, 6), candidate.f1, -candidate.false_per_100)


def fit_combination(
    predictions: Sequence[Prediction],
    matched: Sequence[Sequence[Entity]],
    gold: Sequence[TaggedQuery],
    known: Sequence[bool],
    evidence: EvidenceFinder,
    source: str = "development set",
) -> Fit:
    """Calibrate span scores, search the thresholds and choose the mode (pure, given the predictions)."""
    raw, correct, kinds = [], [], []
    for prediction, record, found in zip(predictions, gold, matched):
        gold_spans = _spans(record.entities)
        for e in prediction.entities:
            raw.append(e.score if e.score is not None else 1.0)
            correct.append((e.type, e.start, e.end) in gold_spans)
            kinds.append(evidence.in_context(e, found, prediction.entities).kind)
    calibration = fit_platt(raw, correct, kinds)
    before, ece_before = reliability(raw, correct)
    after, ece_after = reliability([calibration(r, k) for r, k in zip(raw, kinds)], correct)
    scores = {
        mode: score(gold, [combine_entities(mode, p.entities, m) for p, m in zip(predictions, matched)], known)
        for mode in FIXED_MODES
    }
    floor = scores["matcher"].known_f1
    best: tuple[tuple, Thresholds, Score] | None = None
    for supported, unsupported, veto, anchor in itertools.product(SUPPORTED, UNSUPPORTED, VETO, (False, True)):
        if unsupported < supported:  # what nothing backs never needs less confidence than what is backed
            continue
        thresholds = Thresholds(supported, unsupported, veto, anchor)
        combined = [
            combine_calibrated(p.entities, m, p.char_entity_probs, evidence, calibration, thresholds)[0]
            for p, m in zip(predictions, matched)
        ]
        candidate = score(gold, combined, known)
        key = _key(candidate, floor)
        if best is None or key > best[0]:
            best = (key, thresholds, candidate)
    assert best is not None
    scores["calibrated"] = best[2]
    chosen = max(scores, key=lambda mode: (_key(scores[mode], floor), mode == "calibrated"))
    return Fit(
        chosen,
        calibration,
        best[1],
        scores,
        {"raw": before, "raw_ece": round(ece_before, 4), "calibrated": after, "calibrated_ece": round(ece_after, 4)},
        len(gold),
        source,
    )


def write_calibration(model_dir: Path, fit: Fit) -> None:
    atomic_write_text(
        Path(model_dir) / CALIBRATION_FILE, json.dumps(fit.to_dict(), ensure_ascii=False, indent=2) + "\n"
    )


def read_calibration(model_dir: Path) -> tuple[PlattCalibration, Thresholds]:
    """The calibration and thresholds saved by :func:`fit_model_dir`."""
    path = Path(model_dir) / CALIBRATION_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
        return PlattCalibration.from_dict(data["calibration"]), Thresholds(**data["thresholds"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelDirError(
            f"{path}: cannot read the calibration ({exc}); use --combine matcher-first or recalibrate the model"
        ) from None


def development_records(domain_types: Sequence[str]) -> tuple[list[TaggedQuery], str] | None:
    """The shipped development split when the domain is the power domain it was written for."""
    from inference import devset

    if not devset.devset_path("dev").is_file():  # an installation without package data
        return None
    records = devset.load_devset("dev")
    needed = {e.type for r in records for e in r.entities}
    return (records, "inference/data/devset/dev.jsonl") if needed <= set(domain_types) else None


def fit_model_dir(
    model_dir: Path, gazetteer: Gazetteer, records: Sequence[TaggedQuery], source: str, device: str | None = None
) -> Fit:
    """Open the model in ``model_dir``, fit on ``records`` and write ``calibration.json``."""
    from inference.loading import open_model

    if not records:
        raise NerloopError("no records to calibrate the model on")
    tagger = open_model(model_dir, gazetteer=gazetteer, device=device, token_probs=False)
    texts = [r.text for r in records]
    matcher = GazetteerMatcher(gazetteer)
    fit = fit_combination(
        tagger.predict(texts),
        [p.entities for p in MatcherTagger(matcher).predict(texts)],
        records,
        known_records(records, gazetteer),
        EvidenceFinder(matcher),
        source,
    )
    write_calibration(model_dir, fit)
    return fit


def finalizer(records: Sequence[TaggedQuery] | None, source: str) -> Callable:
    """A :data:`trainer.train.Finalize` hook: calibrate on ``records`` (else on the validation records)."""

    def finalize(work: Path, manifest: ModelManifest, gazetteer: Gazetteer, validation: Sequence[TaggedQuery]):
        chosen, where = (records, source) if records else (validation, "generated validation split")
        if not chosen:
            return manifest
        fit = fit_model_dir(work, gazetteer, chosen, where)
        metrics = {**manifest.metrics, "combinations": {mode: s.f1 for mode, s in fit.scores.items()}}
        metrics["calibration"] = {"fitted_on": where, **fit.scores[fit.combine].to_dict()}
        return replace(manifest, combine=fit.combine, metrics=metrics)

    return finalize


def source_gazetteer(data_specs: Sequence) -> Gazetteer | None:
    """The gazetteer a ``nerloop generate`` directory was made from, if its manifest names one that
    still loads with the same fingerprint (an edited or moved gazetteer is not guessed at)."""
    from gazetteers import load_gazetteer

    for spec in data_specs:
        path = Path(spec.path) / "manifest.json"
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or "gazetteer_dir" not in data:
            continue
        try:
            found = load_gazetteer(data["gazetteer_dir"])
        except (NerloopError, OSError):
            continue
        if found.fingerprint == data.get("gazetteer_fingerprint"):
            return found
    return None


def train_calibrated(
    config,
    data_specs: Sequence,
    out_dir: Path,
    gazetteer: Gazetteer | None = None,
    *,
    dev: Path | str | None = "auto",
    progress: Callable[[dict], None] | None = None,
    engine=None,
) -> ModelManifest:
    """``nerloop train``: train, validate and early-stop on the development records, then calibrate on them.

    Calibration tags the development records with ``gazetteer`` when given, else with the gazetteer
    the data was generated from (:func:`source_gazetteer`), else with the training gazetteer.

    Args:
        dev: ``auto`` (the shipped development split when the domain's types cover it, else the
            data's validation split), a JSON Lines file of gold records, or ``None`` (the
            validation split).
    """
    from trainer.train import train

    source = "generated validation split"
    records: list[TaggedQuery] | None = None
    if dev is not None and dev != "auto":
        from nerloop.export import read_jsonl

        source = str(dev)
        records = list(read_jsonl(Path(dev)))

    def validation(domain) -> list[TaggedQuery] | None:
        nonlocal records, source
        if dev == "auto":
            found = development_records(list(domain.types))
            if found is not None:
                records, source = found[0], found[1]
        return records

    tagging = gazetteer if gazetteer is not None else source_gazetteer(data_specs)

    def finalize(work: Path, manifest: ModelManifest, gaz: Gazetteer, checked: Sequence[TaggedQuery]):
        # thresholds are fitted against the gazetteer the model will tag with: the one the data was
        # generated from, not gazetteer_train/ (which lacks the held-out names a user's gazetteer has)
        return finalizer(records, source)(work, manifest, tagging or gaz, checked)

    return train(
        config,
        data_specs,
        out_dir,
        gazetteer,
        progress=progress,
        engine=engine,
        validation=validation,
        finalize=finalize,
    )
