"""``visprog repl``: explore an image interactively.

Load images, ask questions (plan and run), see and edit the program, run it whole or
step by step, inspect variables, save the program and the trace. Re-running after an
edit is cheap: deterministic tool results come from the result cache. Every error is
one line; nothing typed ends the session except ``quit``. Lines are checked as they are
added; text a program produces is shown with its control characters escaped.
"""

from __future__ import annotations

import difflib
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from visprog.errors import CheckFailed, ProgramSyntaxError, VisprogError
from visprog.language.syntax import parse_tree

COMMANDS: dict[str, str] = {
    "load": "load PATH [NAME]      load an image as IMAGE (or NAME, e.g. LEFT)",
    "ask": "ask QUESTION          plan a program with the chat model, then run it (asks first if the program has unsaved changes)",
    "program": "program               show the program with line numbers",
    "append": "append LINE           add a line at the end (checked as it is added)",
    "insert": "insert N LINE         insert a line before line N",
    "edit": "edit N LINE           replace line N",
    "delete": "delete N              delete line N",
    "reset": "reset                 discard the program and its variables (asks first; images stay loaded)",
    "clear": "clear                 clear the screen",
    "open": "open FILE             read a program from a file (asks first if the program has unsaved changes)",
    "save": "save FILE             write the program to a file",
    "trace": "trace FILE [--full]   write the last trace: FILE.html, or FILE.json (--full: every image exact)",
    "run": "run                   run the whole program from the start (cached tool results are reused)",
    "step": "step [N]              run the next step (or the next N steps)",
    "continue": "continue              run the rest",
    "vars": "vars                  list the variables",
    "show": "show NAME             show a variable: boxes with coordinates; images are written to a file",
    "tools": "tools                 list the tools",
    "help": "help                  this list",
    "quit": "quit                  leave (also exit, Ctrl-D)",
}
ALIASES = {"exit": "quit"}
DEFAULT_INPUTS = frozenset({"IMAGE", "LEFT", "RIGHT"})
MAX_BOX_ROWS = 50


