"""The one place that knows the order of the stages:
config -> load -> check -> model -> pages -> render -> write.

Speed comes from reuse, never from partial models (Zola's partial rebuilds
showed stale sections, zola#1132): every build loads all files (unchanged
ones from the cache), builds the whole Site and plans every page, then
renders only the pages whose key changed. A key is made again only for the
pages an edit can reach (keys.py); the others keep the last build's. A
one-edit build therefore equals a clean build byte for byte. `preview()`
(serve) stops after the plan: it renders nothing until a browser asks for a
file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__, cache, index, inputs, parallel
from .config import CONFIG_FILE, Config, file_bytes, load_config
from .entry import Entry
from .errors import BuildFailed, SourceError, only_errors
from .keys import key, site_keys
from .load import Loaded, load
from .model import Site, build_site, check, moments, next_change, published_entries
from .pages import Fingerprints, Page, plan
from .render import Renderer, make_renderer, template_problems
from .strings import STRINGS_FILE, Strings, load_strings
from .themes import template_dirs, templates_digest
from .write import OutputTree, WriteStats, by_folder, replace_file

Progress = Callable[[str], None]
PARALLEL_FROM = 300  # pages to make before it pays to fork workers


@dataclass(frozen=True)
class BuildOptions:
    source: Path
    output: Path
    audience: str | None = None
    drafts: bool = False
    now: dt.datetime | None = None
    clean: bool = False
    # The sources as the caller took them before reading any (the CLI: in another process, whose
    # walk ends while this one starts), asked for just before the build reads its first source.
    inputs: Callable[[], inputs.Inputs] | None = None
    spare: parallel.Spare | None = None  # a process with a core to spare for this build (the CLI's)


@dataclass(frozen=True)
class BuildResult:
    entries: int
    pages: int
    seconds: float
    written: WriteStats
    warnings: tuple[SourceError, ...]


@dataclass(frozen=True)
class Preview:
    """Every page of a build, none written: serve makes a file when a browser asks for it,
    so a save costs the model and the plan, not the pages. The search index's pages are
    planned when a file below its folder is first asked for."""

    pages: dict[str, Page]  # all but the search index's
    search: Callable[[], dict[str, Page]]
    renderer: Renderer
    shared: str  # what every page depends on besides its context
    entries: int
    warnings: tuple[SourceError, ...]
    due: dt.datetime  # on the site's clock: from then on the same sources make another site
    clock: Callable[[], dt.datetime]  # the site's clock (Config.clock)

    def page(self, path: str) -> Page | None:
        return self.search().get(path) if path.startswith(index.FOLDER) else self.pages.get(path)

    def file(self, path: str) -> bytes | None:
        """The bytes `bulletin build` would write at `path`, or None when the site has no such file."""
        page = self.page(path)
        return None if page is None else page_bytes(page, self.renderer)

    def key(self, path: str) -> str:
        """Changes whenever the file at `path` does (empty while there is none)."""
        page = self.page(path)
        return "" if page is None else key(self.shared, page, Fingerprints())


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class Settings:
    """bulletin.yaml and the interface strings, read once per build (5 ms a time)."""

    config: Config | None  # None when bulletin.yaml has errors
    strings: Strings
    problems: list[SourceError]
    read: dict[Path, bytes | None]  # the bytes they were read from, by file

    def unchanged(self, source: Path) -> bool:
        """Whether their files hold what they held when they were read."""
        return _settings_bytes(source) == self.read


def load_settings(source: Path) -> Settings:
    read = _settings_bytes(source)
    config, problems = load_config(source, read.__getitem__)
    if config is None:
        return Settings(None, {}, problems, read)
    strings, problems = load_strings(source, config, read.__getitem__)
    return Settings(config, strings, problems, read)


def _settings_bytes(source: Path) -> dict[Path, bytes | None]:
    return {path: file_bytes(path)
            for path in (source / CONFIG_FILE, *(folder / STRINGS_FILE for folder in template_dirs(source)))}


def check_sources(source: Path, memory: cache.Memory | None = None, compiled: Path | None = None,
                  listing: inputs.Listing | None = None, templates: str | None = None,
                  settings: Settings | None = None) -> tuple[Config | None, Loaded | None, list[SourceError]]:
    """Everything `bulletin check` reports: errors and warnings, from every file.
    `compiled`: where compiled templates are kept between builds. `listing`: see load().
    `templates`: the templates' digest, with which `memory` keeps their syntax check.
    `settings`: load_settings(source), if the caller has them."""
    settings = settings or load_settings(source)
    config, strings, problems = settings.config, settings.strings, settings.problems
    if config is None:
        return None, None, problems
    if memory is not None and memory.key != cache_key(config, strings):
        memory.key, memory.results = cache_key(config, strings), {}
    # The templates are checked while forked children read the sources, when there are many.
    in_templates: list[SourceError] = []
    loaded = load(source, config, strings.get("footnote_back", "{}"), memory, listing,
                  lambda: in_templates.extend(_template_problems(source, compiled, memory, templates)))
    return config, loaded, [*problems, *loaded.errors, *_relation_problems(loaded, config, memory), *in_templates]


def _relation_problems(loaded: Loaded, config: Config, memory: cache.Memory | None) -> list[SourceError]:
    """check() took 18 ms of each build at 10,000 entries. All it reads of an entry is in the
    entry's placement digest, so entries placed as they were, with the same issue files,
    configuration and files, have no problems if they had none: that answer is kept. A problem,
    a warning too (a gap in issue numbers), is looked for again each time: its line may have moved."""
    if memory is None or loaded.errors:
        return check(loaded, config)
    signature = hashlib.sha256(f"{config.digest}:{len(loaded.paths)}:{loaded.issues!r}:".encode()
                               + "".join(e.placement for e in loaded.entries).encode()).hexdigest()
    if memory.derived.get("checked") == signature:
        return []
    found = check(loaded, config)
    if not found:
        memory.derived["checked"] = signature
    return found


def _template_problems(source: Path, compiled: Path | None, memory: cache.Memory | None,
                       templates: str | None) -> list[SourceError]:
    """Compiling every template to find its syntax errors took 10 ms of each build and each
    save in serve: not again while no template, string or static file changed."""
    if memory is None or templates is None:
        return template_problems(source, compiled)
    known = memory.derived.get("templates")
    if known is not None and known[0] == templates:
        return list(known[1])
    found = template_problems(source, compiled)
    memory.derived["templates"] = (templates, tuple(found))
    return found


def cache_key(config: Config, strings: Strings) -> str:
    """What a file's load result depends on besides the file: code, configuration, strings."""
    return hashlib.sha256(f"{code_digest()}:{config.digest}:{strings.get('footnote_back')}".encode()).hexdigest()


