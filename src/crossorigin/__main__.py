"""``python -m crossorigin`` runs the command-line interface."""

from crossorigin._cli import main

raise SystemExit(main())
