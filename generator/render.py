"""Jinja: the template environment, the helpers templates use, and rendering one page.

Templates are found first in the site's own templates/, then in the default
theme; the theme is also reachable as `theme/<name>` so a site template can
extend the theme's template of the same name and override single blocks.
Undefined variables are errors (StrictUndefined), reported with template and line.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import sys
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, TracebackType
from typing import Any
from urllib.parse import quote

import jinja2
import markupsafe
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import Markup, _escape_inner  # the compiled one where markupsafe has it

from . import charts, stats
from .entry import Attachment, Entry
from .errors import BuildFailed, SourceError
from .markdown import ASSET_SCHEME, LINK_SCHEME
from .model import Issue, IssueHeading, Site
from .printing import isolate
from .strings import Strings
from .themes import shown_path, template_dirs

_PLACEHOLDER_LINK = re.compile(
    r'<a href="' + re.escape(LINK_SCHEME) + r'([^"#]*)(#[^"]*)?"([^>]*)>(.*?)</a>', re.S)
_PLACEHOLDER_ASSET = re.compile(r'(href|src)="' + re.escape(ASSET_SCHEME) + r'([^"#]*)(#[^"]*)?"')
_FILE_TYPES = {"doc": "Word", "docx": "Word", "xls": "Excel", "xlsx": "Excel", "csv": "CSV",
               "ppt": "PowerPoint", "pptx": "PowerPoint", "pdf": "PDF", "wps": "WPS",
               "ofd": "OFD", "zip": "ZIP", "rar": "RAR", "txt": "TXT", "png": "PNG",
               "jpg": "JPEG", "jpeg": "JPEG"}
EXCERPT_CHARS = 120


@dataclass(frozen=True)
class Renderer:
    env: jinja2.Environment
    source: Path

    def render(self, template: str, context: dict[str, Any]) -> bytes:
        try:
            return self.env.get_template(template).render(context).encode("utf-8")
        except jinja2.TemplateError as exc:
            raise BuildFailed([template_error(exc, self.source, sys.exc_info()[2])]) from exc


class _Context(jinja2.runtime.Context):
    """Calls a plain function (the helpers of make_renderer) at once. Jinja's Context.call first
    looks, with four attribute lookups, for a wish to be given the context: a tenth of an entry
    page's rendering, for forty calls of t(), url() and the like. Anything else goes that way.
    The shortcut does what Jinja 3.1's Context.call does for such a function."""

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if __obj.__class__ is not FunctionType or hasattr(__obj, "jinja_pass_arg"):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja does
            return __self.environment.undefined("value was undefined because a callable raised a"
                                                " StopIteration exception")


def _escape(value: Any) -> str:
    """markupsafe.escape for what a template writes out (`{{ value }}`), where Jinja only joins
    the result into the page or a buffer that it marks safe itself: a plain string does. A build
    escapes a million values; markupsafe's escape made each a Markup through a Python __new__,
    400 ns where this takes 50 (tests compare the two)."""
    kind = value.__class__
    if kind is str:
        return _escape_inner(value)
    if kind is Markup:  # already safe: markupsafe.escape would copy it
        return value
    return markupsafe.escape(value)


class _Template(jinja2.Template):
    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: Any, globals: MutableMapping[str, Any],
                  uptodate: Callable[[], bool] | None = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # The compiled module's functions all look `escape` up in its namespace.
        template.root_render_func.__globals__["escape"] = _escape
        return template


class _CodeGenerator(CodeGenerator):
    """Writes a run of template text and values out as one string: `yield concat((a, b, c))`,
    where Jinja yields each piece. A piece passes up through every generator of the page's
    blocks, includes and parent templates, and an entry page yielded 130 pieces through four
    of them. The same statements Jinja writes inside a buffer (a macro or a `set` block)."""

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None or frame.require_output_check:
            super().visit_Output(node, frame)
            return
        finalize = self._make_finalize()
        body: list[list[str] | nodes.Expr] = []
        for child in node.nodes:  # constants joined at compile time, as Jinja does
            try:
                if not (finalize.const or isinstance(child, nodes.TemplateData)):
                    raise nodes.Impossible()
                const = self._output_child_to_const(child, frame, finalize)
            except Exception:  # nodes.Impossible, or any other: computed when rendering, as Jinja does
                body.append(child)
                continue
            if body and isinstance(body[-1], list):
                body[-1].append(const)
            else:
                body.append([const])
        if len(body) < 2:
            super().visit_Output(node, frame)
            return
        self.writeline("yield concat((")
        self.indent()
        for item in body:
            if isinstance(item, list):
                self.writeline(f"{self._output_const_repr(item)},")
            else:
                self.newline(item)  # keeps the template line of an error
                self._output_child_pre(item, frame, finalize)
                self.visit(item, frame)
                self._output_child_post(item, frame, finalize)
                self.write(",")
        self.outdent()
        self.writeline("))")


