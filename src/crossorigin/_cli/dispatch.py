"""Entry point of the ``crossorigin`` command: dispatches to its subcommands.

Each subcommand lives in its own module and needs its own extra (``crossorigin[demo]`` for
``demo``, ``crossorigin[cli]`` for ``check`` and ``scan``), so this dispatcher imports nothing
but the standard library and prints an install hint when an extra is missing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib import import_module

# subcommand -> (module, function taking argv and returning an exit code, extra)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("crossorigin._cli.demo", "main", "demo"),
    "check": ("crossorigin._cli.commands", "check_main", "cli"),
    "scan": ("crossorigin._cli.commands", "scan_main", "cli"),
}

_USAGE = """usage: crossorigin <command> [options]

commands:
  demo    run the two-origin demo (page and API on loopback)
  check   explain whether a browser would allow a cross-origin request to a URL
  scan    audit a URL's CORS policy with attack origins

Run 'crossorigin <command> --help' for a command's options."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crossorigin`` command and return its exit code (2 on usage errors)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_USAGE)
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in _COMMANDS:
        print(f"crossorigin: unknown command {name!r}\n\n{_USAGE}", file=sys.stderr)
        return 2
    module_name, func_name, extra = _COMMANDS[name]
    try:
        module = import_module(module_name)
    except ImportError as exc:
        print(
            f"Error: 'crossorigin {name}' needs extra packages ({exc.name} is missing).\n"
            f"Install them with: pip install 'crossorigin[{extra}]'",
            file=sys.stderr,
        )
        return 2
    func: Callable[[list[str]], int] = getattr(module, func_name)
    return func(rest)
