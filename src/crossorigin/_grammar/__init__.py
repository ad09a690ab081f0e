"""The bottom floor: the grammar of what arrives on the wire, with no policy in it.

Owns: origins and origin patterns (``origins``), the compiled origin matcher (``matcher``),
header-list tokenizing (``headers``), methods (``methods``), the route path of a request
(``paths``) and the structure of an ``allow_origin_regex`` (``regex``: catastrophic
backtracking, sample matches): pure parsing and matching of strings and bytes.

May import: the vocabulary (``crossorigin._types``, ``crossorigin._errors``) and the standard
library. Nothing else in the package.
"""
