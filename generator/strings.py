"""The interface text of the theme, in the site's language.

All of it lives in the theme's strings.yaml (both scripts side by side); a
site's own templates/strings.yaml may replace any key. Loaded once per build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from .config import Config, decoded, file_bytes
from .errors import SourceError
from .themes import shown_path, template_dirs

Strings = dict[str, str]
STRINGS_FILE = "strings.yaml"  # in each folder of templates
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_strings(source: Path, config: Config, read: Callable[[Path], bytes | None] | None = None
                 ) -> tuple[Strings, list[SourceError]]:
    """`read`: how to get a file's bytes (None when there is no such file), if not file_bytes."""
    strings: Strings = {}
    errors: list[SourceError] = []
    for folder in reversed(template_dirs(source)):  # theme first, the site's keys win
        path = folder / STRINGS_FILE
        text = (read or file_bytes)(path)
        if text is None:
            continue
        try:
            data = yaml.load(decoded(text, "utf-8"), Loader=_LOADER) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            errors.append(SourceError(shown_path(path, source), (mark.line + 1) if mark else 1,
                                      f"cannot read the interface strings: {exc}",
                                      "fix the YAML (UTF-8, 'key: {zh-Hans: …, zh-Hant: …}')"))
            continue
        for key, value in data.items():
            text = value.get(config.language) if isinstance(value, dict) else value
            if isinstance(text, str):
                strings[str(key)] = text
    return strings, errors
