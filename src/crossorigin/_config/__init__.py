"""What the user wrote, validated: the configuration layer.

Owns: the ``CORSConfig`` model (``config``), its validation (``validate``, with the protection
options in ``protection``, both typed against the ``ConfigFields`` protocol of ``fields`` so
that they need not import the model), reading a config from the environment (``env``) and the
path-scoped route tables (``routes``: ``RoutePolicies``). Every problem is found here, at
construction, all at once.

May import: ``crossorigin._grammar`` and the vocabulary (``_types``, ``_errors``).
"""
