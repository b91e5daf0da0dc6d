"""The Label Studio edge: SDK calls (``api``), pure conversions (``convert``), push and pull over the store."""

from active_learning.label_studio.config import LabelStudioTarget
from active_learning.label_studio.errors import (
    AuthenticationFailed,
    LabelStudioError,
    ProjectNotFound,
    ServerUnreachable,
)
from active_learning.label_studio.pull import PullReport, gold_records, pull_annotations
from active_learning.label_studio.push import PushReport, push_batch

__all__ = [
    "AuthenticationFailed",
    "LabelStudioError",
    "LabelStudioTarget",
    "ProjectNotFound",
    "PullReport",
    "PushReport",
    "ServerUnreachable",
    "gold_records",
    "pull_annotations",
    "push_batch",
]
