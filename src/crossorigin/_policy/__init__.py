"""The compiled, immutable decisions: the policy layer. It never calls ``send``.

Owns: the compiled CORS policy (``policy``), the protection settings and the pure decisions on
origins, writes and WebSocket handshakes (``protect``), the router that picks a policy by path,
and the live, swappable state (``live``). A decision is a function of (policy, request facts).

May import: ``crossorigin._config``, ``crossorigin._grammar`` and the vocabulary.
"""
