"""The WSGI edge (PEP 3333): the same compiled policy as the ASGI middleware, behind WSGI.

Owns: the WSGI middleware (``middleware``): it reads the request facts from the environ, asks
the policy layer (the same ``Policy``, router, write protection, observer and shadow as the ASGI
edge), and writes the answer through ``start_response``.

May import: ``crossorigin._policy``, ``crossorigin._config``, ``crossorigin._grammar``, the
vocabulary, and ``crossorigin._asgi.decisions`` (the ``Decision`` records and the observer,
which never touch ``send``). Nothing below imports it.
"""
