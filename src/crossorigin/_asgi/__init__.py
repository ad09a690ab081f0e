"""The ASGI edge: the only layer that touches ``receive`` and ``send``.

Owns: the middleware (``middleware``), the request-time guards, the observer and the
``Decision`` records (``decisions``), the responses it writes and the logging of denials. It
gathers the request facts, asks the policy layer, and emits the answer.

May import: ``crossorigin._policy``, ``crossorigin._config``, ``crossorigin._grammar`` and the
vocabulary. Nothing below imports it.
"""
