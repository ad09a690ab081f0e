"""The ``crossorigin`` command: check, scan and demo. The top floor.

Owns: the dispatcher (``dispatch``, whose ``main`` is the console-script entry point
``crossorigin._cli:main``), the ``check`` core and its report (``check``), the click commands
(``commands``), the scan (``scan``) and the two-origin demo (``demo``, ``demo_api``,
``demo_page``). Its modules may need extras (``crossorigin[cli]``, ``crossorigin[demo]``); the
dispatcher imports only the standard library.

May import: every layer below it. Nothing in the package imports it, except the public
``crossorigin`` package's lazy export of ``check`` and ``Report``.
"""

from crossorigin._cli.dispatch import main as main
