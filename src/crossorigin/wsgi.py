"""crossorigin for WSGI applications (PEP 3333): Flask, Django, Falcon, Pyramid, Bottle.

Same ``CORSConfig``, same compiled policy and headers as the ASGI middleware::

    from crossorigin import CORSConfig
    from crossorigin.wsgi import CORSMiddleware

    app.wsgi_app = CORSMiddleware(app.wsgi_app, config=CORSConfig(allow_origins=[...]))
"""

from __future__ import annotations

from crossorigin._wsgi.middleware import CORSMiddleware

__all__ = ["CORSMiddleware"]

CORSMiddleware.__module__ = "crossorigin.wsgi"