class Repl:
    """The REPL's state and commands; :meth:`handle` runs one input line.

    Args:
        console: where text goes (a rich Console; a new one on standard output by default).
        registry: tools (default registry by default).
        confirm: asks the user a yes/no question and returns the answer (used by
            ``reset``, and by ``open`` and ``ask`` before they replace unsaved changes);
            without it, ``reset`` needs ``reset yes`` and the others refuse.
    """

    def __init__(self, console: Any = None, registry: Any = None, confirm: Callable[[str], bool] | None = None) -> None:
        from rich.console import Console

        from visprog import default_registry

        self.console = console or Console(highlight=False)
        self.registry = registry or default_registry()
        self.confirm = confirm
        self.inputs: dict[str, Any] = {}
        self.lines: list[str] = []
        self.execution: Any = None
        self.last_trace: Any = None
        self.context: Any = None
        self.planner: Any = None
        self.interrupted: tuple[int, int] | None = None  # (step number, line) of a run stopped by Ctrl-C
        self.unsaved = False  # the program has changes saved in no file (open and ask ask before replacing it)
        self._images_folder: Path | None = None
        self.done = False

    # -- plumbing --------------------------------------------------------------
    def say(self, text: str, style: str | None = None) -> None:
        from visprog.trace.render import printable

        self.console.print(printable(text), style=style, markup=False, highlight=False, soft_wrap=True)

    def error(self, text: str) -> None:
        from visprog.trace.render import printable

        self.console.print(f"error: {printable(text)}", style="bold red", markup=False, highlight=False, soft_wrap=True)

    @property
    def images_folder(self) -> Path:
        """Where pictures shown in this session are written; removed by :meth:`close`."""
        if self._images_folder is None:
            self._images_folder = Path(tempfile.mkdtemp(prefix="visprog-repl-"))
        return self._images_folder

    def close(self) -> None:
        """End the session: stop a run in progress and delete the pictures folder."""
        self._reset()
        if self._images_folder is not None:
            shutil.rmtree(self._images_folder, ignore_errors=True)
            self._images_folder = None

    def words(self) -> list[str]:
        """Completion candidates: commands, tool names, variables."""
        names = list(COMMANDS) + self.registry.names()
        if self.execution is not None:
            names += list(self.execution.variables)
        return names + list(self.inputs)

    def handle(self, line: str) -> None:
        """Run one line of input; never raises (Ctrl-C included)."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        command, _, rest = line.partition(" ")
        command = ALIASES.get(command, command)
        handler: Callable[[str], None] | None = getattr(self, f"cmd_{command}", None) if command in COMMANDS else None
        if handler is None:
            self.error(self._unknown(command, line))
            return
        try:
            handler(rest.strip())
        except (VisprogError, OSError, ValueError) as exc:
            text = str(exc)
            self.error(text.splitlines()[0] if text else type(exc).__name__)
        except KeyboardInterrupt:
            self.error("interrupted")
        except Exception as exc:  # noqa: BLE001 - the REPL survives anything
            self.error(f"{type(exc).__name__}: {exc}")

    def _unknown(self, command: str, line: str) -> str:
        close = difflib.get_close_matches(command, [*COMMANDS, *ALIASES], n=1, cutoff=0.6)
        if close:
            return f"unknown command {command!r}; did you mean {close[0]!r}? (type help for the list)"
        if "=" in line or "(" in line:
            return f"unknown command {command!r}; to add this line to the program, type: append {line}"
        return f"unknown command {command!r}; type help for the list"

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
        self.interrupted = None

    def _number(self, text: str, *, allow_end: bool = False) -> int:
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f"expected a line number, got {text!r}") from None
        last = len(self.lines) + (1 if allow_end else 0)
        if not 1 <= number <= last:
            raise ValueError(f"line {number} is out of range 1..{len(self.lines)}" if self.lines else "the program is empty")
        return number

    def _variables(self) -> dict[str, Any]:
        return self.execution.variables if self.execution is not None else dict(self.inputs)

    # -- checking lines as they come in ------------------------------------------
    def _checked(self, lines: list[str], changed: int) -> bool:
        """Check the program ``lines`` after line ``changed`` (1-based) was added or
        replaced: a line that does not parse is refused (unless it opens a block);
        the checker's other errors on that line are shown. Returns whether to keep it."""
        from visprog import check_program

        text = "\n".join(lines)
        try:
            parse_tree(text)
        except ProgramSyntaxError as exc:
            if _opens_block(lines, changed):
                self.say("    (block opened: add its body with append, indented)")
                return True
            where = f"line {exc.line}, column {exc.column}" if exc.line else "here"
            self.error(f"{where}: {exc.message.removeprefix('syntax error: ')}; the line was not added")
            return False
        names = sorted(DEFAULT_INPUTS | set(self.inputs))
        diagnostics = [d for d in check_program(text, self.registry, inputs=names) if d.code != "missing-result"]
        for d in diagnostics:
            if d.line == changed:
                hint = f" ({d.suggestion})" if d.suggestion else ""
                self.say(f"    line {d.line}, column {d.column}: {d.severity}: {d.message}{hint}", style="yellow")
        return True

    # -- commands --------------------------------------------------------------
    def cmd_help(self, rest: str) -> None:
        from visprog.fronts.common import wrap_hanging

        # Wrapped to the console, each description indented under its column (at 80
        # columns a long one wrapped back to the left margin).
        for text in COMMANDS.values():
            usage, description = text[:22], text[22:]
            for line in wrap_hanging("  " + usage, description, self.console.width - 1):
                self.say(line)

    def cmd_quit(self, rest: str) -> None:
        self.done = True

    def cmd_clear(self, rest: str) -> None:
        self.console.clear()

    def cmd_reset(self, rest: str) -> None:
        if not self.lines and self.execution is None:
            self.say("nothing to reset: the program is empty")
            return
        question = f"discard the program ({len(self.lines)} lines) and its variables? [y/N] "
        if rest.strip().lower() in ("yes", "y", "-y"):
            agreed = True
        elif self.confirm is None:
            raise ValueError("reset discards the program and its variables; type 'reset yes' to confirm")
        else:
            agreed = self.confirm(question)
        if not agreed:
            self.say("kept the program")
            return
        self.lines = []
        self.unsaved = False
        self._reset()
        self.last_trace = None
        kept = f"; images still loaded: {', '.join(self.inputs)}" if self.inputs else ""
        self.say(f"program and variables discarded{kept}")

    def cmd_load(self, rest: str) -> None:
        from visprog.fronts.common import load_image_argument

        parts = shlex.split(rest)
        if not parts:
            raise ValueError("usage: load PATH [NAME]")
        name = parts[1] if len(parts) > 1 else "IMAGE"
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"{name!r} is not a valid input name")
        image = load_image_argument("load", parts[0])
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
        line: int = self.execution.trace.steps[-1].line
        return line

    def cmd_append(self, rest: str) -> None:
        if not rest:
            raise ValueError("usage: append LINE")
        lines = [*self.lines, rest]
        if not self._checked(lines, len(lines)):
            return
        self.lines = lines
        self.unsaved = True
        self._reset()
        self.say(f"{len(self.lines):3} | {rest}")

    def cmd_insert(self, rest: str) -> None:
        number, _, text = rest.partition(" ")
        index = self._number(number, allow_end=True)
        lines = list(self.lines)
        lines.insert(index - 1, text)
        if not self._checked(lines, index):
            return
        self.lines = lines
        self.unsaved = True
        self._reset()
        self.say(f"{index:3} | {text}")

    def cmd_edit(self, rest: str) -> None:
        number, _, text = rest.partition(" ")
        index = self._number(number)
        lines = list(self.lines)
        lines[index - 1] = text
        if not self._checked(lines, index):
            return
        self.lines = lines
        self.unsaved = True
        self._reset()
        self.say(f"{index:3} | {text}")

    def cmd_delete(self, rest: str) -> None:
        index = self._number(rest)
        removed = self.lines.pop(index - 1)
        self.unsaved = True
        self._reset()
        self.say(f"deleted line {index}: {removed}")

    def cmd_open(self, rest: str) -> None:
        if not rest:
            raise ValueError("usage: open FILE")
        path = Path(rest)
        if path.is_dir():
            raise ValueError(f"open: {path} is a directory, not a program file")
        if not path.is_file():
            raise ValueError(f"open: file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"open: {path} is not UTF-8 text") from None
        except OSError as exc:
            raise ValueError(f"open: cannot read {path}: {exc.strerror or exc}") from None
        if not self._may_replace("open", str(path)):
            return
        self.lines = text.splitlines()
        self.unsaved = False
        self._reset()
        self.say(f"{len(self.lines)} lines from {path}")
        self._show_problems()

    def _may_replace(self, command: str, replacement: str) -> bool:
        """Whether ``command`` may replace the program: yes when it has no unsaved changes
        (typed, or planned by ``ask``, and saved in no file), else the user's answer to a
        question (no by default; "kept the program" when no). Without a way to ask, a
        ValueError says how to go on."""
        if not (self.unsaved and self.lines):
            return True
        count = len(self.lines)
        if self.confirm is None:
            raise ValueError(
                f"{command} would discard the unsaved program ({count} lines): save it first, or type 'reset yes' and {command} again"
            )
        if self.confirm(f"replace the unsaved program ({count} lines) with {replacement}? [y/N] "):
            return True
        self.say("kept the program")
        return False

    def _show_problems(self) -> None:
        from visprog import check_program

        if not self.lines:
            return
        names = sorted(DEFAULT_INPUTS | set(self.inputs))
        for d in check_program("\n".join(self.lines), self.registry, inputs=names):
            hint = f" ({d.suggestion})" if d.suggestion else ""
            self.say(f"    line {d.line}, column {d.column}: {d.severity}: {d.message}{hint}", style="yellow")

    def cmd_save(self, rest: str) -> None:
        from visprog.trace.files import write_atomic

        if not rest:
            raise ValueError("usage: save FILE")
        write_atomic(rest, self._program() + "\n")
        self.unsaved = False
        self.say(f"program saved to {rest}")

    def cmd_trace(self, rest: str) -> None:
        from visprog.trace.files import check_output_path

        words = shlex.split(rest)
        full = "--full" in words
        names = [w for w in words if w != "--full"]
        if len(names) != 1:
            raise ValueError("usage: trace FILE.html | trace FILE.json [--full]")
        trace = self.execution.trace if self.execution is not None else self.last_trace
        if trace is None:
            raise ValueError("nothing has run yet")
        path = check_output_path(names[0], kind="trace", flag="trace")
        if path.suffix.lower() == ".json":
            trace.save_json(path, full=full)
        else:
            if full:
                raise ValueError("--full applies to .json traces")
            trace.save_html(path)
        self.say(f"trace saved to {path}")

    def _start(self) -> None:
        from visprog import start_program

        try:
            self.execution = start_program(self._program(), inputs=self.inputs, registry=self.registry, context=self._context())
        except CheckFailed as exc:
            for d in exc.diagnostics:
                self.error(str(d))
            raise VisprogError(f"{len(exc.diagnostics)} problem(s); fix them with edit N LINE") from None
        self.interrupted = None

    def _print_step(self, step: Any) -> None:
        from visprog.trace.render import summarize

        cached = " (cached)" if step.calls and all(c.cached for c in step.calls) else ""
        if step.error:
            self.error(f"step {step.index + 1}, line {step.line}: {step.error}")
            return
        targets = ", ".join(step.targets) or "value"
        self.say(f"step {step.index + 1}, line {step.line}: {step.source}")
        self.say(f"    {targets} = {summarize(step.output, 100)}  [{step.duration_s * 1000:.0f} ms{cached}]")
        for call in step.calls:
            for note in getattr(call, "notes", ()):
                self.say(f"    note ({call.name}): {note}", style="yellow")

    def _ensure_started(self) -> None:
        """Start a run if none is in progress, saying why when one was interrupted or
        had finished (a run cannot resume after it stopped)."""
        if self.execution is not None and not self.execution.done:
            return
        if self.interrupted is not None:
            number, line = self.interrupted
            self.say(
                f"the run was interrupted in step {number} (line {line}) and cannot resume there: "
                "restarting from step 1 (cached tool results are reused)",
                style="yellow",
            )
        elif self.execution is not None:
            self.say("the program had finished: starting again from step 1")
        self._start()

    def _advance(self) -> Any:
        """One step of the current run, watching for Ctrl-C. Returns the step, None at
        the end, or raises KeyboardInterrupt after reporting where the run stopped."""
        from visprog.fronts.common import watch_interrupts

        execution = self.execution
        before = len(execution.trace.steps)
        step = None
        with watch_interrupts() as flag:
            try:
                step = execution.step()
            except KeyboardInterrupt:
                flag.hit = True
        if not flag.hit:
            return step
        steps = execution.trace.steps
        if execution.done:
            failed = steps[before] if len(steps) > before else None
            number = before + 1
            line = failed.line if failed is not None else (execution.error.line if execution.error else 0) or 0
            self.interrupted = (number, line)
            self.last_trace = execution.trace
            self.error(
                f"interrupted in step {number} (line {line}); the run stopped there. "
                "step, continue or run start again from step 1"
            )
        else:
            if step is not None:
                self._print_step(step)
            self.error(f"interrupted after step {len(steps)}; continue resumes at the next step")
        raise KeyboardInterrupt

    def cmd_step(self, rest: str) -> None:
        """``step``: run the next step; ``step N``: the next N (fewer if the run ends,
        fails or is interrupted first)."""
        count = 1
        if rest:
            try:
                count = int(rest)
            except ValueError:
                raise ValueError(f"usage: step [N], with N a number of steps; got {rest!r}") from None
            if count < 1:
                raise ValueError(f"step {count}: the number of steps must be at least 1")
        self._ensure_started()
        for _ in range(count):
            try:
                step = self._advance()
            except KeyboardInterrupt:
                return
            if step is None:
                self._finish()
                return
            self._print_step(step)
            if self.execution.done:
                self._finish()
                return

    def cmd_continue(self, rest: str) -> None:
        self._ensure_started()
        try:
            while (step := self._advance()) is not None:
                self._print_step(step)
        except KeyboardInterrupt:
            return
        self._finish()

    def cmd_run(self, rest: str) -> None:
        self._reset()
        self._start()
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

        table = Table(show_header=True)
        table.add_column("name")
        table.add_column("value")
        for name, value in self._variables().items():
            table.add_row(summarize(name, 40), summarize(value, 80))
        self.console.print(table)

    def cmd_show(self, rest: str) -> None:
        from visprog import Image
        from visprog.trace.render import box_rows, render_value_image, summarize

        if not rest:
            raise ValueError("usage: show NAME")
        variables = self._variables()
        if rest not in variables:
            close = difflib.get_close_matches(rest, list(variables), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; see vars"
            raise ValueError(f"no variable {rest!r}{hint}")
        value = variables[rest]
        self.say(f"{rest} = {summarize(value, 2000)}")
        rows = box_rows(value)
        if rows:
            self.say("      #  label                 score  x1, y1, x2, y2 (input-image pixels)")
            for number, box in rows[:MAX_BOX_ROWS]:
                label = summarize(box.label, 20) if box.label is not None else "-"
                score = f"{box.score:.2f}" if box.score is not None else "-"
                coords = ", ".join(f"{v:g}" for v in box.as_tuple())
                self.say(f"    {number:3}  {label:20}  {score:>5}  ({coords})")
            if len(rows) > MAX_BOX_ROWS:
                self.say(f"    ... and {len(rows) - MAX_BOX_ROWS} more")
        base = variables.get("IMAGE") if isinstance(variables.get("IMAGE"), Image) else None
        picture = render_value_image(value, base)
        if picture is not None:
            self.say(f"    image: {self._write_image(rest, picture)}")

    def _write_image(self, name: str, value: Any) -> Path:
        """Save a picture to a file in the session's folder (its path is printed) and, in
        a terminal that shows images (iTerm2, WezTerm, kitty), also draw it inline."""
        from visprog.trace.files import save_image_atomic

        pil = value.pil if hasattr(value, "pil") else value
        safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:60] or "value"
        path = save_image_atomic(pil, self.images_folder / f"{safe}.png")
        sequence = inline_image_sequence(path.read_bytes())
        if sequence and self.console.is_terminal:
            self.console.file.write(sequence + "\n")
            self.console.file.flush()
        return path

    def cmd_tools(self, rest: str) -> None:
        from visprog.fronts.common import first_sentence, wrap_hanging
        from visprog.models.manager import tool_availability

        # What `visprog tools` says: the whole first sentence (the docstring's first
        # line cut sentences short), and the status models list uses (weights included).
        for t in self.registry.tools:
            aliases = ", ".join(a.name for a in self.registry.aliases_of(t.name))
            status = tool_availability(t.requires, t.models, probe=False).label()
            head = f"  {t.name}{' (' + aliases + ')' if aliases else ''}" + ("" if status == "ready" else f" [{status}]")
            self.say(head, style="bold")
            for text in (t.signature(), first_sentence(t.description)):
                for line in wrap_hanging("    ", text, self.console.width - 1):
                    self.say(line)

    def cmd_ask(self, rest: str) -> None:
        if not rest:
            raise ValueError("usage: ask QUESTION")
        if not self.inputs:
            raise ValueError("load an image first")
        if not self._may_replace("ask", "a planned one"):
            return
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
        self.unsaved = True
        self._reset()
        self.cmd_program("")
        if plan.ok:
            self.cmd_run("")


def _opens_block(lines: list[str], changed: int) -> bool:
    """Whether line ``changed`` ends with ``:`` and the program parses once that block
    gets a body (so the line is a block header waiting for its body)."""
    line = lines[changed - 1]
    if not line.rstrip().endswith(":"):
        return False
    indent = len(line) - len(line.lstrip())
    body = " " * (indent + 4) + "pass"
    candidate = [*lines[:changed], body, *lines[changed:]]
    try:
        parse_tree("\n".join(candidate))
    except ProgramSyntaxError:
        return False
    return True


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


def run_repl(image: str | None = None, *, registry: Any = None) -> int:
    """The interactive loop: prompt_toolkit with history and completion on a terminal,
    plain lines otherwise. The session's temporary pictures are deleted on the way out."""
    repl = Repl(registry=registry)
    read: Callable[[], str]
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

        def read() -> str:
            return str(session.prompt("visprog> "))

        def confirm(question: str) -> bool:
            try:
                return str(session.prompt(question)).strip().lower() in ("y", "yes")
            except (KeyboardInterrupt, EOFError):
                return False
    else:
        def read() -> str:
            sys.stdout.write("visprog> ")
            sys.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line

        def confirm(question: str) -> bool:
            sys.stdout.write(question)
            sys.stdout.flush()
            return sys.stdin.readline().strip().lower() in ("y", "yes")

    repl.confirm = confirm
    try:
        repl.say("visprog repl: type help for commands, quit to leave")
        if image:
            repl.handle(f"load {shlex.quote(image)}")
        while not repl.done:
            try:
                line = read()
            except EOFError:
                break
            except KeyboardInterrupt:
                continue
            repl.handle(line)
    finally:
        repl.close()
    return 0
