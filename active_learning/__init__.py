"""Active learning: log ingestion, uncertainty scoring, Label Studio round trips, retrain cycles.

Where things live:

- ``uncertainty.py``: the math, pure functions over plain arrays (``least_confidence``,
  ``margin``, ``token_entropy``, ``mnlp``, ``g_nll``, ``bald``) and their batch forms.
- ``strategies.py``: the registry of ``--strategy`` names (``@strategy(name, needs=...)``),
  each declaring what it reads from a prediction (:class:`~active_learning.strategies.Needs`:
  token probabilities, generative log-probs, MC-dropout samples); callers ask
  ``needs_of(name)``, never compare names. ``score_all``/``score_batch`` score a prediction
  with every strategy it has the input for.
- ``signals.py``: resolver signals (unlinked, ambiguous, conflict, unparseable) and the boosts
  selection adds for them.
- ``score.py`` (``al score``): tag the logged pool and store every strategy's score;
  ``select.py`` (``al select``): the next batch, diverse; ``batch.py``: what flows from
  selection to annotation.
- ``ingest/`` (``logs ingest``): real query logs into the store; ``label_studio/``: the
  annotation edge (``api`` SDK calls, ``convert`` pure record ⇄ task, push and pull);
  ``annotators.py``: simulated annotators standing where Label Studio stands.
- ``cycle.py`` (``nerloop cycle``): the round's steps as idempotent functions over the store;
  ``steps.py``: their typed records, stored as JSON in the round row; ``rounds.py``: a round
  in progress (finished steps, the models it opened, once each); ``deps.py``: the seam to the
  trainer, the tagging pipeline and the annotation edge; ``lock.py``: one cycle at a time.
- ``simulate.py`` (``al simulate``): learning curves per strategy; ``demo.py`` (``nerloop
  demo``): the whole loop on the defaults; ``suggest.py`` (``gazetteer suggest``): new
  names annotators marked; ``config.py``: one dataclass config per component;
  ``errors.py``: this package's exceptions; ``data/``: the sample log and the simulation grammar.

The package imports ``nerloop``, ``gazetteers``, ``generator``, ``trainer`` and ``inference``
(``tests/unit/test_layering.py``); torch is imported only where a model is trained or opened.
"""
