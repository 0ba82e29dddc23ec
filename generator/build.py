"""The one place that knows the order of the stages:
config -> load -> check -> model -> pages -> render -> write.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .config import Config, load_config
from .errors import BuildFailed, SourceError, only_errors
from .index import index_pages
from .load import Loaded, load
from .model import build_site, check
from .pages import Fingerprints, Page, plan
from .render import make_renderer
from .strings import load_strings
from .themes import template_dirs, templates_digest
from .write import OutputTree, Planned, WriteStats

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    source: Path
    output: Path
    audience: str | None = None
    drafts: bool = False
    now: dt.datetime | None = None
    clean: bool = False


@dataclass(frozen=True)
class BuildResult:
    entries: int
    pages: int
    seconds: float
    written: WriteStats
    warnings: tuple[SourceError, ...]


def _quiet(_: str) -> None:
    pass


def check_sources(source: Path) -> tuple[Config | None, Loaded | None, list[SourceError]]:
    """Everything `bulletin check` reports: errors and warnings, from every file."""
    config, problems = load_config(source)
    if config is None:
        return None, None, problems
    strings, problems = load_strings(source, config)
    loaded = load(source, config, strings.get("footnote_back", "{}"))
    problems = [*problems, *loaded.errors, *check(loaded, config)]
    return config, loaded, problems


def build(options: BuildOptions, progress: Progress = _quiet) -> BuildResult:
    started = time.perf_counter()
    config, loaded, problems = check_sources(options.source)
    if config is None or loaded is None:
        raise BuildFailed(problems)
    audience = options.audience or config.default_audience
    if audience not in config.audiences:
        raise BuildFailed([SourceError("bulletin.yaml", 1, f"unknown audience '{audience}'",
                                       f"use one of: {', '.join(config.audiences)}")])
    progress(f"loaded {len(loaded.entries)} entries")
    site = build_site(loaded, config, audience, options.now or dt.datetime.now(), options.drafts)
    strings, _ = load_strings(options.source, config)
    renderer, template_problems = make_renderer(options.source, site, strings)
    errors = only_errors([*problems, *template_problems])
    if errors:
        raise BuildFailed(errors)
    tree = OutputTree(options.output)
    if tree.check():
        raise BuildFailed(tree.check())
    pages = [*plan(site, options.source), *static_pages(options.source), *index_pages(site, options.source)]
    shared = hashlib.sha256(f"{code_digest()}:{config.digest}:{templates_digest(options.source)}:"
                            f"{sorted(strings.items())}".encode()).hexdigest()
    fingerprints = Fingerprints()
    planned = [Planned(p.path, _key(shared, p, fingerprints)) for p in pages]
    by_path: dict[str, Page] = {}
    for page in pages:
        if by_path.setdefault(page.path, page) is not page:
            raise BuildFailed([SourceError(page.path, 1, "two pages would be written to the same"
                                           " file", "rename the entry or file (its slug) that"
                                           " collides with a page of the site")])

    def produce(paths: list[str]) -> Iterator[tuple[str, bytes]]:
        for done, path in enumerate(paths, start=1):
            page = by_path[path]
            if page.generate is not None:
                yield path, page.generate()
            elif page.copy is not None:
                yield path, page.copy.read_bytes()
            else:
                yield path, renderer.render(page.template or "", page.context)
            if done % 1000 == 0:
                progress(f"rendered {done}/{len(paths)} pages")

    with tree.locked():
        written = tree.write(planned, produce, clean=options.clean)
    return BuildResult(len(site.entries), len(pages), time.perf_counter() - started, written,
                       tuple(p for p in problems if p.warning))


@functools.cache
def code_digest() -> str:
    """The generator's own code: a page made by other code is not reused (nor is its version)."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(shared: str, page: Page, fingerprints: Fingerprints) -> str:
    return hashlib.sha256(f"{shared}:{page.path}:{page.template}:{page.copy}:"
                          f"{fingerprints.of(page.context)}".encode()).hexdigest()[:32]


def static_pages(source: Path) -> list[Page]:
    """The theme's static files, each replaceable by the site's file of the same name."""
    found: dict[str, Path] = {}
    for folder in reversed(template_dirs(source)):
        static = folder / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else ():
            if path.is_file():
                found[f"static/{path.relative_to(static).as_posix()}"] = path
    return [Page(rel, None, {"stat": (path.stat().st_size, path.stat().st_mtime_ns)}, copy=path)
            for rel, path in found.items()]
