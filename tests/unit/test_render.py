"""render's changes to Jinja: the escape of what templates write out, against markupsafe's own;
compiled templates kept between builds."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2.compiler import CodeGenerator

from generator import render
from generator.render import _escape


class _Html:
    def __html__(self) -> str:
        return "<b>safe</b>"


class _Text(str):
    """A string of another class: escaped as markupsafe does, not by the plain-string shortcut."""

    def __html__(self) -> str:
        return "<i>own</i>"


@given(st.text())
def test_a_plain_string_comes_out_as_markupsafe_escapes_it(text: str) -> None:
    assert _escape(text) == markupsafe.escape(text)


@pytest.mark.parametrize("value", ['<a href="x">Q&A\'s</a>', markupsafe.Markup("<b>已審</b>"), _Html(),
                                   _Text("<p>"), 7, 2.5, None, True, ["<", ">"]])
def test_other_values_come_out_as_markupsafe_escapes_them(value: object) -> None:
    assert _escape(value) == markupsafe.escape(value)


def test_an_undefined_value_is_an_error_as_before() -> None:
    undefined = jinja2.StrictUndefined(name="missing")
    with pytest.raises(jinja2.UndefinedError):
        markupsafe.escape(undefined)
    with pytest.raises(jinja2.UndefinedError):
        _escape(undefined)


class _Shouting(CodeGenerator):
    """Another compiler: the template's text comes out in capitals."""

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return repr("".join(map(str, group)).upper())


@pytest.mark.parametrize("compiler_changes", [False, True])
def test_a_template_compiled_by_other_code_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             compiler_changes: bool) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/probe.html").write_text("<p>kept</p>\n", encoding="utf-8")
    compiled = tmp_path / "compiled"
    compiled.mkdir()
    monkeypatch.setattr(render._Environment, "code_generator_class", _Shouting)
    assert render._environment(tmp_path, compiled).get_template("probe.html").render() == "<P>KEPT</P>\n"
    monkeypatch.setattr(render._Environment, "code_generator_class", render._CodeGenerator)
    if compiler_changes:
        monkeypatch.setattr(render, "_COMPILER", "another version")
    again = render._environment(tmp_path, compiled).get_template("probe.html").render()
    # Unchanged, the kept compilation is used (so the test sees the cache at work).
    assert again == ("<p>kept</p>\n" if compiler_changes else "<P>KEPT</P>\n")


_CALLS = {
    "base.html": "<main>{% block body %}{% endblock %}</main>",
    "page.html": """{% extends "base.html" %}
{% macro box(title, tail='.') %}<div>{{ title }}{{ tail }}</div>{% endmacro %}
{% macro wrap(title) %}<div>{{ title }}{{ caller(plain('arg')) }}</div>{% endmacro %}
{% block body %}{% set inner = 'block var' %}
{{ plain('a') }} {{ plain('b', times=2) }} {{ plain(*pair) }} {{ plain(**named) }} {{ lam(3) }}
{{ seen('inner') }} {{ seen('outer') }} {{ 'up'.upper() }} {{ words.get('k') }} {{ dict(x=1)['x'] }}
{{ box('t') }} {{ box('u', tail=plain('!')) }} {% call(given) wrap('v') %}called {{ plain(given) }}{% endcall %}
{% for item in range(2) %}{% set local = item %}{{ plain(item) }}{{ seen('local') }}{{ loop.cycle('x', 'y') }}
{% endfor %}
{{ plain(plain('nested')) }} {{ ('x' ~ plain('y'))|upper }} {{ plain('<esc>') }}
{% endblock %}""",
    "broken.html": "{{ missing('x') }}",
}


def _call_environment(kind: type[jinja2.Environment]) -> jinja2.Environment:
    env = kind(loader=jinja2.DictLoader(_CALLS), autoescape=True, undefined=jinja2.StrictUndefined)

    def plain(value: object, times: int = 1) -> str:
        return f"[{value}]" * times

    @jinja2.pass_context
    def seen(context: jinja2.runtime.Context, name: str) -> object:
        return context.get(name, "-")

    env.globals.update(plain=plain, lam=lambda n: n * 2, seen=seen, pair=("p", 3), named={"value": "n"},
                       words={"k": "v"}, outer="global")
    return env


def test_templates_call_functions_as_jinja_does() -> None:
    """A plain helper is called at once (render._Context); every other call, and what it sees, is Jinja's."""
    ours, jinjas = _call_environment(render._Environment), _call_environment(jinja2.Environment)
    assert ours.get_template("page.html").render() == jinjas.get_template("page.html").render()
    assert "[a] [b][b] [p][p][p] [n] 6\nblock var global UP v 1" in ours.get_template("page.html").render()
    for env in (ours, jinjas):
        with pytest.raises(jinja2.UndefinedError, match="'missing' is undefined"):
            env.get_template("broken.html").render()
