"""``python -m planner.cli``: the same commands as the ``planner`` script."""

from planner.cli import main

main()
