"""``visprog repl``: explore an image interactively.

Load images, ask questions (plan and run), see and edit the program, run it whole or
step by step, inspect variables, save the program and the trace. Re-running after an
edit is cheap: deterministic tool results come from the result cache. Every error is
one line; nothing typed ends the session except ``quit``.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from visprog.errors import CheckFailed, VisprogError

COMMANDS: dict[str, str] = {
    "load": "load PATH [NAME]      load an image as IMAGE (or NAME, e.g. LEFT)",
    "ask": "ask QUESTION          plan a program with the chat model, then run it",
    "program": "program               show the program with line numbers",
    "append": "append LINE           add a line at the end",
    "insert": "insert N LINE         insert a line before line N",
    "edit": "edit N LINE           replace line N",
    "delete": "delete N              delete line N",
    "clear": "clear                 empty the program",
    "open": "open FILE             read a program from a file",
    "save": "save FILE             write the program to a file",
    "trace": "trace FILE            write the last trace (.html or .json)",
    "run": "run                   run the whole program (cached tool results are reused)",
    "step": "step                  run up to the end of the next step",
    "continue": "continue              run the rest",
    "vars": "vars                  list the variables",
    "show": "show NAME             show a variable (images are written to a file)",
    "tools": "tools                 list the tools",
    "help": "help                  this list",
    "quit": "quit                  leave",
}


class Repl:
    """The REPL's state and commands; :meth:`handle` runs one input line.

    Args:
        output: where text goes (a rich Console).
        registry: tools (default registry by default).
    """

    def __init__(self, console: Any = None, registry: Any = None) -> None:
        from rich.console import Console

        from visprog.toolkit.discovery import default_registry

        self.console = console or Console(highlight=False)
        self.registry = registry or default_registry()
        self.inputs: dict[str, Any] = {}
        self.lines: list[str] = []
        self.execution: Any = None
        self.last_trace: Any = None
        self.context: Any = None
        self.planner: Any = None
        self.images_folder = Path(tempfile.mkdtemp(prefix="visprog-repl-"))
        self.done = False

    # -- plumbing --------------------------------------------------------------
    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(text, style=style, markup=False)

    def error(self, text: str) -> None:
        self.console.print(f"error: {text}", style="bold red", markup=False, soft_wrap=True)

    def words(self) -> list[str]:
        """Completion candidates: commands, tool names, variables."""
        names = list(COMMANDS) + self.registry.names()
        if self.execution is not None:
            names += list(self.execution.variables)
        return names + list(self.inputs)

    def handle(self, line: str) -> None:
        """Run one line of input; never raises."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        command, _, rest = line.partition(" ")
        handler: Callable[[str], None] | None = getattr(self, f"cmd_{command}", None)
        if handler is None:
            self.error(f"unknown command {command!r}; type help")
            return
        try:
            handler(rest.strip())
        except (VisprogError, OSError, ValueError) as exc:
            self.error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        except KeyboardInterrupt:
            self.error("interrupted")
        except Exception as exc:  # noqa: BLE001 - the REPL survives anything
            self.error(f"{type(exc).__name__}: {exc}")

    def _context(self) -> Any:
        if self.context is None:
            from visprog.toolkit.context import default_context

            self.context = default_context()
        return self.context

    def _program(self) -> str:
        if not self.lines:
            raise ValueError("the program is empty: append lines, open a file, or ask a question")
        return "\n".join(self.lines)

    def _reset(self) -> None:
        if self.execution is not None:
            self.execution.close()
        self.execution = None

    def _number(self, text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f"expected a line number, got {text!r}") from None
        if not 1 <= number <= len(self.lines) + 1:
            raise ValueError(f"line {number} is out of range 1..{len(self.lines)}")
        return number

    # -- commands --------------------------------------------------------------
    def cmd_help(self, rest: str) -> None:
        for text in COMMANDS.values():
            self.say("  " + text)

    def cmd_quit(self, rest: str) -> None:
        self.done = True

    cmd_exit = cmd_quit

    def cmd_load(self, rest: str) -> None:
        from visprog.values.core import load_image

        parts = shlex.split(rest)
        if not parts:
            raise ValueError("usage: load PATH [NAME]")
        name = parts[1] if len(parts) > 1 else "IMAGE"
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"{name!r} is not a valid input name")
        image = load_image(parts[0])
        self.inputs[name] = image
        self._reset()
        self.say(f"{name} = {image!r} from {parts[0]}")

    def cmd_program(self, rest: str) -> None:
        if not self.lines:
            self.say("(empty program)")
        current = self._current_line()
        for number, text in enumerate(self.lines, start=1):
            marker = ">" if number == current else " "
            self.say(f"{marker}{number:3} | {text}")

    def _current_line(self) -> int | None:
        if self.execution is None or not self.execution.trace.steps:
            return None
        return self.execution.trace.steps[-1].line

    def cmd_append(self, rest: str) -> None:
        self.lines.append(rest)
        self._reset()
        self.say(f"{len(self.lines):3} | {rest}")

    def cmd_insert(self, rest: str) -> None:
        number, _, text = rest.partition(" ")
        index = self._number(number)
        self.lines.insert(index - 1, text)
        self._reset()

    def cmd_edit(self, rest: str) -> None:
        number, _, text = rest.partition(" ")
        index = self._number(number)
        if index > len(self.lines):
            raise ValueError(f"line {index} does not exist")
        self.lines[index - 1] = text
        self._reset()
        self.say(f"{index:3} | {text}")

    def cmd_delete(self, rest: str) -> None:
        index = self._number(rest)
        if index > len(self.lines):
            raise ValueError(f"line {index} does not exist")
        del self.lines[index - 1]
        self._reset()

    def cmd_clear(self, rest: str) -> None:
        self.lines = []
        self._reset()

    def cmd_open(self, rest: str) -> None:
        path = Path(rest.strip())
        self.lines = path.read_text(encoding="utf-8").splitlines()
        self._reset()
        self.say(f"{len(self.lines)} lines from {path}")

    def cmd_save(self, rest: str) -> None:
        if not rest:
            raise ValueError("usage: save FILE")
        Path(rest).write_text(self._program() + "\n", encoding="utf-8")
        self.say(f"program saved to {rest}")

    def cmd_trace(self, rest: str) -> None:
        trace = self.execution.trace if self.execution is not None else self.last_trace
        if trace is None:
            raise ValueError("nothing has run yet")
        if not rest:
            raise ValueError("usage: trace FILE.html or FILE.json")
        if rest.endswith(".json"):
            Path(rest).write_text(trace.to_json(), encoding="utf-8")
        else:
            trace.save_html(rest)
        self.say(f"trace saved to {rest}")

    def _start(self) -> None:
        from visprog.run import start_program

        try:
            self.execution = start_program(self._program(), inputs=self.inputs, registry=self.registry, context=self._context())
        except CheckFailed as exc:
            for d in exc.diagnostics:
                self.error(str(d))
            raise VisprogError(f"{len(exc.diagnostics)} problem(s); fix them with edit N LINE") from None

    def _print_step(self, step: Any) -> None:
        from visprog.trace.render import summarize

        cached = " (cached)" if step.calls and all(c.cached for c in step.calls) else ""
        if step.error:
            self.error(f"step {step.index + 1}, line {step.line}: {step.error}")
            return
        targets = ", ".join(step.targets) or "value"
        self.say(f"step {step.index + 1}, line {step.line}: {step.source}")
        self.say(f"    {targets} = {summarize(step.output, 100)}  [{step.duration_s * 1000:.0f} ms{cached}]")

    def cmd_step(self, rest: str) -> None:
        if self.execution is None or self.execution.done:
            self._start()
        step = self.execution.step()
        if step is None:
            self._finish()
        else:
            self._print_step(step)
            if self.execution.done:
                self._finish()

    def cmd_continue(self, rest: str) -> None:
        if self.execution is None or self.execution.done:
            self._start()
        while (step := self.execution.step()) is not None:
            self._print_step(step)
        self._finish()

    def cmd_run(self, rest: str) -> None:
        self._reset()
        self.cmd_continue(rest)

    def _finish(self) -> None:
        from visprog.trace.render import summarize

        execution = self.execution
        self.last_trace = execution.trace
        if execution.error is not None:
            self.error(str(execution.error))
        else:
            self.say(f"result: {summarize(execution.result, 300)}", style="bold green")
            if hasattr(execution.result, "pil"):
                self.say(f"    image: {self._write_image('result', execution.result)}")

    def cmd_vars(self, rest: str) -> None:
        from rich.table import Table

        from visprog.trace.render import summarize

        variables = self.execution.variables if self.execution is not None else dict(self.inputs)
        table = Table(show_header=True)
        table.add_column("name")
        table.add_column("value")
        for name, value in variables.items():
            table.add_row(name, summarize(value, 80))
        self.console.print(table)

    def cmd_show(self, rest: str) -> None:
        from visprog.trace.render import render_value_image, summarize
        from visprog.values.core import Image

        variables = self.execution.variables if self.execution is not None else dict(self.inputs)
        if rest not in variables:
            raise ValueError(f"no variable {rest!r}; see vars")
        value = variables[rest]
        self.say(f"{rest} = {summarize(value, 2000)}")
        base = variables.get("IMAGE") if isinstance(variables.get("IMAGE"), Image) else None
        picture = render_value_image(value, base)
        if picture is not None:
            self.say(f"    image: {self._write_image(rest, picture)}")

    def _write_image(self, name: str, value: Any) -> Path:
        """Save a picture to a file (its path is printed) and, in a terminal that shows
        images (iTerm2, WezTerm, kitty), also draw it inline."""
        pil = value.pil if hasattr(value, "pil") else value
        path = self.images_folder / f"{name}.png"
        pil.save(path)
        sequence = inline_image_sequence(path.read_bytes())
        if sequence and self.console.is_terminal:
            self.console.file.write(sequence + "\n")
            self.console.file.flush()
        return path

    def cmd_tools(self, rest: str) -> None:
        for t in self.registry.tools:
            aliases = ", ".join(a.name for a in self.registry.aliases_of(t.name))
            status = t.unavailable_reason() or ""
            self.say(f"  {t.name}{' (' + aliases + ')' if aliases else ''}: {t.description.splitlines()[0]} {status}")

    def cmd_ask(self, rest: str) -> None:
        if not rest:
            raise ValueError("usage: ask QUESTION")
        if not self.inputs:
            raise ValueError("load an image first")
        if self.planner is None:
            from visprog.planner import Planner

            self.planner = Planner(registry=self.registry)
        self.say("planning...")
        plan = self.planner.plan(rest, list(self.inputs))
        for attempt in plan.attempts:
            for d in attempt.diagnostics:
                self.say(f"  attempt {attempt.index + 1}: {d}")
        if plan.program is None:
            raise VisprogError("the planner produced no program")
        self.lines = plan.program.splitlines()
        self._reset()
        self.cmd_program("")
        if plan.ok:
            self.cmd_run("")


