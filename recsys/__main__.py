"""``python -m recsys``: the same as the ``recsys`` command."""

from recsys.cli.app import main

main()
