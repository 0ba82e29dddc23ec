"""The shortcuts around Jinja and Python-Markdown (render._Environment, its _Context and _Template,
pymarkdown._QuickInline and _QuickToc) change no byte of the sample bulletin: built with the libraries' own
code paths instead, it comes out the same. A release of either library that changed what the
shortcuts rely on would show here."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
from markdown.extensions.toc import TocTreeprocessor
from markdown.treeprocessors import InlineProcessor

from generator import pymarkdown, render
from generator.build import BuildOptions, build
from generator.entry import parse_date
from tests.conftest import REPO, SAMPLE_NOW, tree_bytes


def test_the_sample_built_with_the_libraries_own_code_is_the_same(sample_output: Path, tmp_path: Path,
                                                                   monkeypatch) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "bulletin.yaml", site / "bulletin.yaml")
    monkeypatch.setattr(render, "_Environment", jinja2.Environment)
    monkeypatch.setattr(pymarkdown, "_QuickInline", InlineProcessor)
    monkeypatch.setattr(pymarkdown, "_QuickToc", TocTreeprocessor)
    build(BuildOptions(site, site / "output", now=parse_date(SAMPLE_NOW)))
    assert tree_bytes(site / "output") == tree_bytes(sample_output)
