"""render._escape, the escape of what templates write out, against markupsafe's own."""

from __future__ import annotations

import jinja2
import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st

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
