"""``nerloop logs ingest``: real query logs into the store, normalized and de-duplicated."""

from active_learning.ingest.config import IngestConfig, LogFormat
from active_learning.ingest.ingest import IngestReport, ingest_file, ingest_logs

__all__ = ["IngestConfig", "IngestReport", "LogFormat", "ingest_file", "ingest_logs"]
