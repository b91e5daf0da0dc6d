"""nerloop: gazetteer-driven NER for domain query assistants.

This package holds what every part shares: the domain schema, the tagged-query
record, the store and the ``nerloop`` command line.
"""

__version__ = "0.1.0"
