"""Search text: how text is normalised and cut into the units the index is made of.

The expected values here are written out by hand (or computed by the test's own
plain-Python FNV-1a), never taken from the module under test.
"""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.searchtext import BY_ARRAY, fold_table, normalise, units, word_id
from tests.conftest import REPO

TOP = 1 << 63


def fnv1a64(text: str) -> int:
    """64-bit FNV-1a, straight from the published algorithm (offset basis, prime)."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        value ^= byte
        value = (value * 0x100000001B3) % (1 << 64)
    return value


def ids(text: str) -> list[int]:
    return [int(i) for i in units(normalise(text)).ids]


# ---- normalisation ----

def test_full_width_letters_and_digits_become_ascii_lower_case() -> None:
    assert normalise("ＧＤＰ２０２６") == "gdp2026"
    assert normalise("ＰＭ２．５") == "pm2.5"


def test_latin_is_lower_cased() -> None:
    assert normalise("GDP Growth") == "gdp growth"


def test_traditional_characters_fold_to_simplified() -> None:
    assert normalise("農村辦公室") == "农村办公室"
    assert normalise("裡") == "里"
    assert normalise("鄉鎮衛生院") == "乡镇卫生院"


def test_a_long_text_folds_as_its_pieces_do() -> None:
    # A partition's text is normalised in one go, by another path than a short title's.
    piece = "農村辦公室ＧＤＰ２０２６鄉鎮衛生院𠮷環境監測站，Growth裡……３℃Ⅱ"
    text = piece * 40
    assert len(text) > BY_ARRAY
    assert normalise(text) == normalise(piece) * 40
    assert normalise(text).startswith("农村办公室gdp2026乡镇卫生院𠮷环境监测站,growth里......3°cii")
    # A lone surrogate passes through as it does in a short text.
    assert normalise(f"\ud800{piece}") == normalise("\ud800") + normalise(piece)


# Characters whose normal form depends on their neighbours, or is longer than one character:
# combining marks, Hangul jamo (conjoining and compatibility), kana voicing marks, final sigma.
TRICKY = ("农農ＡaZe\u0301\u0308\u0323\u0345ö\u1100\u1161\u11a8\u3131\u314f가각"
          "か\u3099\u309b…℃Ⅱ①ﬁﷺİΣσ𝚺𠮷，。 \0")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=TRICKY, min_size=BY_ARRAY, max_size=3 * BY_ARRAY))
def test_a_long_text_is_normalised_as_nfkc_lower_case_and_folded(text: str) -> None:
    assert normalise(text) == unicodedata.normalize("NFKC", text).lower().translate(fold_table())


def test_the_kept_fold_table_is_opencc_t2s_character_by_character(tmp_path: Path) -> None:
    """generator/fold.txt is what scripts/make-fold-table derives from the installed OpenCC now;
    after an OpenCC upgrade that changes it, run the script."""
    fresh = tmp_path / "fold.txt"
    subprocess.run([sys.executable, REPO / "scripts/make-fold-table", fresh], check=True, capture_output=True)
    assert fresh.read_bytes() == (REPO / "generator/fold.txt").read_bytes()
    assert fold_table()[ord("農")] == "农" and ord("农") not in fold_table()


def test_simplified_text_is_left_as_it_is() -> None:
    text = "农村办公室关于乡镇卫生院的报告"
    assert normalise(text) == text


def test_traditional_and_simplified_spellings_normalise_alike() -> None:
    assert normalise("環境監測站") == normalise("环境监测站")


# ---- units ----

def test_each_cjk_character_is_one_unit_with_its_code_point() -> None:
    found = units(normalise("农村发展"))
    assert [int(i) for i in found.ids] == [ord(c) for c in "农村发展"]
    assert found.starts.tolist() == [0, 1, 2, 3]
    assert found.words == ()


def test_kana_and_hangul_are_one_unit_per_character() -> None:
    assert ids("かな한글") == [ord(c) for c in "かな한글"]


def test_a_number_with_a_decimal_point_is_one_word() -> None:
    found = units(normalise("增长7.15%"))
    assert found.words == ("7.15",)
    assert ids("增长7.15%") == [ord("增"), ord("长"), word_id("7.15"), 0]


def test_letters_and_digits_with_a_dot_between_digits_are_one_word() -> None:
    assert units(normalise("PM2.5浓度")).words == ("pm2.5",)
    assert ids("PM2.5浓度") == [word_id("pm2.5"), ord("浓"), ord("度")]


def test_a_dot_not_between_digits_separates_words() -> None:
    assert units(normalise("a.b 3.")).words == ("a", "b", "3")
    assert ids("a.b 3.") == [word_id("a"), 0, word_id("b"), 0, word_id("3"), 0]


def test_a_run_of_punctuation_and_spaces_is_one_separator() -> None:
    assert ids("安全，。 生产") == [ord("安"), ord("全"), 0, ord("生"), ord("产")]
    assert ids("安全，生产") == ids("安全，。 生产")


def test_separator_runs_start_where_the_run_starts() -> None:
    found = units(normalise("安全，。生产"))
    assert found.starts.tolist() == [0, 1, 2, 4, 5]


def test_space_between_a_word_and_a_cjk_character_takes_no_position() -> None:
    assert ids("GDP 增长") == ids("GDP增长") == [word_id("gdp"), ord("增"), ord("长")]
    assert ids("增长 GDP") == ids("增长GDP") == [ord("增"), ord("长"), word_id("gdp")]
    assert ids("同比增长 7.15 个百分点") == ids("同比增长7.15个百分点")


def test_punctuation_between_a_word_and_a_cjk_character_takes_a_position() -> None:
    assert ids("GDP，增长") == [word_id("gdp"), 0, ord("增"), ord("长")]


def test_space_between_two_cjk_characters_takes_a_position() -> None:
    assert ids("安全 生产") == [ord("安"), ord("全"), 0, ord("生"), ord("产")]
    assert ids("安全 生产") != ids("安全生产")


def test_space_between_two_words_takes_a_position() -> None:
    assert ids("digital economy") == [word_id("digital"), 0, word_id("economy")]


def test_empty_text_has_no_units() -> None:
    found = units(normalise(""))
    assert len(found.ids) == 0 and found.words == ()


def test_traditional_and_simplified_texts_give_the_same_units() -> None:
    assert ids("本季度農村發展穩步推進") == ids("本季度农村发展稳步推进")


# ---- word ids ----

@pytest.mark.parametrize(("text", "expected"), [
    ("a", 0xAF63DC4C8601EC8C),  # test vectors of the FNV reference
    ("foobar", 0x85944171F73967E8),
])
def test_fnv_reference_vectors(text: str, expected: int) -> None:
    assert fnv1a64(text) == expected  # the test's own FNV is right
    assert word_id(text) == expected | TOP


def test_word_id_is_fnv1a_with_the_top_bit_set() -> None:
    # A word whose plain FNV-1a has the top bit clear: the id must differ from it by exactly that bit.
    word = next(w for w in (f"w{n}" for n in range(1000)) if fnv1a64(w) < TOP)
    assert word_id(word) == fnv1a64(word) | TOP
    assert word_id(word) != fnv1a64(word)
    assert word_id("gdp") == fnv1a64("gdp") | TOP


def test_word_ids_never_collide_with_cjk_code_points_or_separators() -> None:
    for word in ("gdp", "7.15", "pm2.5", "2026"):
        assert word_id(word) >= TOP
    assert ids("GDP 2026年") == [fnv1a64("gdp") | TOP, 0, fnv1a64("2026") | TOP, ord("年")]
