"""Where templates come from: the site's own templates/ first, then the default theme."""

from __future__ import annotations

import hashlib
from pathlib import Path


def theme_dir() -> Path:
    """The default theme: inside the installed package, else the repository's templates/."""
    packaged = Path(__file__).parent / "theme"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"


def template_dirs(source: Path) -> list[Path]:
    own = source / "templates"
    theme = theme_dir()
    return [own, theme] if own.is_dir() and own.resolve() != theme.resolve() else [theme]


def shown_path(path: Path, source: Path) -> str:
    """A template's path as error messages show it."""
    try:
        return path.resolve().relative_to(source.resolve()).as_posix()
    except ValueError:
        return f"(default theme)/{path.resolve().relative_to(theme_dir().resolve()).as_posix()}"


def templates_digest(source: Path) -> str:
    """Changes whenever any template, string or static file of the site or theme does."""
    digest = hashlib.sha256()
    for folder in template_dirs(source):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
