"""Splitting a Markdown file into its YAML front matter and body, and reading
YAML with the line of every key.

PyYAML keeps the last of two equal keys without a word (yaml/pyyaml#165) and
its marks are 0-based within the text it was given, so this module composes
the node tree itself: it rejects duplicate keys and records, for each key
path, the 1-based line in the *file*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import SourceError

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ten times faster


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loading, but an impossible date (2026-02-30) stays text for the validator
    to report with its line, instead of crashing the YAML constructor."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

KeyPath = tuple[str, ...]
_INVISIBLE_BREAKS = str.maketrans({"\u2028": " ", "\u2029": " ", "\x85": " "})


@dataclass(frozen=True)
class YamlDoc:
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    first_line: int = 1

    def line(self, *keys: str) -> int:
        """Line of the deepest known key on the path, else of the block start."""
        path: KeyPath = tuple(keys)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.first_line


@dataclass(frozen=True)
class Split:
    yaml_text: str
    body: str
    yaml_line: int  # file line of the first YAML line
    body_line: int  # file line of the first body line


def split(text: str, path: str) -> tuple[Split | None, list[SourceError]]:
    """Separate the `---` fenced block from the body. Accepts a BOM and CRLF."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, [SourceError(path, 1, "the file is empty",
                                  "start it with a front-matter block: ---, title: …, date: …, ---")]
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None, [SourceError(path, 1, "the file does not start with a front-matter fence '---'",
                                  "put '---' on the first line, the YAML keys, then '---' again")]
    for number, line in enumerate(lines[1:], start=2):
        if line.rstrip() == "---":
            yaml_text = "\n".join(lines[1:number - 1])
            body = "\n".join(lines[number:])
            return Split(yaml_text, body, 2, number + 1), []
    return None, [SourceError(path, 1, "the front-matter block opened here is never closed",
                              "add a line '---' after the last front-matter key")]


def read_yaml(text: str, path: str, first_line: int = 1) -> tuple[YamlDoc | None, list[SourceError]]:
    """Parse one YAML document; `first_line` is the file line of the text's first line."""
    # Word and web pages paste U+2028, U+2029 and U+0085, which YAML counts as line breaks and
    # an editor does not: read them as spaces, so lines and values stay what the editor sees.
    if "\u2028" in text or "\u2029" in text or "\x85" in text:  # translate() takes 11 µs of Chinese text
        text = text.translate(_INVISIBLE_BREAKS)
    simple = _simple(text, first_line)
    if simple is not None:
        return YamlDoc(*simple, first_line), []
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc({}, {}, first_line), []
        lines: dict[KeyPath, int] = {}
        duplicates: list[SourceError] = []
        _walk(node, (), first_line, lines, duplicates, path)
        if duplicates:
            return None, duplicates
        return YamlDoc(_plain_value(loader, node) if _plain(node) else loader.construct_document(node), lines,
                       first_line), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or str(exc)
        return None, [SourceError(path, line, f"YAML syntax error: {problem}",
                                  "check indentation, and quote values that contain ': ' or start with [ { * & ! | >")]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        return None, [SourceError(path, first_line, f"YAML error: {exc}", "fix the YAML syntax")]
    except (KeyError, AttributeError):  # PyYAML's constructors on `!!bool maybe`, `!!timestamp soon`
        return None, [SourceError(path, first_line, "YAML error: a value tagged !!bool, !!timestamp or the like "
                                  "is not of that type", "remove the tag, or write a value of its type")]
    finally:
        loader.dispose()


