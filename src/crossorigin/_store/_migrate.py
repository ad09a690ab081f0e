"""Copy an origin store to another backend: every valid entry and the policy document, at once.

The target receives one write transaction (so its watchers see the whole store appear in one
version, never half of it). Rows of the source that break the rules are not copied: they are
returned, so the caller can say which; they would be skipped by every reader anyway.
"""

from __future__ import annotations

from typing import NamedTuple

from crossorigin._errors import ConfigProblem
from crossorigin._store._backend import Backend, Write
from crossorigin._store._document import dump_document, parse_document
from crossorigin._store._entries import StoreEntry, check_entry, show


class Migration(NamedTuple):
    """What :func:`migrate` copied, and what it left behind."""

    copied: int
    policy: bool
    skipped: list[tuple[StoreEntry, list[ConfigProblem]]]
    version: int


async def migrate(source: Backend, target: Backend, *, replace: bool = False) -> Migration:
    """Copy *source* into *target*; with *replace*, entries only *target* had are removed.

    Raises :class:`~crossorigin._store._backend.StoreUnavailable` when either store cannot be
    reached, and :class:`FileExistsError` when *target* holds entries and *replace* is false.
    """
    snapshot = await source.load_snapshot()
    if not replace:
        try:
            existing = (await target.load_snapshot()).entries
        except Exception:  # no store there yet (an SQLite file that does not exist)
            existing = []
        if existing:
            raise FileExistsError(
                f"the target store {target.url} already holds {len(existing)} entries;"
                " migrate into an empty store, or pass --replace to make it an exact copy"
            )
    changes: list[Write] = [Write("clear")] if replace else []
    skipped: list[tuple[StoreEntry, list[ConfigProblem]]] = []
    for entry in snapshot.entries:
        problems: list[ConfigProblem] = []
        pattern = check_entry(entry, problems)
        if problems or pattern is None:
            skipped.append((entry, problems))
            continue
        changes.append(Write("put", entry._replace(origin=show(pattern))))
    policy = None
    if snapshot.policy is not None:
        # Validated like a push: a document no worker would accept is not copied either.
        policy = dump_document(parse_document(snapshot.policy))
    if policy is not None or replace:
        changes.append(Write("policy", policy=policy))
    version, _ = await target.write(changes, create=True)
    copied = sum(change.op == "put" for change in changes)
    return Migration(copied, policy is not None, skipped, version)
