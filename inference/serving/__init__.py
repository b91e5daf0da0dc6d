"""``nerloop serve``: the tagging pipeline over HTTP, and a Label Studio ML backend, on one ASGI app.

One module per job: :mod:`~inference.serving.config` (settings), :mod:`~inference.serving.holder`
(the model in service, hot swap), :mod:`~inference.serving.runner` (the model in a process of its
own, or on a thread), :mod:`~inference.serving.batcher` (micro-batching on a bounded worker),
:mod:`~inference.serving.service` (the pieces wired together),
:mod:`~inference.serving.requests` (bodies and limits), :mod:`~inference.serving.label_studio`
(the ML-backend protocol, pure), :mod:`~inference.serving.training` (START_TRAINING → a cycle),
:mod:`~inference.serving.auth`, :mod:`~inference.serving.metrics`,
:mod:`~inference.serving.middleware` (access log), :mod:`~inference.serving.app` (routes) and
:mod:`~inference.serving.server` (uvicorn). Needs the ``serve`` extra (fastapi, uvicorn,
prometheus-client); the pure modules import without it.
"""
