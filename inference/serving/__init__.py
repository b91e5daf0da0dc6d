"""``nerloop serve``: the tagging pipeline over HTTP, and a Label Studio ML backend, on one ASGI app.

One module per job: :mod:`~inference.serving.config` (settings), :mod:`~inference.serving.holder`
(the model in service, hot swap), :mod:`~inference.serving.runner` (the model in processes of its
own, or on threads), :mod:`~inference.serving.channel` (frames between the HTTP process and a model
process), :mod:`~inference.serving.model_process` (a model process: batches what has arrived),
:mod:`~inference.serving.batcher` (micro-batching on bounded worker threads, the thread runner's),
:mod:`~inference.serving.service` (the pieces wired together), :mod:`~inference.serving.requests`
(bodies and limits), :mod:`~inference.serving.replies` (``/v1/tag``'s answer and its direct ASGI
endpoint, errors to statuses), :mod:`~inference.serving.label_studio` (the ML-backend protocol,
pure), :mod:`~inference.serving.training` (START_TRAINING → a cycle), :mod:`~inference.serving.auth`,
:mod:`~inference.serving.metrics`, :mod:`~inference.serving.middleware` (access log),
:mod:`~inference.serving.app` (routes) and :mod:`~inference.serving.server` (uvicorn). Needs the ``serve`` extra (fastapi, uvicorn,
prometheus-client); the pure modules import without it.
"""
