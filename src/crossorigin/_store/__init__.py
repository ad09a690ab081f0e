"""The origin store: allowed origins (and a policy document) kept outside the process.

Owns the entry model and its validation (:mod:`._entries`), the compiled, immutable snapshot
that requests read, the backends (the abstract interface in :mod:`._backend`, the embedded
SQLite default in :mod:`._sqlite`), the policy documents it distributes (:mod:`._document`) and
the watcher that keeps each process's snapshot current (:mod:`._store`). It may import the
vocabulary, the grammar, the config and the policy layers; never the ASGI edge or the CLI.
"""
