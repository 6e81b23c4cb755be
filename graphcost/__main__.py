"""``python -m graphcost`` runs the command-line interface."""

from graphcost.cli import main

main()
