"""``crossorigin origins …`` and ``crossorigin policy …``: edit an origin store.

Standard library only (argparse, json, asyncio). Exit codes: 0 done, 1 refused (an entry or
document that breaks a rule: every problem is printed; a store that cannot be written; an
origin to remove that is not there), 2 usage errors. ``--store`` defaults to the
``CROSSORIGIN_STORE`` environment variable.


"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Coroutine, Sequence
from datetime import datetime, timedelta, timezone
from typing import IO, Any

from crossorigin._errors import ConfigError, ConfigProblem, problem
from crossorigin._store._backend import StoreUnavailable
from crossorigin._store._entries import StoreEntry, check_origin
from crossorigin._store._store import OriginStore

STORE_ENV = "CROSSORIGIN_STORE"


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=os.environ.get(STORE_ENV),
        help=f"store URL, e.g. sqlite:///var/lib/app/origins.db (default: ${STORE_ENV})",
    )


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time, e.g. 2030-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z or +02:00")
    return moment


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value < 1e10:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _origins_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crossorigin origins", description="Edit the allowed origins of an origin store."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="allow origins (exact or allow_origins patterns)")
    add.add_argument("origins", nargs="+", metavar="ORIGIN")
    add.add_argument("--tenant")
    add.add_argument("--note")
    when = add.add_mutually_exclusive_group()
    when.add_argument("--expires", type=_moment, help="ISO 8601 time, e.g. 2030-01-01T00:00:00Z")
    when.add_argument("--ttl", type=_seconds, help="seconds from now")
    add.add_argument("--dangerously-allow-insecure-origins", action="store_true")
    add.add_argument("--dangerously-allow-public-suffix-wildcards", action="store_true")
    remove = sub.add_parser("remove", help="stop allowing origins (or a whole tenant)")
    remove.add_argument("origins", nargs="*", metavar="ORIGIN")
    remove.add_argument("--tenant", help="remove every origin of this tenant")
    listing = sub.add_parser("list", help="list the entries")
    listing.add_argument("--tenant")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    imp = sub.add_parser("import", help="add entries from JSON lines (all or none)")
    imp.add_argument("file", help="JSON lines file, or - for standard input")
    imp.add_argument("--replace", action="store_true", help="remove every other entry")
    mig = sub.add_parser("migrate", help="copy every entry and the policy to another store")
    mig.add_argument("--from", dest="source", required=True, metavar="URL", help="store to read")
    mig.add_argument("--to", dest="target", required=True, metavar="URL", help="store to write")
    mig.add_argument("--replace", action="store_true", help="make the target an exact copy")
    exp = sub.add_parser("export", help="write the entries as JSON lines")
    exp.add_argument("file", nargs="?", default="-", help="output file (default: -, stdout)")
    for p in (add, remove, listing, imp, exp):
        _store_option(p)
    return parser


def _policy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crossorigin policy",
        description="Distribute a whole policy (a CORSConfig or a route table, as JSON) to"
        " every worker through an origin store.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    push = sub.add_parser("push", help="validate a policy document and distribute it")
    push.add_argument("file", help="JSON document, or - for standard input")
    show = sub.add_parser("show", help="print the distributed document")
    withdraw = sub.add_parser("withdraw", help="remove it: workers return to their own policy")
    for p in (push, show, withdraw):
        _store_option(p)
    return parser


def _run(coro: Coroutine[Any, Any, int], err: IO[str]) -> int:
    try:
        return asyncio.run(coro)
    except ConfigError as exc:
        print(f"Error: {exc}", file=err)
        return 1
    except (StoreUnavailable, OSError) as exc:
        print(f"Error: {exc}", file=err)
        return 1


def _open(args: argparse.Namespace, parser: argparse.ArgumentParser) -> OriginStore:
    if not args.store:
        parser.error(f"--store URL is required (or set {STORE_ENV})")
    try:
        return OriginStore.open(args.store)
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _entry_from_json(line: str, number: int) -> StoreEntry:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ConfigError([_line_problem(number, f"is not JSON: {exc}")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("origin"), str):
        raise ConfigError([_line_problem(number, 'is not an object with an "origin" string')])
    unknown = set(data) - set(StoreEntry._fields)
    if unknown:
        raise ConfigError([_line_problem(number, f"has unknown keys {sorted(unknown)}")])
    expires = data.get("expires")
    try:
        moment = None if expires is None else _moment(str(expires))
    except argparse.ArgumentTypeError as exc:
        raise ConfigError([_line_problem(number, str(exc))]) from None
    return StoreEntry(
        data["origin"],
        data.get("tenant"),
        data.get("note"),
        moment,
        None,
        data.get("dangerously_allow_insecure_origins", False),
        data.get("dangerously_allow_public_suffix_wildcards", False),
    )


def _line_problem(number: int, what: str) -> ConfigProblem:
    return problem("import", f"line {number}", "invalid", what)


async def _origins(args: argparse.Namespace, store: OriginStore, out: IO[str], err: IO[str]) -> int:
    if args.action == "add":
        expires = args.expires
        if args.ttl is not None:
            expires = datetime.now(timezone.utc) + timedelta(seconds=args.ttl)
        entries = [
            StoreEntry(
                origin,
                args.tenant,
                args.note,
                expires,
                None,
                args.dangerously_allow_insecure_origins,
                args.dangerously_allow_public_suffix_wildcards,
            )
            for origin in args.origins
        ]
        count = await store.add_many(entries)
        print(f"added {count} origin{'s' if count != 1 else ''} to {store.backend.url}", file=out)
        return 0
    if args.action == "remove":
        missing = []
        removed = 0
        for origin in args.origins:
            if await store.remove(origin):
                removed += 1
            else:
                missing.append(origin)
        if args.tenant is not None:
            removed += await store.remove_tenant(args.tenant)
        print(f"removed {removed} origin{'s' if removed != 1 else ''}", file=out)
        for origin in missing:
            print(f"Error: {origin!r} is not in the store {store.backend.url}", file=err)
            hints: list[ConfigProblem] = []
            check_origin(origin, hints, insecure=True, public_suffix=True)
            for found in hints:  # e.g. a trailing slash: entries are stored canonical
                print(f"  {found.message}", file=err)
        return 1 if missing or (args.tenant is not None and removed == 0) else 0
    if args.action == "list":
        entries = await store.list(tenant=args.tenant)
        if args.json:
            json.dump([e.as_json() for e in entries], out, indent=2)
            out.write("\n")
        else:
            for e in entries:
                data = e.as_json()
                extra = "  ".join(
                    f"{k}={data[k]}" for k in ("tenant", "expires", "note") if data[k] is not None
                )
                print(f"{e.origin}  {extra}".rstrip(), file=out)
        return 0
    if args.action == "import":
        lines = [(n, line) for n, line in enumerate(_read(args.file).splitlines(), 1)]
        parsed: list[StoreEntry] = []
        problems: list[ConfigProblem] = []
        for number, line in lines:
            if not line.strip():
                continue
            try:
                parsed.append(_entry_from_json(line, number))
            except ConfigError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems)
        count = await store.add_many(parsed, replace=args.replace)
        print(f"imported {count} origin{'s' if count != 1 else ''}", file=out)
        return 0
    # export
    entries = await store.list()
    text = "".join(json.dumps(e.as_json(), sort_keys=True) + "\n" for e in entries)
    if args.file == "-":
        out.write(text)
    else:
        with open(args.file, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


def origins_main(
    argv: Sequence[str], out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    """``crossorigin origins add|remove|list|import|export``."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = _origins_parser()
    args = parser.parse_args(list(argv))
    if args.action == "remove" and not args.origins and args.tenant is None:
        parser.error("give origins to remove, or --tenant")
    if args.action == "migrate":
        return _run(_migrate(args, parser, out, err), err)
    store = _open(args, parser)
    return _run(_closing(store, _origins(args, store, out, err)), err)


