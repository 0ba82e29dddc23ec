"""The `bulletin` command: arguments in, messages and exit codes out.

Exit codes: 0 success, 1 content errors, 2 usage errors (argparse's own).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .config import load_config
from .entry import parse_date
from .errors import BuildFailed, format_errors, only_errors

if TYPE_CHECKING:
    from .inputs import Inputs
    from .parallel import Spare

# The heavy parts (Markdown, Jinja, numpy, OpenCC, pypinyin) are imported by the commands that
# use them: `bulletin build` loads them in a child while it finds out whether there is anything
# to build, and with nothing to build answers without them.

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2
PUBLISH_STAGING = ".bulletin-publish"  # where publish builds, per audience, before releasing


def main(argv: Sequence[str] | None = None) -> int:
    """For a process that ends next (__main__.run): what a build made is kept until then."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    return int(args.run(args, parser))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bulletin", description="Build an information bulletin"
                                     " (信息 / 调研报告 / 通知 / 通报) as a static intranet site.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build_cmd = commands.add_parser("build", help="build the site into the output folder",
                                    description="Build the site. The output folder is switched to"
                                    " the new site in one step; on any error it is left as it was.")
    _source(build_cmd)
    build_cmd.add_argument("--output", type=Path, help="output folder (default: SOURCE/output)")
    build_cmd.add_argument("--audience", help="publish entries up to this audience level "
                           "(default: the configuration's default_audience, normally 'internal')")
    build_cmd.add_argument("--drafts", action="store_true", help="include entries with draft: true")
    build_cmd.add_argument("--now", type=_moment, help="the build's clock for publish_at, "
                           "expire_at and pinned_until (YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
    build_cmd.add_argument("--clean", action="store_true", help="ignore what earlier builds left")
    build_cmd.set_defaults(run=_build)

    check_cmd = commands.add_parser("check", help="validate all content; exit 1 on errors",
                                    description="Report every error and warning in the content, "
                                    "configuration and templates without writing anything.")
    _source(check_cmd)
    check_cmd.set_defaults(run=_check)

    serve_cmd = commands.add_parser("serve", help="live preview: build, serve, rebuild on every save",
                                    description="Build the site with drafts into a temporary folder, serve it,"
                                    " watch content/, templates/ and bulletin.yaml, rebuild on each change and"
                                    " reload open browser tabs. Errors show in the terminal and the browser.")
    _source(serve_cmd)
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    serve_cmd.add_argument("--audience", help="preview as this audience level")
    serve_cmd.set_defaults(run=_serve)

    publish_cmd = commands.add_parser("publish", help="build for an audience and publish atomically to DEST",
                                      description="Build the site for an audience and make it the current "
                                      "release at DEST (a link to a release folder kept beside it), in one "
                                      "step, after checking every file against a manifest of hashes.")
    publish_cmd.add_argument("dest", metavar="DEST", type=Path, help="the web root to publish to")
    _source(publish_cmd)
    publish_cmd.add_argument("--audience", help="publish entries up to this audience level")
    publish_cmd.add_argument("--now", type=_moment, help="the build's clock (YYYY-MM-DD[THH:MM])")
    publish_cmd.add_argument("--keep", type=int, default=5, help="releases to keep (default 5)")
    publish_cmd.add_argument("--rollback", action="store_true", help="make the previous release current again")
    publish_cmd.set_defaults(run=_publish)

    new_cmd = commands.add_parser("new", help="create a new entry from a template",
                                  description="Create content/TYPE/YEAR/SLUG.md with front matter"
                                  " to fill in.")
    new_cmd.add_argument("type", metavar="TYPE", help="entry type, e.g. info, report, notice")
    new_cmd.add_argument("title", metavar="TITLE", help="the entry's title (標題)")
    new_cmd.add_argument("--publication", help="publication key, e.g. xinxi")
    new_cmd.add_argument("--issue", type=int, help="issue number (期) in the publication")
    _source(new_cmd)
    new_cmd.set_defaults(run=_new)
    return parser


def _source(command: argparse.ArgumentParser) -> None:
    command.add_argument("--source", type=Path, default=Path("."),
                         help="folder holding bulletin.yaml and content/ (default: .)")


def _moment(text: str) -> dt.datetime:
    moment = parse_date(text)
    if moment is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write YYYY-MM-DD[THH:MM]")
    return moment


def _build(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    config, _ = load_config(args.source)
    if config is not None and args.audience is not None and args.audience not in config.audiences:
        parser.error(f"unknown audience '{args.audience}'; use one of: {', '.join(config.audiences)}")
    output = args.output or args.source / "output"
    now = config.clock(args.now) if config else dt.datetime.now()  # without a configuration it fails
    started = time.perf_counter()
    from . import parallel
    from .inputs import nothing_to_build

    # The child that builds loads the generator's libraries (60-130 ms) and reads the cache while this
    # process walks content/ to find out whether there is anything to build (60 ms at 10,000
    # files), and waits for what the walk found only before it reads any source. Then this
    # process, which would only wait, loads numpy and indexes the search partition of an edit
    # for the child (the Spare): the child plans and keys the pages meanwhile, without numpy
    # unless an edited text is long.
    builder = parallel.ahead(_load_generator, functools.partial(_build_with, args, output, now),
                             _load_indexer if _indexed_before(output) else None)
    try:
        last, taken = nothing_to_build(args.source, output, args.audience, args.drafts, now)
    except BaseException:
        builder.stop()
        raise
    if last is not None and not args.clean:
        builder.stop()
        if last.warnings:
            print("\n".join(last.warnings), file=sys.stderr)
        print(f"built {last.entries} entries, {last.pages} pages in {time.perf_counter() - started:.2f} s "
              f"(nothing changed since the last build) -> {output}")
        return EXIT_OK
    return builder.finish(taken)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load_generator() -> None:
    from . import build  # noqa: F401


def _load_indexer() -> None:
    from . import postings

    postings.ready()


def _indexed_before(output: Path) -> bool:
    """Whether the output's store holds search partitions. Only then does readying the spare pay:
    a first build indexes every partition in forked children, and readying took a tenth of a
    second of the cores they use."""
    from .write import OutputTree

    try:
        with os.scandir(OutputTree(output).search_store) as found:
            return any(True for _ in found)
    except OSError:
        return False


def _build_with(args: argparse.Namespace, output: Path, now: dt.datetime, taken: Callable[[], Inputs],
                spare: Spare | None) -> int:
    from .build import BuildOptions, build

    options = BuildOptions(source=args.source, output=output, audience=args.audience, drafts=args.drafts,
                           now=now, clean=args.clean, inputs=taken, spare=spare)
    try:
        with _last_in_process() as keep:
            result = build(options, _progress, keep)
    except BuildFailed as failed:
        print(format_errors(failed.errors), file=sys.stderr)
        count = len(only_errors(failed.errors))
        print(f"build failed: {count} error{'s' * (count != 1)}; {options.output} was not "
              "changed", file=sys.stderr)
        return EXIT_CONTENT
    if result.warnings:
        print(format_errors(result.warnings), file=sys.stderr)
    w = result.written
    print(f"built {result.entries} entries, {result.pages} pages in {result.seconds:.2f} s "
          f"({w.written} written, {w.copied} copied, {w.kept} unchanged, {w.removed} removed)"
          f" -> {options.output}")
    return EXIT_OK


_KEPT: list[object] = []  # what builds made, for the process's end to free (see __main__.run)


@contextlib.contextmanager
def _last_in_process() -> Iterator[list[object]]:
    """For a build after which the process ends. A build runs without the cycle collector; the
    collector's next pass, or the one at exit, would rescan every object the build left to free
    memory the exit frees anyway: 0.4 s of a 1.8 s one-edit build at 10,000 entries. The list it
    gives receives what the build made, which freeing object by object on its return would take
    another 20 ms."""
    gc.disable()
    try:
        yield _KEPT
    finally:
        gc.freeze()


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .serve import serve

    config, _ = load_config(args.source)
    if config is not None and args.audience is not None and args.audience not in config.audiences:
        parser.error(f"unknown audience '{args.audience}'; use one of: {', '.join(config.audiences)}")
    try:
        serve(args.source, args.host, args.port, args.audience, log=lambda text: print(text, flush=True))
    except OSError as problem:
        print(f"cannot serve on {args.host}:{args.port}: {problem.strerror or problem}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _publish(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .build import BuildOptions, build
    from .publish import Releases

    releases = Releases(args.dest)
    if args.keep < 1:
        parser.error("--keep must be at least 1")
    try:
        with releases.locked():
            if args.rollback:
                print(f"rolled back: {args.dest} -> release {releases.rollback()}")
                return EXIT_OK
            config, _ = load_config(args.source)
            audience = args.audience or (config.default_audience if config else "internal")
            if config is not None and audience not in config.audiences:
                parser.error(f"unknown audience '{audience}'; use one of: {', '.join(config.audiences)}")
            staging = args.source / PUBLISH_STAGING / audience
            with _last_in_process() as keep:
                built = build(BuildOptions(source=args.source, output=staging, audience=audience, now=args.now),
                              keep=keep)
            done = releases.publish(staging, dt.datetime.now(), keep=args.keep)
    except BuildFailed as failed:
        print(format_errors(failed.errors), file=sys.stderr)
        print(f"publish failed; {args.dest} was not changed", file=sys.stderr)
        return EXIT_CONTENT
    print(f"published {built.entries} entries ({done.files} files: {done.copied} copied, {done.linked} unchanged)"
          f" for '{audience}' -> {args.dest} (release {done.release})")
    return EXIT_OK


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .build import check_sources

    _, loaded, problems = check_sources(args.source)
    if problems:
        print(format_errors(problems))
    errors = len(only_errors(problems))
    warnings = len(problems) - errors
    entries = len(loaded.entries) if loaded else 0
    print(f"checked {entries} entries: {errors} error{'s' * (errors != 1)}, "
          f"{warnings} warning{'s' * (warnings != 1)}")
    return EXIT_CONTENT if errors else EXIT_OK


def _new(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .scaffold import new_entry

    config, errors = load_config(args.source)
    if config is None:
        print(format_errors(errors), file=sys.stderr)
        return EXIT_CONTENT
    try:
        path = new_entry(args.source, config, args.type, args.title, args.publication, args.issue,
                         config.clock().date())
    except ValueError as problem:
        parser.error(str(problem))  # exits 2
    print(path)
    return EXIT_OK