# What compiles a template besides its source: Jinja's own bytecode cache checks the source
# alone, and this module changes how Jinja compiles (_CodeGenerator), as a Jinja release may.
_COMPILER = f"{jinja2.__version__}:{hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}"


class _Compiled(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between builds, each valid for its source and _COMPILER."""

    def get_source_checksum(self, source: str) -> str:
        return hashlib.sha1(f"{_COMPILER}\0{source}".encode()).hexdigest()


class _Environment(jinja2.Environment):
    """Each template's globals are a plain dict, not Jinja's ChainMap over the environment's:
    every include, import and macro call copies them or takes their keys, and through a
    ChainMap that ran a Python method per helper, a fifth of an entry page's rendering. All
    globals are set before the first template loads (make_renderer), as Jinja asks anyway."""

    context_class = _Context
    template_class = _Template
    code_generator_class = _CodeGenerator

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def _environment(source: Path, compiled: Path | None = None) -> jinja2.Environment:
    dirs = template_dirs(source)
    return _Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.PrefixLoader({"theme": jinja2.FileSystemLoader(dirs[-1])}),
            jinja2.FileSystemLoader([str(d) for d in dirs]),
        ]),
        autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_Compiled(str(compiled)) if compiled else None,
        auto_reload=False,  # an environment lives for one build, whose templates do not change
    )


def template_problems(source: Path, compiled: Path | None = None) -> list[SourceError]:
    """Syntax errors of every template, with template file and line."""
    env = _environment(source, compiled)
    # Jinja checks filter names when it compiles: the names are enough, make_renderer
    # installs the filters themselves.
    env.filters.update({name: _unfolded(str) for name in _FILTERS})
    errors = []
    for name in env.list_templates(extensions=("html", "xml", "csv")):
        if name.startswith("static/"):
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            errors.append(template_error(exc, source, None))
    return errors


def make_renderer(source: Path, site: Site, strings: Strings, compiled: Path | None = None) -> Renderer:
    """`compiled`: a folder where compiled templates are kept between builds."""
    env = _environment(source, compiled)
    functions = helpers(site, strings)
    env.globals.update(functions)
    env.filters.update({k: _unfolded(v) for k, v in functions.items() if k in _FILTERS})
    env.globals.update(fragments(env))
    return Renderer(env, source)


def _unfolded(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as a filter that Jinja runs only when rendering. On a literal (`{{ "about/"|url }}`)
    Jinja runs a filter while it compiles and keeps the result in the compiled template, which
    later builds reuse whatever their configuration, and which the syntax check compiles with
    stand-ins for the filters. A filter that asks for the context is never run that early."""

    @jinja2.pass_context
    def run(_: jinja2.runtime.Context, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return run


def fragments(env: jinja2.Environment) -> dict[str, Callable[..., Markup]]:
    """Pieces that are the same wherever they appear, rendered once per build: the site
    header and footer (they depend on the configuration only) and an entry's list item
    (it depends on the entry only, and an entry appears in many lists)."""

    @functools.cache
    def once(name: str) -> Markup:
        return Markup(env.get_template(name).render())

    items: dict[tuple[str, bool], Markup] = {}

    def entry_item(entry: Entry, show_excerpt: bool = True) -> Markup:
        key = (entry.path, show_excerpt)  # one entry per path in a build
        if key not in items:
            items[key] = Markup(env.get_template("partials/entry_item.html").render(
                entry=entry, show_excerpt=show_excerpt))
        return items[key]

    return {"once": once, "entry_item": entry_item}


def template_error(exc: Exception, source: Path, tb: TracebackType | None) -> SourceError:
    """Template file and line of a Jinja error; debug.py rewrites frames to point there."""
    filename = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".xml", ".csv")):
            filename, line = name, tb.tb_lineno
        tb = tb.tb_next
    shown = shown_path(Path(filename), source) if filename else "templates"
    return SourceError(shown, line or 1, f"template error: {getattr(exc, 'message', None) or exc}",
                       "fix the template (see the Jinja documentation for the syntax)")


