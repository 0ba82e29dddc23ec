"""Pagination: which page numbers a list offers."""

import pytest

from generator.pages import Pager


@pytest.mark.parametrize(("number", "total", "shown"), [
    (1, 1, [1]),
    (1, 4, [1, 2, 3, 4]),
    (3, 6, [1, 2, 3, 4, 5, 6]),
    (4, 300, [1, 2, 3, 4, 5, 6, None, 300]),
    (150, 300, [1, None, 148, 149, 150, 151, 152, None, 300]),
    (300, 300, [1, None, 298, 299, 300]),
])
def test_the_first_the_last_and_two_either_side(number: int, total: int, shown: list[int | None]) -> None:
    assert Pager(number, total, "info/", ()).window == shown
