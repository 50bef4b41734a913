"""``python -m recsys``: the same as the ``recsys`` command."""

from recsys.cli.main import main

main()
