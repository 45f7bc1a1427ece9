"""The ``visprog`` command line. Imports stay light: no torch, no tool modules, until a
command needs them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_PROGRAM_FAILED, EXIT_USAGE = 0, 1, 2


def _read_program(source: str) -> str:
    from visprog.errors import InputError

    if source == "-":
        text = sys.stdin.read()
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"program file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read program {path}: {exc}") from None
    if not text.strip():
        raise InputError(f"the program in {source} is empty")
    return text


def _parse_inputs(args: argparse.Namespace) -> dict[str, Any]:
    from visprog.errors import InputError
    from visprog.values.core import load_image

    inputs: dict[str, Any] = {}
    if args.image:
        inputs["IMAGE"] = load_image(args.image)
    for item in args.input or []:
        name, sep, path = item.partition("=")
        if not sep or not name:
            raise InputError(f"--input expects NAME=PATH, got {item!r}")
        inputs[name] = load_image(path)
    return inputs


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _print_result(result: Any, args: argparse.Namespace) -> int:
    from visprog.trace.render import summarize
    from visprog.values.core import Image

    trace = result.trace
    if getattr(args, "html", None):
        trace.save_html(args.html)
    if getattr(args, "json", False):
        print(trace.to_json())
    else:
        _console(stderr=True).print(trace)
    if getattr(args, "html", None):
        print(f"trace: {args.html}", file=sys.stderr)
    if result.error is not None:
        print(f"visprog: program failed: {result.error}", file=sys.stderr)
        return EXIT_PROGRAM_FAILED
    if getattr(args, "out", None) and isinstance(result.result, Image):
        result.result.pil.save(args.out)
        print(f"result image: {args.out}", file=sys.stderr)
    if not getattr(args, "json", False):
        print(summarize(result.result, 10_000))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from visprog.run import run_program

    program = _read_program(args.program)
    inputs = _parse_inputs(args)
    return _print_result(run_program(program, inputs=inputs), args)


def cmd_check(args: argparse.Namespace) -> int:
    from visprog.checker.core import check_program

    program = _read_program(args.program)
    diagnostics = check_program(program)
    for d in diagnostics:
        print(f"{args.program}:{d}")
    if any(d.severity == "error" for d in diagnostics):
        return EXIT_PROGRAM_FAILED
    print(f"{args.program}: ok")
    return EXIT_OK


def cmd_tools(args: argparse.Namespace) -> int:
    import json

    from visprog.toolkit.discovery import default_registry

    registry = default_registry()
    if args.json:
        print(json.dumps(registry.to_json(), indent=2))
        return EXIT_OK
    if args.stubs:
        print(registry.stubs())
        return EXIT_OK
    from rich.table import Table

    table = Table(title="visprog tools")
    table.add_column("tool")
    table.add_column("aliases")
    table.add_column("signature")
    table.add_column("status")
    for t in registry.tools:
        aliases = ", ".join(a.name for a in registry.aliases_of(t.name))
        params = ", ".join(f"{p.name}: {p.type_name}" for p in t.params)
        table.add_row(t.name, aliases, f"({params}) -> {t.returns}", t.unavailable_reason() or "ok")
    _console().print(table)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="visprog", description="Visual programming over typed vision tools, in a sandbox, with traces."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a program on an image")
    run.add_argument("program", help="program file, or - for standard input")
    run.add_argument("--image", help="the IMAGE input")
    run.add_argument("--input", action="append", metavar="NAME=PATH", help="another image input, e.g. LEFT=a.jpg")
    run.add_argument("--html", metavar="OUT", help="write the trace as one self-contained HTML file")
    run.add_argument("--json", action="store_true", help="print the trace as JSON on standard output")
    run.add_argument("--out", metavar="PATH", help="save an image result to PATH")
    run.set_defaults(handler=cmd_run)

    check = sub.add_parser("check", help="check a program without running it")
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
    from visprog.fronts.cli_more import add_commands

    add_commands(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    from visprog.errors import InputError, VisprogError

    try:
        return int(args.handler(args))
    except InputError as exc:
        print(f"visprog: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except VisprogError as exc:
        print(f"visprog: error: {exc}", file=sys.stderr)
        return EXIT_PROGRAM_FAILED
    except KeyboardInterrupt:
        print("visprog: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, unless asked
        if os.environ.get("VISPROG_DEBUG"):
            raise
        print(f"visprog: internal error: {type(exc).__name__}: {exc} (set VISPROG_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_PROGRAM_FAILED


if __name__ == "__main__":
    sys.exit(main())