def build(options: BuildOptions, progress: Progress = _quiet, keep: list[object] | None = None) -> BuildResult:
    """Build into options.output, reusing what earlier builds kept in the output's store. `keep`
    receives what the build made, for a caller whose process ends next (cli)."""
    with _without_cycle_collection():
        return _build(options, progress, keep)


def preview(options: BuildOptions, memory: cache.Memory, listing: inputs.Listing | None = None) -> Preview:
    """The pages of a build of options.source, made by nothing yet. `memory` keeps load results
    between previews in this process; options.output's store keeps compiled templates and the
    search index. `listing`: see load()."""
    with _without_cycle_collection():
        tree = OutputTree(options.output)
        with tree.locked():
            made = _model(options, tree, memory, stored=False, listing=listing)
            pages = _one_page_per_path([*plan(made.site, options.source), *static_pages(options.source)])
            # No site page lies in the index's folder (config.RESERVED keeps types and
            # publications out of it), so the index's pages cannot collide with them.
            search = functools.cache(functools.partial(_search_pages, made.site, options.source,
                                                       tree.search_store))
            site = made.site
            return Preview(pages, search, made.renderer, made.shared, len(site.entries), made.warnings,
                           next_change(made.loaded.entries, site.now), site.config.clock)


def _search_pages(site: Site, source: Path, store: Path) -> dict[str, Page]:
    search = index.partitioned(site.entries, code_digest())
    return {page.path: page for page in (*index.context_pages(search, site, source),
                                         *index.Files(search, site, store, None).pages())}


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A build allocates millions of objects that live until it ends, so each of Python's
    cycle collections rescans them all for nothing: a third of an edit's rebuild at 10,000
    entries. Reference counting still frees what a build drops; cycles wait for its end.
    Forked workers inherit this and, untouched by the collector, share more pages."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _Made:
    loaded: Loaded
    site: Site
    renderer: Renderer
    shared: str
    warnings: tuple[SourceError, ...]
    derived: dict[str, Any]  # the memory's memo of later stages as it was before this build


