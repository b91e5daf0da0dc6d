"""Template grammars over gazetteers that synthesize hierarchy-consistent tagged queries.

Where things live:

* ``grammar/``: the grammar YAML compiled into templates and fragments (``model``, ``yaml_lines``,
  ``compiler``, ``checks``, ``parse``); ``from generator.grammar import load_grammar`` as before;
* ``pipeline``: ``generate_dataset``, the run (lock, staging, exports, manifest), and ``write``,
  its inner loop that samples every split into its JSONL file;
* ``sampler``, ``noise``, ``novel``, ``distractors``: one sample, its noise, invented names, faker items;
* ``negatives`` (entity-free and mixed records) and ``hard_negatives`` (what they are built from);
* ``splits``, ``dedup``, ``estimate``, ``config``, ``errors``.
"""
