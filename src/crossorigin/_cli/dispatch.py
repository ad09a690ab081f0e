"""Entry point of the ``crossorigin`` command: dispatches to its subcommands.

Each subcommand lives in its own module and needs its own extra (``crossorigin[demo]`` for
``demo``, ``crossorigin[cli]`` for ``check`` and ``scan``), so this dispatcher imports nothing
but the standard library and prints an install hint when an extra is missing.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

# subcommand -> (module, function taking argv and returning an exit code, extra)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("crossorigin._cli.demo", "main", "demo"),
    "lab": ("crossorigin._cli.demo", "lab_main", "demo"),
    "check": ("crossorigin._cli.commands", "check_main", "cli"),
    "scan": ("crossorigin._cli.commands", "scan_main", "cli"),
    "origins": ("crossorigin._cli.origins", "origins_main", "cli"),
    "policy": ("crossorigin._cli.origins", "policy_main", "cli"),
}

EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141
"""What a shell reports for a command killed by SIGPIPE (128 + 13): the reader went away."""

_USAGE = """usage: crossorigin <command> [options]

commands:
  demo    run the two-origin demo (page and API on loopback)
  lab     edit a CORS policy live and send real requests from real origins
  check   explain whether a browser would allow a cross-origin request to a URL
  scan    audit a URL's CORS policy with attack origins
  origins add, remove, list, import or export an origin store's origins
  policy  push a whole policy document to an origin store

Run 'crossorigin <command> --help' for a command's options."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crossorigin`` command and return its exit code (2 on usage errors).

    Output cut short by a closed pipe (``crossorigin --help | head -1``) ends quietly with
    :data:`EXIT_BROKEN_PIPE`, without a traceback.
    """
    try:
        code = _dispatch(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe shows here, while we can still handle it
    except BrokenPipeError:
        # Python flushes stdout again at exit and would print a second error: point the
        # descriptor at devnull first (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    return code


def _fail(args: list[str], command: str, kind: str, message: str, stderr: str) -> int:
    if "--json" in args:
        error = {"kind": kind, "message": message}
        print(json.dumps({"schema_version": 1, "command": command, "error": error}, indent=2))
    print(stderr, file=sys.stderr)
    return EXIT_USAGE


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in {"-h", "--help"}:
        print(_USAGE)
        return 0 if args else EXIT_USAGE
    name, rest = args[0], args[1:]
    if name not in _COMMANDS:
        message = f"unknown command {name!r}"
        return _fail(args, name, "usage", message, f"crossorigin: {message}\n\n{_USAGE}")
    module_name, func_name, extra = _COMMANDS[name]
    try:
        module = import_module(module_name)
    except ImportError as exc:
        message = (
            f"'crossorigin {name}' needs extra packages ({exc.name} is missing). "
            f"Install them with: pip install 'crossorigin[{extra}]'"
        )
        return _fail(args, name, "missing-dependency", message, f"Error: {message}")
    func: Callable[[list[str]], int] = getattr(module, func_name)
    return func(rest)
