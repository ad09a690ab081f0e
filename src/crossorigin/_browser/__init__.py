"""The browser's side of Fetch: what a browser does with a server's CORS answer.

Owns: the Fetch model (``fetch``, ``fetch_checks``, ``fetch_rules``, ``fetch_types``), which
restates the standard's tables on purpose, and the fix advice built on it (``advice``).

May import: the vocabulary (``_types``, ``_errors``) and the standard library only. It imports
nothing of the server side (``_grammar``, ``_config``, ``_policy``, ``_asgi``), on purpose: the
differential tests compare the middleware with this model, and a shared rule would make them
agree by construction instead of by checking.
"""
