"""nerloop: gazetteer-driven NER for domain query assistants.

This package holds what every part shares: the domain schema, the tagged-query
record, the store and the ``nerloop`` command line, and one helper per job that
several packages do, so each is done one way:

- :mod:`nerloop.jsonl`: reading JSON Lines (problems as ``file:line: what``);
  :mod:`nerloop.textfiles`: strict UTF-8 and YAML text, one message for bad bytes;
- :mod:`nerloop.atomic`: atomic file writes; :mod:`nerloop.outdir`: output
  directories as transactions and the one lock every directory writer takes;
- :mod:`nerloop.width`: width folding (offsets kept) and widening;
- :mod:`nerloop.hashing`: stable pseudo-random numbers from keys;
- :func:`nerloop.evaluation.prf`: entity precision, recall and F1 (0 when both sides are empty).
"""

__version__ = "0.1.0"
