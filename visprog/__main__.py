"""``python -m visprog`` and the ``visprog`` command.

The command's modules are imported inside :func:`main`, so a Ctrl-C while they load
ends with one line and exit status 130, like a Ctrl-C at any later moment.

A tool call abandoned at the deadline or by Ctrl-C may still be running native code
(onnxruntime, torch) when the command is done, and a process that finalises then can
abort in the C++ runtime (``terminate called without an active exception``, SIGABRT,
exit 134); so can one interrupted in onnxruntime even after the call returned. So
:func:`main` waits for running calls at most :data:`SETTLE_S` seconds, and after an
interrupt, or with a call still running, ends the process at once (``os._exit``, output
flushed) with the command's own status: 130 for Ctrl-C, never 134.
"""

from __future__ import annotations

import os
import sys

#: How long the command waits for abandoned tool calls before it ends without finalising.
SETTLE_S = 1.0
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    try:
        from visprog.fronts.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("visprog: interrupted\n")
        return EXIT_INTERRUPTED
    code = cli_main(argv)
    _end_safely(code)
    return code


def _end_safely(code: int) -> None:
    """Return when no tool call ran on a worker thread, or all have returned (after
    waiting at most :data:`SETTLE_S`) and the command was not interrupted; otherwise
    flush and end the process now with ``code``."""
    calls = sys.modules.get("visprog.runtime.calls")  # not loaded: no call ran
    if calls is None:
        return
    try:
        if calls.settle_abandoned(SETTLE_S) and code != EXIT_INTERRUPTED:
            return
    except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