def inline_image_sequence(png: bytes, environ: dict[str, str] | None = None) -> str | None:
    """The escape sequence that draws a PNG inline, for terminals known to support it:
    iTerm2's and WezTerm's OSC 1337, kitty's graphics protocol. None elsewhere."""
    import base64
    import os

    env = os.environ if environ is None else environ
    data = base64.b64encode(png).decode("ascii")
    if env.get("TERM_PROGRAM") in ("iTerm.app", "WezTerm"):
        return f"\x1b]1337;File=inline=1;size={len(png)};preserveAspectRatio=1:{data}\x07"
    if env.get("TERM") == "xterm-kitty" or env.get("KITTY_WINDOW_ID"):
        chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
        parts = []
        for index, chunk in enumerate(chunks):
            more = 1 if index < len(chunks) - 1 else 0
            head = "a=T,f=100," if index == 0 else ""
            parts.append(f"\x1b_G{head}m={more};{chunk}\x1b\\")
        return "".join(parts)
    return None


def run_repl(image: str | None = None) -> int:
    """The interactive loop: prompt_toolkit with history and completion on a terminal,
    plain lines otherwise."""
    repl = Repl()
    repl.say("visprog repl: type help for commands, quit to leave")
    if image:
        repl.handle(f"load {shlex.quote(image)}")
    if sys.stdin.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import Completer, Completion
        from prompt_toolkit.history import FileHistory

        from visprog.models.manager import model_manager

        class _Words(Completer):
            def get_completions(self, document: Any, complete_event: Any) -> Any:
                word = document.get_word_before_cursor()
                for candidate in sorted(set(repl.words())):
                    if word and candidate.startswith(word):
                        yield Completion(candidate, start_position=-len(word))

        folder = model_manager().config.cache_dir
        folder.mkdir(parents=True, exist_ok=True)
        session: Any = PromptSession(history=FileHistory(str(folder / "repl_history")), completer=_Words())
        read = lambda: session.prompt("visprog> ")  # noqa: E731
    else:
        def read() -> str:
            sys.stdout.write("visprog> ")
            sys.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line

    while not repl.done:
        try:
            line = read()
        except EOFError:
            break
        except KeyboardInterrupt:
            continue
        repl.handle(line)
    return 0
