"""What an information office reports on (信息报送采用情况), counted from the published entries.

`Site` holds only what is published for the build's audience, so an entry
that is a draft, embargoed, expired or above the audience is never counted.
Every count dates an entry by its own `date` (when the unit reported it), so
in any year a unit's adoptions are a part of its reports and the two can be
compared. An entry is adopted by a publication when it is an item of one of
its issues.
"""

from __future__ import annotations

import csv
import functools
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from .entry import Entry
from .model import Site
from .pages import Crumb, Page

MONTHS = tuple(range(1, 13))
TABLES = ("reports", "adoptions", "units", "types")  # the keys of a year's tables, in their order
CSV_BOM = "\ufeff"  # without it Excel reads UTF-8 as the local code page and garbles Chinese


class Label(NamedTuple):
    """A row or column name: `value` as it is, or shown through a key of strings.yaml."""

    value: str | int
    ui: str | None = None  # e.g. "stats_month" -> "{value}月"


TOTAL = Label("", "stats_total")


@dataclass(frozen=True)
class Table:
    """Counts in rows and columns, as the page's table, chart and CSV file show them."""

    key: str  # names the CSV file and the ids on the page
    title: str  # key of strings.yaml
    corner: Label  # what the rows are
    rows: tuple[Label, ...]
    columns: tuple[Label, ...]
    values: tuple[tuple[int, ...], ...]  # one number per column, for each row
    # How the chart draws each number: "bars" (across) or "columns" (upright), grouped by row,
    # or "grid", a shaded cell in rows and columns as in the table.
    chart: str = "bars"
    row_totals: bool = True  # False when the columns count different things

    @property
    def header(self) -> tuple[Label, ...]:
        return (self.corner, *self.columns, *((TOTAL,) if self.row_totals else ()))

    @property
    def body(self) -> tuple[tuple[Label, tuple[int, ...]], ...]:
        return tuple((row, (*numbers, *((sum(numbers),) if self.row_totals else ())))
                     for row, numbers in zip(self.rows, self.values, strict=True))

    @property
    def footer(self) -> tuple[int, ...]:
        body = self.body
        return tuple(sum(numbers[column] for _, numbers in body) for column in range(len(self.header) - 1))


@dataclass(frozen=True)
class YearStats:
    year: int
    entries: int  # published entries dated in the year
    reported: int  # of them, those naming a source unit
    adopted: int  # of them, those in an issue
    units: int  # source units that reported
    tables: tuple[Table, ...]


def years(site: Site) -> tuple[int, ...]:
    """Years with published entries, newest first."""
    return tuple(sorted({entry.date.year for entry in site.entries}, reverse=True))


def year_stats(site: Site, year: int) -> YearStats:
    entries = [e for e in site.entries if e.date.year == year]
    reported = [e for e in entries if e.source]
    units = _units(site, reported)
    return YearStats(
        year=year, entries=len(entries), reported=len(reported),
        adopted=sum(1 for e in entries if e.path in site.issue_of),
        units=len({site.unit(e) for e in reported}),
        tables=(_reports_by_unit(site, reported, units), _adoptions_by_month(site, entries),
                _adoptions_by_unit(site, reported, units), _entries_by_type(site, entries)))


def stats_pages(site: Site) -> Iterator[Page]:
    """/stats/ shows the latest year; /stats/<year>/ each year, with one CSV file per table.
    A year's figures are counted when one of its pages is first fingerprinted or made."""
    shown = years(site) or (site.now.year,)
    section = Crumb("stats", "stats/", "ui")
    for year in shown:
        data = functools.cache(functools.partial(year_stats, site, year))
        crumbs = (section, Crumb(str(year), f"stats/{year}/", "year"))
        if year == shown[0]:
            yield Page("stats/index.html", "stats.html", functools.partial(_year_context, data, shown, (section,)),
                       sitemap=True)
        yield Page(f"stats/{year}/index.html", "stats.html", functools.partial(_year_context, data, shown, crumbs),
                   sitemap=True)
        for number, key in enumerate(TABLES):
            yield Page(csv_path(year, key), "stats.csv", functools.partial(_table_context, data, number))


def _year_context(data: Callable[[], YearStats], shown: tuple[int, ...], crumbs: tuple[Crumb, ...]
                  ) -> dict[str, Any]:
    return {"stats": data(), "years": shown, "crumbs": crumbs}


def _table_context(data: Callable[[], YearStats], number: int) -> dict[str, Any]:
    return {"table": data().tables[number]}


def csv_path(year: int, key: str) -> str:
    return f"stats/{year}/{key}.csv"


def csv_text(table: Table, name: Callable[[Label], str]) -> str:
    """The table as Excel opens it: a BOM, then RFC 4180 rows ending in CRLF."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(name(label) for label in table.header)
    for label, numbers in table.body:
        writer.writerow([name(label), *numbers])
    writer.writerow([name(TOTAL), *table.footer])
    return CSV_BOM + out.getvalue()


def _units(site: Site, reported: Iterable[Entry]) -> list[str]:
    """Units by number of reports; a closed list in bulletin.yaml keeps silent units in view."""
    counts = Counter(site.unit(e) for e in reported)
    names = set(counts) | set(site.config.sources or ())
    return sorted((n for n in names if n), key=lambda n: (-counts[n], n))


def _reports_by_unit(site: Site, reported: list[Entry], units: list[str]) -> Table:
    counts = Counter((site.unit(e), e.date.month) for e in reported)
    return Table("reports", "stats_reports", Label("", "source"), tuple(Label(u) for u in units),
                 tuple(Label(m, "stats_month") for m in MONTHS),
                 tuple(tuple(counts[(u, m)] for m in MONTHS) for u in units), chart="grid")


def _adoptions_by_month(site: Site, entries: list[Entry]) -> Table:
    publications = list(site.config.publications.values())
    counts = Counter((e.publication, e.date.month) for e in entries if e.path in site.issue_of)
    return Table("adoptions", "stats_adoptions", Label("", "stats_month_header"),
                 tuple(Label(m, "stats_month") for m in MONTHS),
                 tuple(Label(p.name, "stats_publication") for p in publications),
                 tuple(tuple(counts[(p.key, m)] for p in publications) for m in MONTHS), chart="columns")


def _adoptions_by_unit(site: Site, reported: list[Entry], units: list[str]) -> Table:
    publications = list(site.config.publications.values())
    sent = Counter(site.unit(e) for e in reported)
    taken = Counter((site.unit(e), e.publication) for e in reported if e.path in site.issue_of)
    return Table("units", "stats_units", Label("", "source"), tuple(Label(u) for u in units),
                 (Label("", "stats_reported"), *(Label(p.name, "stats_adopted_by") for p in publications)),
                 tuple((sent[u], *(taken[(u, p.key)] for p in publications)) for u in units),
                 row_totals=False)


def _entries_by_type(site: Site, entries: list[Entry]) -> Table:
    counts = Counter(e.type for e in entries)
    types = site.config.types
    return Table("types", "stats_types", Label("", "type"), tuple(Label(name) for name in types.values()),
                 (Label("", "stats_count"),), tuple((counts[key],) for key in types), row_totals=False)