def _model(options: BuildOptions, tree: OutputTree, memory: cache.Memory, stored: bool,
           listing: inputs.Listing | None = None, settings: Settings | None = None,
           on_published: Callable[[Loaded, list[Entry]], None] | None = None) -> _Made:
    """Load, check and model the site; BuildFailed if any file has an error. `stored`: the
    cache lives in the store, where a failing build writes it back (a build that goes on
    writes it with _save). `settings`: load_settings(options.source), if the caller has them.
    `on_published`: called with what was loaded and the site's entries once no source has an
    error, before the rest of the model is made."""
    if options.clean:
        memory.results = {}
    tree.cache_folder.mkdir(parents=True, exist_ok=True)
    derived = dict(memory.derived)
    templates = templates_digest(options.source)
    settings = settings or load_settings(options.source)
    config, loaded, problems = check_sources(options.source, memory, tree.cache_folder, listing, templates,
                                             settings)
    if config is None or loaded is None:
        raise BuildFailed(problems)
    now = config.clock(options.now)
    audience = options.audience or config.default_audience
    if audience not in config.audiences:
        raise BuildFailed([SourceError("bulletin.yaml", 1, f"unknown audience '{audience}'",
                                       f"use one of: {', '.join(config.audiences)}")])
    errors = only_errors(problems)
    published = published_entries(loaded, config, audience, now, options.drafts)
    if on_published is not None and not errors:
        try:
            on_published(loaded, published)
        except BaseException:
            if stored:
                _save(tree, memory, derived)  # what was read stays read all the same
            raise
    site = build_site(loaded, config, audience, now, options.drafts, memory.derived, published)
    strings = settings.strings
    renderer = make_renderer(options.source, site, strings, tree.cache_folder)
    if errors:
        if stored:
            _save(tree, memory, derived)  # what was read stays read
        raise BuildFailed(errors)
    shared = hashlib.sha256(f"{code_digest()}:{config.digest}:{templates}:"
                            f"{sorted(strings.items())}".encode()).hexdigest()
    return _Made(loaded, site, renderer, shared, tuple(p for p in problems if p.warning), derived)


def _save(tree: OutputTree, memory: cache.Memory, derived: dict[str, Any]) -> None:
    if memory.changed or derived != memory.derived:
        cache.write(tree.cache_folder, memory)


def _build(options: BuildOptions, progress: Progress, keep: list[object] | None) -> BuildResult:
    started = time.perf_counter()
    tree = OutputTree(options.output)
    if tree.check():
        raise BuildFailed(tree.check())
    # Before the lock: the CLI's inputs come from a walk in another process, which may find
    # nothing to build and end this one. So the settings and the cache are read meanwhile, and
    # the lock, which another build would find taken, is taken only when there is something to
    # build. The inputs are taken before any source is read (a file changed during the build
    # makes the next one build); the settings and the cache are read again under the lock if
    # they changed since.
    settings, memory = _settings_and_cache(options, tree)
    taken = options.inputs() if options.inputs else inputs.take(options.source, options.output,
                                                                   options.audience, options.drafts)
    with tree.locked(), tree.catching_up(options.clean) as catching_up:
        if not settings.unchanged(options.source) or cache.written_since(tree.cache_folder, memory):
            settings, memory = _settings_and_cache(options, tree)
        config = settings.config
        now = config.clock(options.now) if config else dt.datetime.now()  # without a configuration it fails
        store = tree.search_store
        search: index.Partitioned | None = None
        missing: list[int] = []
        indexing: index.Indexing | None = None

        # Indexed in other processes while this one makes the rest of the model, writes the
        # cache (which moves no body they may read: cache.py), plans and keys the pages; by the
        # spare process at once. A forked child shares this process's memory until either writes
        # to it, and what this process then writes, if only a reference count as it reads an
        # object, is copied page by page: 20 ms of an edit's build. The partition of an edit
        # takes less time to index than the keys to make, so without a spare it starts after the
        # cache write and the plan; many partitions start as soon as the site's entries are known
        # (a cold build's model took 0.3 s while a core stood idle).
        def start_indexing(loaded: Loaded, published: list[Entry]) -> None:
            nonlocal search, missing, indexing
            progress(f"loaded {len(loaded.entries)} entries")
            search = index.partitioned(published, code_digest())
            missing = index.missing(search, store)
            if len(missing) > 1 or options.spare:
                indexing = index.prepare(search, store, missing, progress, options.spare)

        try:
            made = _model(dataclasses.replace(options, now=now), tree, memory, stored=True, listing=taken.listing,
                          settings=settings, on_published=start_indexing)
        except BaseException:
            if indexing is not None:  # its workers end before the build's error is told
                with contextlib.suppress(BaseException):
                    indexing.wait()
            raise
        assert search is not None  # a model without errors had its entries partitioned
        site, fingerprints = made.site, Fingerprints()
        try:
            _save(tree, memory, made.derived)
            pages = plan(site, options.source)
            if indexing is None:
                indexing = index.prepare(search, store, missing, progress)
            keys = site_keys(made.shared, site, pages, tree.cache_folder, options.clean)
            statics = static_pages(options.source)
            keys.update((p.path, key(made.shared, p, fingerprints)) for p in statics)
            keys.update(index.document_keys(search, made.shared))
            pages.extend(statics)
        finally:
            made_from = indexing.wait() if indexing is not None else None
        searched = list(index.context_pages(search, site, options.source))
        by_path = _one_page_per_path([*pages, *searched])
        keys.update((p.path, key(made.shared, p, fingerprints)) for p in searched)
        keys.update(index.shard_keys(search, made.shared, made_from))
        # The index's files lie in its own folder, which no site page can take (see preview).
        page_at = functools.partial(_page_at, by_path, index.Files(search, site, store, made_from))
        written = tree.write(keys, functools.partial(_make, page_at, made.renderer, progress), clean=options.clean,
                             catching_up=catching_up)
        index.forget_others(search, store)
        inputs.remember(tree.store, taken.fingerprint, now, moments(made.loaded.entries),
                        tree.manifest_path(tree.live_slot() or ""),
                        inputs.LastBuild(len(site.entries), len(keys), tuple(map(str, made.warnings))))
    if keep is not None:
        keep.append((memory, made, by_path, keys, search))
    return BuildResult(len(site.entries), len(keys), time.perf_counter() - started, written, made.warnings)


