"""``python -m keyextract`` runs the command line."""

from .cli import main

main()