_FILTERS = ("url", "abs_url", "day", "iso", "rfc3339", "issue_label", "filesize", "filetype",
            "excerpt", "type_name", "audience_name", "quote_path", "entry_html")


def helpers(site: Site, strings: Strings) -> dict[str, Callable[..., Any] | Any]:
    config = site.config
    base = config.base_path

    def t(key: str, **values: Any) -> str:
        return strings[key].format(**values) if values else strings[key]

    def url(path: str) -> str:
        return base + path

    def abs_url(path: str) -> str:
        return config.url + path

    def day(when: dt.datetime) -> str:
        return t("date_format", year=when.year, month=when.month, day=when.day)

    def rfc3339(when: dt.datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S") + config.utc_offset

    def issue_label(issue: Issue | IssueHeading) -> str:
        if issue.year:
            return t("issue_yearly", year=issue.year, number=issue.number)
        return t("issue_running", number=issue.number)

    def entry_html(entry: Entry) -> str:
        return resolve_links(entry, site, base)

    def stats_label(label: stats.Label) -> str:
        return t(label.ui, value=label.value) if label.ui else str(label.value)

    return {
        "t": t, "url": url, "abs_url": abs_url, "day": day, "rfc3339": rfc3339,
        "iso": lambda when: when.strftime("%Y-%m-%d"),
        "issue_label": issue_label, "filesize": filesize, "filetype": filetype,
        "excerpt": excerpt, "entry_html": entry_html,
        "type_name": lambda key: config.types.get(key, key),
        "audience_name": lambda key: config.audiences.get(key, key),
        "quote_path": quote_path, "attachment_url": lambda entry, item: attachment_url(
            entry, item, base),
        # No `site`: a template sees its page's context and the configuration, nothing of other
        # pages, or a page could show what its key does not account for (pages.py).
        "config": config, "lang": config.language,
        "print_html": lambda entry, prefix: isolate(entry_html(entry), prefix),
        "stats_label": stats_label, "stats_csv": lambda table: stats.csv_text(table, stats_label),
        "stats_csv_url": lambda year, table: url(stats.csv_path(year, table.key)),
        "stats_chart": lambda table, title: Markup(charts.draw(table, stats_label, title)),
    }


def resolve_links(entry: Entry, site: Site, base: str) -> str:
    """Placeholders -> URLs. A link to an entry not published for this audience
    keeps its text and loses its href, so it neither breaks nor reveals anything."""

    def link(match: re.Match[str]) -> str:
        target = site.by_path.get(match.group(1))
        if target is None:
            return f"<span>{match.group(4)}</span>"
        return f'<a href="{base}{target.url}{match.group(2) or ""}"{match.group(3)}>{match.group(4)}</a>'

    def asset(match: re.Match[str]) -> str:
        name = match.group(2).rsplit("/", 1)[-1]
        return f'{match.group(1)}="{base}{entry.url}{quote_path(name)}{match.group(3) or ""}"'

    return _PLACEHOLDER_ASSET.sub(asset, _PLACEHOLDER_LINK.sub(link, entry.html))


def attachment_url(entry: Entry, item: Attachment, base: str) -> str:
    return f"{base}{entry.url}{quote_path(item.name)}"


def quote_path(path: str) -> str:
    return quote(path, safe="/")


def filesize(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"  # pragma: no cover - the loop always returns


def filetype(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _FILE_TYPES.get(suffix, suffix.upper() or "FILE")


def excerpt(entry: Entry, chars: int = EXCERPT_CHARS) -> str:
    if entry.summary:
        return entry.summary
    text = " ".join(entry.text.split())
    return text if len(text) <= chars else text[:chars].rstrip() + "…"

