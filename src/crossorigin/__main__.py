"""``python -m crossorigin`` runs the command-line interface."""

from crossorigin._cli.dispatch import main

raise SystemExit(main())