_MAP, _SEQ, _STR, _MERGE = (f"tag:yaml.org,2002:{kind}" for kind in ("map", "seq", "str", "merge"))
_SCALARS = frozenset({_STR, *(f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool", "null", "timestamp"))})
_PLAIN_DEPTH = 32  # _plain_value() recurses, PyYAML's constructor does not: deeper goes to the latter


# _simple(): a `key: value` line, a `- item` line, a scalar that may be plain, and what ends one.
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,1023}):(?: +(.*?))? *\Z")  # libyaml: keys up to 1024
_ITEM_LINE = re.compile(r"( *)- +(.*?) *\Z")
_QUOTED = re.compile(r'"([^"\\]*)"\Z|\'([^\']*)\'\Z')  # no escape, no quote inside
_PLAIN_START = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@` ]")
_NOT_PLAIN = re.compile(r": |:\Z| #")  # a mapping inside, or a comment after
_NOT_IN_FLOW = re.compile(r"[,\[\]{}:]")  # ':' too: libyaml ends a flow scalar at ':?'
# What libyaml refuses (controls, surrogates, U+FFFE and U+FFFF), and a tab, a carriage return, U+0085
# and a byte-order mark: left to PyYAML. Listed, not the complement of what is allowed: that class
# took 7 ms to compile, at the start of every command.
_NOT_SIMPLE_CHARACTER = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")


class _NotSimple(Exception):
    pass


def _simple(text: str, first_line: int) -> tuple[dict[str, Any], dict[KeyPath, int]] | None:
    """The data and key lines of a front matter made only of `key: scalar`, `key: [scalar, ...]`
    and `key:` followed by `- scalar` lines (besides blank and comment lines), as PyYAML reads
    it; None for anything else, which goes to PyYAML. Such is nearly every entry's front matter,
    read here in under half of PyYAML's time (reading it took a third of loading an entry). A
    scalar is plain, or quoted without escapes; its type is PyYAML's, resolved and constructed
    by PyYAML's own tables (`yes` is True, 2026-03-01 a date). Keys are plain names that
    resolve to strings, each once: a duplicate goes to PyYAML, and from there to its error."""
    if _NOT_SIMPLE_CHARACTER.search(text):
        return None
    constructor = yaml.constructor.SafeConstructor()  # _Loader's scalar constructors need no parser

    def scalar(value: str, in_flow: bool = False) -> Any:
        quoted = _QUOTED.match(value)
        if quoted:
            return quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
        if not _PLAIN_START.match(value) or _NOT_PLAIN.search(value) or (in_flow and _NOT_IN_FLOW.search(value)):
            raise _NotSimple
        tag = _implicit_tag(value)
        if tag == _STR:
            return value
        if tag not in _SCALARS:  # `<<`, `=`
            raise _NotSimple
        try:
            return _Loader.yaml_constructors[tag](constructor, yaml.ScalarNode(tag, value))
        except ValueError as exc:  # `0x_` resolves as an int and is none: PyYAML says so
            raise _NotSimple from exc

    data: dict[str, Any] = {}
    lines: dict[KeyPath, int] = {}
    sequence: tuple[str, str | None] | None = None  # the key whose `- item` lines follow; their indent
    try:
        for number, line in enumerate(text.split("\n"), start=first_line):
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            if sequence is not None:
                item = _ITEM_LINE.match(line)
                if item:
                    key, indent = sequence
                    if indent is None:
                        data[key], sequence = [], (key, item.group(1))
                    elif item.group(1) != indent:
                        return None
                    lines[(key, str(len(data[key])))] = number
                    data[key].append(scalar(item.group(2)))
                    continue
                sequence = None
            pair = _KEY_LINE.match(line)
            if pair is None:
                return None
            key, value = pair.groups()
            if key in data or _implicit_tag(key) != _STR:
                return None
            lines[(key,)] = number
            if not value:
                data[key], sequence = None, (key, None)
            elif value[0] == "[" and value[-1] == "]":
                items = [part.strip(" ") for part in value[1:-1].split(",")] if value[1:-1].strip(" ") else []
                data[key] = [scalar(part, in_flow=True) for part in items]
                lines.update(((key, str(index)), number) for index in range(len(items)))
            else:
                data[key] = scalar(value)
    except _NotSimple:
        return None
    return data, lines


def _implicit_tag(plain: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar (Resolver.resolve, without its call)."""
    for tag, pattern in _Loader.yaml_implicit_resolvers.get(plain[0], ()):
        if pattern.match(plain):
            return tag
    return _STR


def _plain(node: yaml.Node) -> bool:
    """Whether a front matter is only what PyYAML's constructor makes plainly: maps with scalar
    keys and no merge key, lists, strings, numbers, booleans, nulls and dates, no node twice (an
    alias), at most _PLAIN_DEPTH deep. Such is every usual front matter; _plain_value() makes it
    at half the cost."""
    seen: set[int] = set()
    stack = [(node, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen or depth > _PLAIN_DEPTH:
            return False
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALARS:
                return False
        elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            stack += ((item, depth + 1) for item in node.value)
        elif isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
                    return False
                stack += ((key, depth + 1), (value, depth + 1))
        else:
            return False
    return True


def _plain_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """What loader.construct_document(node) makes of a _plain() node, without its bookkeeping."""
    if isinstance(node, yaml.ScalarNode):
        return node.value if node.tag == _STR else loader.yaml_constructors[node.tag](loader, node)
    if isinstance(node, yaml.SequenceNode):
        return [_plain_value(loader, item) for item in node.value]
    return {_plain_value(loader, key): _plain_value(loader, value) for key, value in node.value}


def _walk(node: yaml.Node, prefix: KeyPath, first_line: int, lines: dict[KeyPath, int],
          duplicates: list[SourceError], path: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = first_line + key_node.start_mark.line
            if key in seen:
                duplicates.append(SourceError(path, line, f"the key '{key}' appears twice",
                                              "keep one of the two; YAML would silently drop the first"))
            seen.add(key)
            lines[(*prefix, key)] = line
            _walk(value_node, (*prefix, key), first_line, lines, duplicates, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*prefix, str(index))] = first_line + item.start_mark.line
            _walk(item, (*prefix, str(index)), first_line, lines, duplicates, path)
