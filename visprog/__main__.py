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

        # Inside the try: a Ctrl-C pending as cli_main is entered is raised at its first
        # instruction, before its own try.
        code = cli_main(argv)
    except KeyboardInterrupt:
        sys.stderr.write("visprog: interrupted\n")
        code = EXIT_INTERRUPTED
    _end_safely(code)
    return code


def _end_safely(code: int) -> None:
    """Return when the command was not interrupted and no tool call is still running
    on a worker thread (waiting at most :data:`SETTLE_S` for those that are); otherwise
    flush and end the process now with ``code``.

    An interrupted command always ends here: CPython 3.11 remembers a KeyboardInterrupt
    that passed through code run by ``exec``/``eval`` of a string (``dataclasses`` and
    ``namedtuple`` build methods that way while modules import) as "unhandled", even
    when :func:`main` caught it, and at the end of a normal exit kills the process with
    SIGINT (status -2, not 130)."""
    calls = sys.modules.get("visprog.runtime.calls")  # not loaded: no call ran
    try:
        settled = calls is None or calls.settle_abandoned(SETTLE_S)
    except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
        settled = False
    if settled and code != EXIT_INTERRUPTED:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
