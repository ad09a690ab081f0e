"""The ``crossorigin`` command: check, scan and demo. The top floor.

Owns: the dispatcher (``dispatch``; its ``main`` is the console-script entry point
``crossorigin._cli.dispatch:main`` and what ``python -m crossorigin`` runs), the ``check`` core
and its report (``check``), the click commands (``commands``), the scan (``scan``) and the
two-origin demo (``demo``, ``demo_api``, ``demo_page`` and their page resources). Its modules
may need extras (``crossorigin[cli]``, ``crossorigin[demo]``); the dispatcher imports only the
standard library.

May import: every layer below it, never the public ``crossorigin`` package. Nothing below
imports it; the one exception is the public package's lazy export of ``check`` and ``Report``.
"""
