"""``python -m visprog`` and the ``visprog`` command.

The command's modules are imported inside :func:`main`, so a Ctrl-C while they load
ends with one line and exit status 130, like a Ctrl-C at any later moment.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    try:
        from visprog.fronts.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("visprog: interrupted\n")
        return 130
    return cli_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
