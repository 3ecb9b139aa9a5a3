"""Screening against several sanctions lists, each in its versions: what was listed on a date.

A folder of lists (the course's ``sanctions/``, or one :func:`chaintrace.sanction_sources.fetch_list`
fills) holds each list's current file and, under ``archive/``, earlier versions named with
their date. :func:`load_lists` reads them all and groups them by list (OFAC SDN, EU, UK, NSDC)
and by publication date; :func:`screen` answers, for each address, on each list: was it
listed on the date asked, since when, and was it delisted, when.

OFAC, the EU and the UK end a listing by removing the entry: a delisting shows only as an
address present in one version and absent from the next, so the delisting date known is the
date of the first version without it (the removal happened on or before it). Ukraine's register
keeps the entry and marks its sanctions ended, with their end date.

A delisted address is not a clean address: transfers made while it was listed were made to a
listed address, and a screen reports it (``result`` ``"delisted"``) with both dates so the
date that matters, the date of the conduct, can be compared with them.

>>> lists = load_lists(paths.dataset_dir("course") / "sanctions")
>>> "OFAC SDN" in lists.names
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import paths
from .sanction_formats import READERS, list_format
from .sanctions import (
    ListVersion,
    SanctionEntry,
    SanctionsError,
    SanctionsList,
    _add_fetch_record,
    _addresses_from,
    _invalid_address,
    _load_file,
    read_for_screening,
)

SCREEN_COLUMNS = [
    "address", "result", "list", "list_version", "entity", "aliases", "programs", "listed",
    "delisted", "asset", "listed_as", "source", "list_sha256", "note",
]  # fmt: skip


@dataclass
class ListHistory:
    """The versions held of one list, oldest first (undated ones first of all)."""

    name: str
    versions: list[tuple[ListVersion, SanctionsList]] = field(default_factory=list)

    def in_force(self, on: str | None) -> tuple[ListVersion, SanctionsList] | None:
        """The version published last on or before ``on`` (the newest when ``on`` is None)."""
        held = [
            (v, s) for v, s in self.versions if on is None or v.issued is None or v.issued <= on
        ]
        return held[-1] if held else None


class SanctionLists:
    """Several lists, each with its versions. Build with :func:`load_lists`."""

    def __init__(self, histories: Iterable[ListHistory] = (), problems: Iterable[str] = ()):
        self.histories = {h.name: h for h in histories}
        self.problems = list(problems)

    @property
    def names(self) -> list[str]:
        """The lists held, sorted."""
        return sorted(self.histories)

    def versions(self) -> list[ListVersion]:
        """Every version held, list by list, oldest first."""
        return [v for name in self.names for v, _ in self.histories[name].versions]

    def __repr__(self) -> str:
        parts = [
            f"{name} ({len(h.versions)} version{'s' if len(h.versions) != 1 else ''})"
            for name, h in sorted(self.histories.items())
        ]
        return f"<SanctionLists: {', '.join(parts) or 'none'}>"

    def status(self, address: str, on: str | None = None) -> list[dict]:
        """One row per list that ever listed ``address``: its state on ``on`` (today's newest
        versions when None). ``result`` is ``listed``, ``delisted`` (listed before ``on``,
        not any more), or ``listed later`` (first listed after ``on``)."""
        rows = []
        for name in self.names:
            row = self._status_on_list(self.histories[name], address, on)
            if row:
                rows.append(row)
        return rows

    def _status_on_list(self, history: ListHistory, address: str, on: str | None) -> dict | None:
        seen = [(v, s.lookup(address)) for v, s in history.versions]  # indexed lookups
        holding = [(v, hits) for v, hits in seen if hits]
        if not holding:
            return None
        current = history.in_force(on)
        if current is None:  # every version held is newer than the date asked
            return _by_own_dates(history.name, address, holding[0], on)
        version, _ = current
        now = next((hits for v, hits in seen if v is version), [])
        if now:
            entry = _fullest(now)
            if entry.delisted and (on is None or entry.delisted <= on):
                return _row(address, "delisted", version, entry, entry.delisted,
                            f"{history.name} marks its sanctions ended on {entry.delisted}")  # fmt: skip
            note = (
                "" if entry.listed or version.issued is None else "listing date not in this format"
            )
            if entry.delisted:
                note = f"delisted later, on {entry.delisted}"
            if version.issued is None:
                note = "undated list: whether it was in force on the date asked cannot be told"
            return _row(address, "listed", version, entry, None, note)
        before = [
            (v, hits)
            for v, hits in holding
            if v.issued and version.issued and v.issued <= version.issued
        ]
        if not before:
            first, hits = holding[0]
            return _row(address, "listed later", version, hits[0], None,
                        f"first listed in the version issued {first.issued}")  # fmt: skip
        last, hits = before[-1]
        hits = [_fullest(hits)]
        after = [
            v for v, h in seen if v.issued and last.issued and v.issued > last.issued and not h
        ]
        removed = after[0].issued if after else version.issued
        return _row(address, "delisted", version, hits[0], removed,
                    f"in the version issued {last.issued}, absent from the one issued {removed}: "
                    "removed between those dates")  # fmt: skip

    def screen(self, addresses, on: str | None = None) -> pd.DataFrame:
        """Screen addresses on every list held: see :func:`screen`."""
        on = _as_day(on)
        rows = []
        for given in dict.fromkeys(_addresses_from(addresses)):
            text, cleaned, unreadable = read_for_screening(given)
            found = [] if unreadable else self.status(text, on)
            if not found and not unreadable:
                unreadable = _invalid_address(text)
            if unreadable:
                rows.append({"address": given, "result": "unreadable", "note": unreadable})
            for row in found:
                row["address"] = given
                row["note"] = "; ".join(n for n in (cleaned, row["note"]) if n) or None
                rows.append(row)
        frame = pd.DataFrame(rows, columns=SCREEN_COLUMNS)
        frame.attrs["versions"] = [self._used(n, on) for n in self.names]
        frame.attrs["on"] = on
        return frame

    def _used(self, name: str, on: str | None) -> str:
        history = self.histories[name]
        current = history.in_force(on)
        if current is not None:
            return f"{name}: {current[0]}"
        return f"{name}: {history.versions[0][0]} (newer than {on}: its entries' own dates used)"

    def report(self) -> str:
        """Each list, its versions and dates, and the problems met reading them."""
        lines = [repr(self)]
        for name in self.names:
            for version, read in self.histories[name].versions:
                lines.append(f"  {name}: {version}: {len(read)} address(es)")
        if self.problems:
            lines.append(f"  {len(self.problems)} problems (handled):")
            lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)


def _fullest(hits: list[SanctionEntry]) -> SanctionEntry:
    """Of one list's entries for an address (OFAC's XML and CSV of one day), the one that says
    most: with a listing date, then with most names."""
    return max(hits, key=lambda e: (e.listed is not None, len(e.aliases)))


def _by_own_dates(name: str, address: str, earliest, on: str) -> dict:
    """The state on ``on`` when every version held is newer: from the entry's own listing and
    delisting dates (a register such as Ukraine's keeps both)."""
    version, hits = earliest
    entry = _fullest(hits)
    why = f"no version of {name} held was published by {on}; read from the dates in the one issued {version.issued}"
    if entry.listed is None:
        why = f"{why}, which give no listing date: check an earlier version of {name}"
        return _row(address, "undetermined", version, entry, None, why)
    if entry.listed > on:
        return _row(address, "listed later", version, entry, None, why)
    if entry.delisted and entry.delisted <= on:
        return _row(address, "delisted", version, entry, entry.delisted, why)
    return _row(address, "listed", version, entry, None, why)


def _row(address: str, result: str, version: ListVersion, entry: SanctionEntry,
         delisted: str | None, note: str) -> dict:  # fmt: skip
    return {
        "address": address,
        "result": result,
        "list": version.list_name or entry.list_name or entry.source,
        "list_version": version.issued,
        "entity": entry.entity,
        "aliases": "; ".join(entry.aliases),
        "programs": ", ".join(entry.programs),
        "listed": entry.listed,
        "delisted": delisted,
        "asset": entry.asset,
        "listed_as": entry.address,
        "source": entry.source,
        "list_sha256": version.sha256,
        "note": note,
    }


def _as_day(on) -> str | None:
    if on is None:
        return None
    if isinstance(on, (dt.date, dt.datetime, pd.Timestamp)):
        return on.strftime("%Y-%m-%d")
    try:
        return dt.date.fromisoformat(str(on)[:10]).isoformat()
    except ValueError:
        raise SanctionsError(f"cannot read the date {on!r}: write it as YYYY-MM-DD") from None


def _read(path: Path, kind: str) -> SanctionsList:
    if kind not in READERS:
        return _load_file(path, None)  # OFAC's XML and the text lists, with their fetch record
    read = READERS[kind](path)
    _add_fetch_record(read, path)
    return read


def load_lists(path) -> SanctionLists:
    """Read every list file under ``path`` (a folder, searched with its subfolders, or one
    file), and group the files by list and version date.

    Files of one list with the same date (OFAC's XML and CSV of one day) form one version.
    A file that is no known list is skipped and named in ``problems``.
    """
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    else:
        raise FileNotFoundError(f"no sanctions lists at {path}; check the path.")
    grouped: dict[tuple[str, str | None], list[SanctionsList]] = {}
    problems = []
    kinds = {f: list_format(f) for f in files if not f.name.endswith(".source.json")}
    ofac_folders = {f.parent for f, k in kinds.items() if k in ("ofac-xml", "ofac-csv")}
    for file, kind in kinds.items():
        if kind in (None, "companion"):
            if kind is None:
                problems.append(f"{file.relative_to(path.parent)}: not a sanctions list; skipped")
            continue
        if kind == "text" and file.parent in ofac_folders:
            continue  # per-asset lists are extracts of OFAC's own files lying beside them
        read = _read(file, kind)
        problems.extend(read.problems)
        [version] = read.versions[:1] or [ListVersion(file.name, None, None)]
        list_name = version.list_name or (read.entries[0].list_name if read.entries else "")
        grouped.setdefault((list_name or "address lists", version.issued), []).append(read)
    if not grouped:
        raise SanctionsError(f"no sanctions list under {path}")
    histories: dict[str, ListHistory] = {}
    for (name, issued), reads in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        # the archive keeps a copy of the current file: one version, read once
        reads = list({r.versions[0].sha256 or id(r): r for r in reads}.values())
        merged = reads[0] if len(reads) == 1 else SanctionsList.merge(reads)
        sources = " + ".join(v.source for r in reads for v in r.versions)
        sha = "+".join(r.versions[0].sha256 or "-" for r in reads)  # one a file, as in sources
        version = ListVersion(sources, issued, sha, list_name=name)
        histories.setdefault(name, ListHistory(name)).versions.append((version, merged))
    return SanctionLists(histories.values(), problems)


def screen(addresses, lists=None, on=None) -> pd.DataFrame:
    """Screen addresses against several lists as they stood on a date.

    ``lists``: a folder or file of lists, or a :class:`SanctionLists`; by default the course
    dataset's ``sanctions/``. ``on``: the date that matters (``"YYYY-MM-DD"``, a date, or None
    for the newest versions held). One row per address and list that ever listed it, and one
    per address that could not be read (never reported clean); an empty table means every
    address was read and none is on any list held. Columns: ``address``, ``result``
    (``listed``, ``delisted``, ``listed later``, ``undetermined`` when no version held was
    published by ``on`` and the list gives no listing date, ``unreadable``), ``list``, ``list_version``
    (the date of the version in force on ``on``), ``entity`` (as the list writes it),
    ``aliases``, ``programs``, ``listed``, ``delisted``, ``asset``, ``listed_as``,
    ``source``, ``list_sha256``, ``note``. ``frame.attrs["versions"]`` names every version
    used.

    >>> lists = load_lists(paths.dataset_dir("course") / "sanctions")
    >>> kupolex = [e.address for e in lists.histories["OFAC SDN"].versions[-1][1] if e.asset == "XBT"][0]
    >>> hits = screen([kupolex, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"], lists, on="2024-03-15")
    >>> hits.loc[hits["list"] == "OFAC SDN", ["result", "entity", "listed"]].values.tolist()
    [['listed', 'KUPOLEX OU', '2024-03-10']]
    """
    if lists is None:
        lists = paths.dataset_dir("course") / "sanctions"
    if not isinstance(lists, SanctionLists):
        lists = load_lists(lists)
    return lists.screen(addresses, on=on)
