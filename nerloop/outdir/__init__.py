"""Output directories written as transactions: a lock, a staging area, a manifest written last."""

from nerloop.outdir.lock import LOCK_FILE, busy_error, file_lock, output_lock, sibling_lock
from nerloop.outdir.transaction import MANIFEST, STAGING, FileEntry, OutputTransaction
from nerloop.outdir.verify import verify_output

__all__ = [
    "LOCK_FILE",
    "MANIFEST",
    "STAGING",
    "FileEntry",
    "OutputTransaction",
    "busy_error",
    "file_lock",
    "output_lock",
    "sibling_lock",
    "verify_output",
]
