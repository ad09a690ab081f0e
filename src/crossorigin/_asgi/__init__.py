"""The ASGI edge: the only layer that touches ``receive`` and ``send``.

Owns: the middleware (``middleware``), the request-time protection guards that send the
refusals (``guards``), the observer, the ``Decision`` records and the shadow comparison
(``decisions``), the responses it writes and the logging of denials. It gathers the request
facts, asks the policy layer, and emits the answer.

May import: ``crossorigin._policy``, ``crossorigin._config``, ``crossorigin._grammar`` and the
vocabulary (and, once it exists, ``crossorigin._store``). Nothing below imports it; the WSGI
edge (``_wsgi``) is its peer and does not import it either.
"""