def _settings_and_cache(options: BuildOptions, tree: OutputTree) -> tuple[Settings, cache.Memory]:
    """The settings and the cache they make valid."""
    settings = load_settings(options.source)
    config = settings.config
    valid_for = cache_key(config, settings.strings) if config else ""
    if options.clean or not config:
        return settings, cache.Memory(valid_for)
    return settings, cache.read(tree.cache_folder, valid_for)


def _one_page_per_path(pages: list[Page]) -> dict[str, Page]:
    by_path: dict[str, Page] = {}
    for page in pages:
        if by_path.setdefault(page.path, page) is not page:
            raise BuildFailed([SourceError(page.path, 1, "two pages would be written to the same file",
                                           "rename the entry or file (its slug) that collides with a page "
                                           "of the site")])
    return by_path


def _page_at(by_path: dict[str, Page], search: index.Files, path: str) -> Page:
    page = by_path.get(path) or search.page(path)
    if page is None:
        raise KeyError(path)
    return page


def _make(page_at: Callable[[str], Page], renderer: Renderer, progress: Progress, paths: list[str],
          folder: Path) -> None:
    """Write `paths` into `folder`, on every core when there are many."""
    children = parallel.workers() if len(paths) >= PARALLEL_FROM else 1
    if children > 1:
        progress(f"rendering {len(paths)} pages on {children} cores")
    parallel.fork_map(functools.partial(_write_pieces, page_at, renderer, folder), by_folder(paths), children)


def _write_pieces(page_at: Callable[[str], Page], renderer: Renderer, folder: Path,
                  pieces: Iterable[list[str]]) -> None:
    made_folders: set[str] = set()
    base = os.fspath(folder)
    for path in itertools.chain.from_iterable(pieces):
        page = page_at(path)
        data = page_bytes(page, renderer)
        target = f"{base}/{path}"  # strings, not Paths: thousands of pages
        parent = target.rpartition("/")[0]
        if parent not in made_folders:
            os.makedirs(parent, exist_ok=True)
            made_folders.add(parent)
        if page.group is not None and _holds(target, data):
            continue  # after an edit most shard files of the search index come out as they were
        replace_file(target, data)


def page_bytes(page: Page, renderer: Renderer) -> bytes:
    if page.generate is not None:
        return page.generate()
    if page.copy is not None:
        return page.copy.read_bytes()
    return renderer.render(page.template or "", page.context)


def _holds(path: str, data: bytes) -> bool:
    """Whether the file already has exactly these bytes (reading is cheaper than writing)."""
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


@functools.cache
def code_digest() -> str:
    """A page or cached file made by other code, or other library versions, is not reused."""
    return hashlib.sha256(f"{__version__}:{inputs.code()}".encode()).hexdigest()


def static_pages(source: Path) -> list[Page]:
    """The theme's static files, each replaceable by the site's file of the same name."""
    found: dict[str, Path] = {}
    for folder in reversed(template_dirs(source)):
        static = folder / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else ():
            if path.is_file():
                found[f"static/{path.relative_to(static).as_posix()}"] = path
    return [Page(rel, None, {"stat": inputs.stat_key(path)}, copy=path)
            for rel, path in found.items()]
