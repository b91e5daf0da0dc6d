"""Errors at the Label Studio edge, each a one-line message the CLI prints as it is.

Messages name the server and what to do; they never contain the API token.
"""

from __future__ import annotations

from nerloop.errors import NerloopError


class LabelStudioError(NerloopError):
    """Label Studio answered with an error, or pushing/pulling cannot go on."""


class ServerUnreachable(LabelStudioError):
    """No Label Studio answers at the URL (not started, wrong port, network down)."""


class AuthenticationFailed(LabelStudioError):
    """The server refused the token (401/403)."""


class ProjectNotFound(LabelStudioError):
    """The project does not exist (deleted under us, or a wrong id/title)."""


class ExportFormatError(LabelStudioError):
    """A file given to ``pull --from-file`` is not Label Studio's JSON export."""
