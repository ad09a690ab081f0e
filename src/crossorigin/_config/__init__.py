"""What the user wrote, validated: the configuration layer.

Owns: the ``CORSConfig`` model (``config``), its validation including the protection options
(``validate``), reading a config from the environment (``env``) and the path-scoped route tables
(``routes``: ``RoutePolicies``). Every problem is found here, at construction, all at once.

May import: ``crossorigin._grammar`` and the vocabulary (``_types``, ``_errors``).
"""
