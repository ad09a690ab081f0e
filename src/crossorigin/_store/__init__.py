"""The origin store: allowed origins (and a policy document) kept outside the process.

Owns: the entry model and its validation on write and on read (``_entries``), the compiled,
immutable snapshot that requests read, the backend interface and URL dispatch (``_backend``),
the embedded SQLite default (``_sqlite``), the policy documents it distributes
(``_document``) and the watcher that keeps each process's snapshot current (``_store``).

May import: ``crossorigin._policy``, ``crossorigin._config``, ``crossorigin._grammar`` and the
vocabulary; never the ASGI edge or the CLI.
"""
