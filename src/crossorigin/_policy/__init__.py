"""The compiled, immutable decisions: the policy layer. It never calls ``send``.

Owns: the compiled CORS policy with its protection settings and the origin decision
(``policy``: ``Policy.origin_reason`` asks the static rules, then the predicate), the pure
write and WebSocket decisions (``protect``), the router that picks a policy by route path
(``router``) and the live, swappable state (``live``). A decision is a function of the policy
and the request's facts; it returns a reason code and leaves the answering to the edge.

May import: ``crossorigin._config``, ``crossorigin._grammar`` and the vocabulary.
"""