async def _closing(store: OriginStore, work: Coroutine[Any, Any, int]) -> int:
    """Run *work*, then release the store's connections (a CLI run is one short session)."""
    try:
        return await work
    finally:
        await store.backend.close()


async def _migrate(
    args: argparse.Namespace, parser: argparse.ArgumentParser, out: IO[str], err: IO[str]
) -> int:
    from crossorigin._store._backend import open_backend
    from crossorigin._store._migrate import migrate

    try:
        source, target = open_backend(args.source), open_backend(args.target)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        result = await migrate(source, target, replace=args.replace)
    except FileExistsError as exc:
        print(f"Error: {exc}", file=err)
        return 1
    finally:
        await source.close()
        await target.close()
    for entry, problems in result.skipped:
        reasons = "; ".join(p.message for p in problems)
        print(f"skipped {entry.origin!r:.200}: {reasons}", file=err)
    policy = " and the policy document" if result.policy else ""
    print(f"copied {result.copied} origin{'s' if result.copied != 1 else ''}{policy}"
          f" from {source.url} to {target.url} (version {result.version})", file=out)  # fmt: skip
    return 0


async def _policy(args: argparse.Namespace, store: OriginStore, out: IO[str]) -> int:
    if args.action == "push":
        from crossorigin._store._document import parse_document

        source = parse_document(_read(args.file))
        version = await store.push_policy(source)
        print(f"policy pushed to {store.backend.url} (version {version})", file=out)
        return 0
    if args.action == "show":
        raw = await store.backend.load_snapshot()
        if raw.policy is None:
            print("no policy document (workers use their own policy)", file=out)
        else:
            print(json.dumps(json.loads(raw.policy), indent=2, sort_keys=True), file=out)
        return 0
    version = await store.push_policy(None)
    print(f"policy withdrawn from {store.backend.url} (version {version})", file=out)
    return 0


def policy_main(argv: Sequence[str], out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """``crossorigin policy push|show|withdraw``."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = _policy_parser()
    args = parser.parse_args(list(argv))
    store = _open(args, parser)
    return _run(_closing(store, _policy(args, store, out)), err)
