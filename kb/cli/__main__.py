"""``python -m kb.cli``: the ``kb`` command without the installed script."""

from kb.cli import main

main()
