"""``python -m visprog`` is the ``visprog`` command."""

from visprog.fronts.cli import main

raise SystemExit(main())
