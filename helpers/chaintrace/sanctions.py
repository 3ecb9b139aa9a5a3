"""Sanctions lists of digital-currency addresses, and screening against them.

Two public formats are read:

* the per-asset text lists ``sanctioned_addresses_<ASSET>.txt`` (one address a line; assets
  such as XBT, ETH, USDT, TRX, LTC, XMR) that open-source tools extract from OFAC's list;
* OFAC's ``sdn_advanced.xml`` itself, where each address is a ``Digital Currency Address -
  <ASSET>`` feature of a sanctioned party, with the party's names, its programs (``CYBER2``,
  ``RUSSIA-EO14024``...) and its listing date. It is parsed as a stream, so the 100+ MB real
  file never sits in memory.

Real lists have quirks (an address under the wrong asset, duplicates, EVM addresses in lower
case, stray whitespace): they are handled, and written down in ``sanctions.problems``. Names
are shown as the list writes them ("PETROV, Ivan"), aliases too, a name in another script
marked with it. Screening never calls text it could not read clean (see
:meth:`SanctionsList.screen`), and each hit says which list file, issue date and SHA-256 it
came from. :func:`fetch_sanctions` (``chaintrace fetch-sanctions``) gets OFAC's current list.
Formats: https://ofac.treasury.gov/sdn-list-data-formats-data-schemas

>>> sanctions = SanctionsList.from_lines('''12higDjoCCNXSA95xZMWUdPvXNmkAduhWv
... 1FfmbHfnpaZjKFvyi1okTjJJusN455paPH
... 12higDjoCCNXSA95xZMWUdPvXNmkAduhWv
... ''', asset="XBT")
>>> "1FfmbHfnpaZjKFvyi1okTjJJusN455paPH" in sanctions, len(sanctions)
(True, 2)
>>> sanctions.problems
['<lines>: line 3 repeats line 1 (12higDjoCCNXSA95xZMWUdPvXNmkAduhWv); counted once']
>>> sanctions.screen(["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "12higDjoCCNXSA95xZMWUdPvXNmkAduhWv"])[
...     ["address", "asset", "source"]]
                              address asset   source
0  12higDjoCCNXSA95xZMWUdPvXNmkAduhWv   XBT  <lines>
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from chaintrace.tags import _address_parser, address_key

from .errors import ChaintraceError

FEATURE_PREFIX = "Digital Currency Address - "
OFAC_LIST = "OFAC SDN"  # the list_name of entries read from OFAC's files
LIST_NAME = re.compile(r"^sanctioned_addresses_([A-Za-z0-9]+)\.(txt|json)$")


class SanctionsError(ChaintraceError, ValueError):
    """A sanctions list that cannot be read; the message says which file and what to do."""


@dataclass(frozen=True)
class SanctionEntry:
    """One listed address: who it belongs to, under which programs, since when, from where.

    ``list_name`` says whose list it is (``"OFAC SDN"``, ``"EU"``, ``"UK"``, ``"NSDC"``; empty for
    a bare address list); ``delisted`` is the date a list marks the listing as ended (Ukraine's
    register does; OFAC, the EU and the UK simply drop the entry, which only a comparison of two
    versions shows: see :mod:`chaintrace.screening`).
    """

    address: str
    asset: str
    entity: str | None = None
    aliases: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    listed: str | None = None
    source: str = ""
    party_id: str | None = None
    list_name: str = ""
    delisted: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ListVersion:
    """Which version of a list file was read: its issue date (OFAC's ``DateOfIssue``; text
    lists state none) and the SHA-256 of its bytes, so a screen can say what it used and be
    repeated on the same file; ``url`` and ``fetched`` when :func:`fetch_sanctions` got it.

    >>> print(ListVersion("sdn_advanced.xml", "2024-05-31", "ab" * 32))
    sdn_advanced.xml, issued 2024-05-31, sha256 abababababababababababababababababababababababababababababababab
    """

    source: str
    issued: str | None
    sha256: str | None
    url: str | None = None
    fetched: str | None = None
    list_name: str | None = None

    def __str__(self) -> str:
        text = f"{self.source}, " + (f"issued {self.issued}" if self.issued else "no issue date")
        if self.fetched:
            text += f", fetched {self.fetched} from {self.url}"
        return text + (f", sha256 {self.sha256}" if self.sha256 else "")


class _HashingReader:
    """A binary file wrapper that hashes what is read through it (the XML is streamed once)."""

    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


# --- recognising address families, to catch an address listed under the wrong asset --------
_FAMILIES = [
    ("EVM", re.compile(r"^0x[0-9a-fA-F]{40}$")),
    ("Bitcoin", re.compile(r"^(bc1[02-9ac-hj-np-z]{8,87}|BC1[02-9AC-HJ-NP-Z]{8,87})$")),
    ("Bitcoin", re.compile(r"^[13][1-9A-HJ-NP-Za-km-z]{25,34}$")),
    ("Litecoin", re.compile(r"^(ltc1[02-9ac-hj-np-z]{8,87}|[LM][1-9A-HJ-NP-Za-km-z]{26,33})$")),
    ("TRON", re.compile(r"^T[1-9A-HJ-NP-Za-km-z]{33}$")),
    ("Monero", re.compile(r"^[48][1-9A-HJ-NP-Za-km-z]{94}([1-9A-HJ-NP-Za-km-z]{11})?$")),
    ("Zcash", re.compile(r"^(t1|t3)[1-9A-HJ-NP-Za-km-z]{33}$|^zs1[02-9ac-hj-np-z]{75}$")),
    ("Dash", re.compile(r"^X[1-9A-HJ-NP-Za-km-z]{33}$")),
    ("Bitcoin Cash", re.compile(r"^(bitcoincash:)?[qp][02-9ac-hj-np-z]{41}$")),
    ("XRP", re.compile(r"^r[1-9A-HJ-NP-Za-km-z]{24,34}$")),
]
# families an address of each asset may belong to; assets missing here are not checked
_ASSET_FAMILIES = {
    "XBT": {"Bitcoin"},
    "BTC": {"Bitcoin"},
    "ETH": {"EVM"},
    "ETC": {"EVM"},
    "BSC": {"EVM"},
    "ARB": {"EVM"},
    "USDC": {"EVM"},
    "USDT": {"EVM", "TRON", "Bitcoin"},  # ERC-20, TRC-20, and Omni on Bitcoin
    "TRX": {"TRON"},
    "LTC": {"Litecoin", "Bitcoin"},  # old Litecoin P2SH addresses start with 3
    "XMR": {"Monero"},
    "ZEC": {"Zcash"},
    "DASH": {"Dash"},
    "BCH": {"Bitcoin Cash", "Bitcoin"},
    "BSV": {"Bitcoin"},
    "BTG": {"Bitcoin"},
    "XRP": {"XRP"},
}


def address_family(address: str) -> str | None:
    """The address family a string looks like (by format only, no checksum), or None.

    >>> address_family("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    'Bitcoin'
    >>> address_family("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
    'EVM'
    """
    for family, pattern in _FAMILIES:
        if pattern.match(address):
            return family
    return None


def _wrong_asset(address: str, asset: str) -> str | None:
    allowed = _ASSET_FAMILIES.get(asset)
    family = address_family(address)
    if allowed is None or family is None or family in allowed:
        return None
    return family


class SanctionsList:
    """Listed addresses with lookups and screening. Build with :func:`load_sanctions`,
    :meth:`from_lines` or :meth:`from_xml`.

    ``len()`` counts distinct addresses; iterating yields every :class:`SanctionEntry` (an
    address listed for two parties or two assets has two entries). EVM and bech32 addresses
    match in any letter case, Base58 ones exactly.
    """

    def __init__(
        self, entries: Iterable[SanctionEntry] = (), problems=(), sources=(), issued=None,
        versions: Iterable[ListVersion] = (),
    ):  # fmt: skip
        self.entries: list[SanctionEntry] = []
        self.issued: str | None = issued  # the XML's DateOfIssue (YYYY-MM-DD), when known
        self.problems: list[str] = list(problems)
        self.sources: list[str] = list(sources)
        self.versions: list[ListVersion] = list(versions)  # one per file read, in order
        self._index: dict[str, list[SanctionEntry]] = {}
        for entry in entries:
            self._add(entry)

    def _add(self, entry: SanctionEntry) -> None:
        self.entries.append(entry)
        self._index.setdefault(address_key(entry.address), []).append(entry)

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_lines(cls, lines, asset: str, source: str = "<lines>") -> SanctionsList:
        """Read one per-asset text list (a string or an iterable of lines).

        Blank lines and ``#`` comments are skipped; whitespace is trimmed; repeats count once;
        each of these, and addresses that look like another asset's, is listed in ``problems``.

        >>> s = SanctionsList.from_lines(["0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED",
        ...                               "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"], "ETH")
        >>> "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" in s
        True
        >>> print(s.problems[0])
        <lines>: line 2 lists bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 under ETH but it looks like a Bitcoin address; kept it (it is screened whatever its asset)
        """
        if isinstance(lines, str):
            lines = lines.splitlines()
        entries, problems = _parse_lines(lines, asset.upper(), source)
        return cls(entries, problems, [source], versions=[ListVersion(source, None, None)])

    @classmethod
    def from_xml(cls, file, source: str | None = None) -> SanctionsList:
        """Stream-parse OFAC's ``sdn_advanced.xml`` (a path or a binary file object)."""
        if source is None and isinstance(file, (str, Path)):
            source = Path(file).name
        name = source or Path(getattr(file, "name", "sdn_advanced.xml")).name
        if isinstance(file, (str, Path)):
            with open(file, "rb") as handle:
                return cls.from_xml(handle, name)
        reader = _HashingReader(file)
        entries, problems, issued = _parse_sdn_xml(reader, name)
        version = ListVersion(name, issued, reader.digest.hexdigest(), list_name=OFAC_LIST)
        return cls(entries, problems, [name], issued, [version])

    @classmethod
    def merge(cls, lists: Iterable[SanctionsList]) -> SanctionsList:
        """Combine lists. Text lists are usually extracted from the XML: an address already
        known for the same asset is not repeated, and an address the text lists have but the
        XML lacks is reported (the two were probably published on different dates)."""
        lists = list(lists)
        issued = sorted(one.issued for one in lists if one.issued)
        merged = cls(
            sources=[s for one in lists for s in one.sources],
            issued=(issued or [None])[-1],
            versions=[v for one in lists for v in one.versions],
        )
        has_xml = any(e.party_id is not None for one in lists for e in one.entries)
        for one in sorted(lists, key=lambda s: not any(e.party_id for e in s.entries)):
            merged.problems.extend(one.problems)
            for entry in one.entries:
                known = merged._index.get(address_key(entry.address), [])
                if entry.party_id is None and any(k.asset == entry.asset for k in known):
                    continue
                if has_xml and entry.party_id is None and not known:
                    merged.problems.append(
                        f"{entry.source}: {entry.address} is not in the XML list; the files "
                        "may be from different dates (kept it, without entity or program)"
                    )
                merged._add(entry)
        return merged

    # container protocol ---------------------------------------------------------------------
    def __contains__(self, address) -> bool:
        return isinstance(address, str) and address_key(address) in self._index

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self) -> Iterator[SanctionEntry]:
        return iter(self.entries)

    def __repr__(self) -> str:
        return (
            f"<SanctionsList: {_count(len(self), 'address', 'addresses')}, assets "
            f"{', '.join(self.assets) or '-'}, {_count(len(self.problems), 'problem')}>"
        )

    @property
    def assets(self) -> list[str]:
        """The asset codes present, sorted (e.g. ``['ETH', 'USDT', 'XBT']``)."""
        return sorted({e.asset for e in self.entries})

    # lookups --------------------------------------------------------------------------------
    def lookup(self, address: str) -> list[SanctionEntry]:
        """Every entry listing ``address`` (empty when it is not listed).

        >>> s = SanctionsList.from_lines(["0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"], "ETH")
        >>> [(e.address, e.asset) for e in s.lookup("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
        [('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', 'ETH')]
        >>> s.lookup("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
        []
        """
        if not isinstance(address, str):
            return []
        return list(self._index.get(address_key(address), ()))

    def screen(self, addresses) -> pd.DataFrame:
        """Screen addresses: one row per hit, and one per address that could not be read.

        ``addresses`` is any iterable of address strings, one string, a pandas Series, a
        DataFrame with an ``address`` column (or ``from``/``to`` columns, as in account
        transfers), or an object with a ``.frame()`` method returning such a DataFrame (a
        trace). Empty and missing values are skipped.

        Text pasted from web pages, PDFs and chats carries characters no address has. What is
        safe is cleaned before matching: blanks and invisible characters (zero-width space,
        direction marks) are removed, full-width letters and digits read as ASCII; the
        ``note`` column says what was done. Anything else (a Cyrillic or Greek look-alike
        letter, a Bitcoin, Ethereum or TRON address whose checksum fails) gives a row with
        ``result`` ``"unreadable"``: such input is never reported as clean, because the text
        may stand for a listed address. An empty table means every address was read and none
        is listed.

        Columns: ``address`` (as given), ``result`` (``match`` or ``unreadable``),
        ``listed_as`` (as listed), ``entity`` (the name as the list writes it), ``aliases``,
        ``asset``, ``programs``, ``listed`` (listing date), ``source`` (the list file),
        ``list_issued`` and ``list_sha256`` (which version of that file), ``note``.

        >>> import pandas as pd
        >>> s = SanctionsList.from_lines(["TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"], "USDT")
        >>> trace = pd.DataFrame({"address": ["TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "Tnone"]})
        >>> s.screen(trace)[["address", "result", "asset"]].to_dict("records")
        [{'address': 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 'result': 'match', 'asset': 'USDT'}]
        >>> pasted = ["TR7NHqje\\u200bKQxGTCi8q8ZY4pL8otSzgjLj6t", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6\\u0442"]
        >>> for row in s.screen(pasted).itertuples():
        ...     print(row.result, "|", row.note)
        match | removed ZERO WIDTH SPACE (U+200B) at position 9
        unreadable | character 34 is 'т' (CYRILLIC SMALL LETTER TE (U+0442)), which no address contains: it may look like a Latin letter or digit but is another character. Copy the address again from the original source, or retype that character.
        """
        rows = []
        for given in dict.fromkeys(_addresses_from(addresses)):
            text, note, unreadable = read_for_screening(given)
            hits = [] if unreadable else self.lookup(text)
            if not hits and not unreadable:
                unreadable = _invalid_address(text)
            if unreadable:
                rows.append({"address": given, "result": "unreadable", "note": unreadable})
            for e in hits:
                version = self._version_of(e.source)
                rows.append(
                    {
                        "address": given,
                        "result": "match",
                        "listed_as": e.address,
                        "entity": e.entity,
                        "aliases": "; ".join(e.aliases),
                        "asset": e.asset,
                        "programs": ", ".join(e.programs),
                        "listed": e.listed,
                        "source": e.source,
                        "list_issued": version.issued if version else None,
                        "list_sha256": version.sha256 if version else None,
                        "note": note or None,
                    }
                )
        return pd.DataFrame(rows, columns=_SCREEN_COLUMNS)

    def _version_of(self, source: str) -> ListVersion | None:
        return next((v for v in self.versions if v.source == source), None)

    def frame(self) -> pd.DataFrame:
        """Every entry as a row (aliases joined by '; ', programs by ', ').

        >>> SanctionsList.from_lines(["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"], "XBT").frame()[
        ...     ["address", "asset"]]
                              address asset
        0  1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2   XBT
        """
        rows = []
        for e in self.entries:
            row = e.as_dict()
            row["aliases"] = "; ".join(e.aliases)
            row["programs"] = ", ".join(e.programs)
            rows.append(row)
        return pd.DataFrame(rows, columns=_FRAME_COLUMNS)

    def report(self) -> str:
        """What was loaded, per asset, and every problem met on the way, in plain words.

        >>> print(SanctionsList.from_lines(["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", " "], "XBT",
        ...                                "sanctioned_addresses_XBT.txt").report())
        <SanctionsList: 1 address, assets XBT, 0 problems>
          sources: sanctioned_addresses_XBT.txt
            XBT: 1 address
          no problems found
        """
        lines = [repr(self), f"  sources: {', '.join(self.sources) or '-'}"]
        if self.issued:
            lines.append(f"  list issued {self.issued}")
        lines.extend(f"  read {v}" for v in self.versions if v.sha256)
        for asset in self.assets:
            n = len({address_key(e.address) for e in self.entries if e.asset == asset})
            lines.append(f"  {asset:>5}: {_count(n, 'address', 'addresses')}")
        if self.problems:
            lines.append(f"  {len(self.problems)} problems (handled):")
            lines.extend(f"  - {p}" for p in self.problems)
        else:
            lines.append("  no problems found")
        return "\n".join(lines)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


_SCREEN_COLUMNS = [
    "address", "result", "listed_as", "entity", "aliases", "asset", "programs", "listed", "source",
    "list_issued", "list_sha256", "note",
]  # fmt: skip
_FRAME_COLUMNS = [
    "address", "asset", "entity", "aliases", "programs", "listed", "source", "party_id",
]  # fmt: skip


_PARTY_COLUMNS = ("from", "to", "from_address", "to_address")


def _addresses_from(addresses) -> Iterator[str]:
    if isinstance(addresses, str):
        addresses = [addresses]
    elif not isinstance(addresses, (pd.DataFrame, pd.Series)) and callable(
        getattr(addresses, "frame", None)
    ):
        addresses = addresses.frame()
    if isinstance(addresses, pd.DataFrame):
        columns = ["address"] if "address" in addresses.columns else []
        columns = columns or [c for c in _PARTY_COLUMNS if c in addresses.columns]
        if not columns:
            raise SanctionsError(
                f"cannot screen a table with columns {list(addresses.columns)}: it needs an "
                "'address' column (or 'from'/'to', as in transfers, or 'from_address'/"
                "'to_address', as in a trace); rename the column or pass df['<column>']."
            )
        table = addresses
        addresses = (a for c in columns for a in table[c])
    for value in addresses:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        if not isinstance(value, str):
            raise SanctionsError(
                f"cannot screen {value!r} ({type(value).__name__}): pass address strings"
            )
        # a trace joins the several addresses of one hop with ", "
        yield from (part.strip() for part in value.split(",") if part.strip())


# --- reading what is screened ------------------------------------------------------------------
# The Halfwidth and Fullwidth Forms block holds ASCII's printable characters at U+FF01-U+FF5E
# (East Asian input methods type them); NFKC maps exactly those back. Nothing else is mapped:
# a Cyrillic 'а' looks like a Latin 'a' but is another letter, so guessing would be unsafe.
_FULL_WIDTH = ("\uff01", "\uff5e")


def read_for_screening(text: str) -> tuple[str, str, str]:
    """``(address, what was cleaned, why it cannot be read)`` for text to screen.

    Blanks and invisible format characters (zero-width space, word joiner, direction marks,
    byte-order mark, soft hyphen) are removed and full-width characters read as ASCII:
    neither changes which address is meant. A character outside ASCII that is left (a
    look-alike letter from another script) makes the text unreadable: the third item says
    which character it is and what to do, and is empty when the text could be read.

    >>> read_for_screening("\uff11BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 ")
    ('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'read full-width character at position 1 as ASCII; removed SPACE (U+0020) at position 35', '')
    >>> read_for_screening("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    ('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', '', '')
    """
    kept, widened, removed, foreign = [], [], [], []
    for position, char in enumerate(text, start=1):
        if char.isspace() or unicodedata.category(char) == "Cf":
            removed.append(f"{_char_name(char)} at position {position}")
        elif _FULL_WIDTH[0] <= char <= _FULL_WIDTH[1]:
            kept.append(unicodedata.normalize("NFKC", char))
            widened.append(str(position))
        else:
            kept.append(char)
            if not (char.isascii() and char.isprintable()):
                foreign.append((position, char))
    notes = []
    if widened:
        plural = "s" if len(widened) > 1 else ""
        notes.append(
            f"read full-width character{plural} at position{plural} {', '.join(widened)} as ASCII"
        )
    if removed:
        notes.append("removed " + ", ".join(removed))
    address = "".join(kept)
    if foreign:
        position, char = foreign[0]
        why = (
            f"character {position} is {char!r} ({_char_name(char)}), which no address contains: "
            "it may look like a Latin letter or digit but is another character. Copy the "
            "address again from the original source, or retype that character."
        )
    elif not address:
        why = "holds only blank or invisible characters; paste the address itself."
    else:
        why = ""
    return address, "; ".join(notes), why


def _char_name(char: str) -> str:
    return f"{unicodedata.name(char, 'unnamed character')} (U+{ord(char):04X})"


def _invalid_address(text: str) -> str:
    """Why ``text``, of a family chaintrace can check, is no valid address ('' if it is, or
    if its family cannot be checked): a typo in a listed address must not screen clean."""
    parser = _address_parser()
    if parser is None or address_family(text) not in ("EVM", "Bitcoin", "TRON"):
        return ""
    parse_address, address_error = parser
    try:
        parse_address(text)
    except address_error as exc:
        return f"not a valid address, so it cannot be screened: {exc}"
    return ""


# --- text lists --------------------------------------------------------------------------------
def _parse_lines(lines, asset: str, source: str) -> tuple[list[SanctionEntry], list[str]]:
    entries, problems = [], []
    blank, comments, trimmed, lowercase_evm = [], [], [], 0
    seen: dict[str, tuple[int, str]] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        text = line.split("#", 1)[0].strip()
        if not text:
            (comments if "#" in line else blank).append(lineno)
            continue
        if text != line:
            trimmed.append(lineno)
        words = text.split()
        if len(words) > 1:
            problems.append(
                f"{source}: line {lineno} holds {len(words)} words ({text!r}); one address a "
                f"line is expected, so only {words[0]!r} was taken"
            )
        address = words[0]
        key = address_key(address)
        if key in seen:
            first, as_listed = seen[key]
            if as_listed == address:
                said = f"line {lineno} repeats line {first} ({address})"
            else:
                said = f"line {lineno} ({address}) repeats line {first} ({as_listed}) in other letter case"
            problems.append(f"{source}: {said}; counted once")
            continue
        seen[key] = (lineno, address)
        if address.startswith("0x") and address == address.lower() and address_family(address):
            lowercase_evm += 1
        _note_wrong_asset(address, asset, f"{source}: line {lineno}", problems)
        entries.append(SanctionEntry(address=address, asset=asset, source=source))
    # blank lines after the last address are how files end; report only those before it
    last = max((n for n, _ in seen.values()), default=0)
    blank = [n for n in blank if n < last]
    _note_lines(problems, source, blank, "blank line", "skipped")
    _note_lines(problems, source, comments, "comment line", "skipped")
    _note_lines(problems, source, trimmed, "line", "had spaces or tabs around the address, trimmed")
    if lowercase_evm:
        problems.append(
            f"{source}: {lowercase_evm} EVM address{'es are' if lowercase_evm > 1 else ' is'} "
            "all lower case (no EIP-55 checksum to verify); matched in any letter case"
        )
    return entries, problems


def _note_lines(problems: list, source: str, numbers: list[int], what: str, done: str) -> None:
    if not numbers:
        return
    shown = ", ".join(map(str, numbers[:8])) + (", ..." if len(numbers) > 8 else "")
    plural = "s" if len(numbers) > 1 else ""
    problems.append(f"{source}: {len(numbers)} {what}{plural} (line{plural} {shown}) {done}")


def _note_wrong_asset(address: str, asset: str, where: str, problems: list) -> None:
    family = _wrong_asset(address, asset)
    if family:
        problems.append(
            f"{where} lists {address} under {asset} but it looks like a {family} address; "
            "kept it (it is screened whatever its asset)"
        )
    parser = _address_parser()
    if parser is None or address_family(address) not in ("EVM", "Bitcoin", "TRON"):
        return
    parse_address, address_error = parser
    try:
        parse_address(address)
    except address_error as exc:
        # a list is evidence as published: keep the entry, but say it cannot be a real address
        problems.append(f"{where}: {address} fails its checksum ({exc}); kept it as listed")


# --- OFAC sdn_advanced.xml ---------------------------------------------------------------------
# Elements that are complete records; each is handled at its end tag and then dropped, so
# memory stays flat however large the file is.
_RECORDS = ("DistinctParty", "SanctionsEntry", "Location", "IDRegDocument", "ProfileRelationship")
_NAMES = _RECORDS + (
    "FeatureType", "SanctionsType", "DateOfIssue", "Profile", "Alias", "NamePartValue",
    "Feature", "VersionDetail", "SanctionsMeasure", "Comment", "EntryEvent", "Date",
    "NamePartType", "Script", "NamePartGroup", "DocumentedName",
)  # fmt: skip
# How OFAC's SDN list writes an individual's name: "LAST, First Middle" (sdn.csv's SDN_Name);
# the name parts come typed in sdn_advanced.xml (NamePartTypeValues), in any order.
_GIVEN_ORDER = ("First Name", "Middle Name", "Patronymic", "Matronymic")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _parse_sdn_xml(file, name: str) -> tuple[list[SanctionEntry], list[str], str | None]:
    feature_assets: dict[str, str] = {}
    refs: dict[str, dict[str, str]] = {"part_types": {}, "scripts": {}}
    program_types: set[str] = set()
    parties: dict[str, dict] = {}
    listings: dict[str, dict] = {}
    problems: list[str] = []
    t: dict[str, str] = {}  # local name -> the tag as it appears, namespace included
    records: set[str] = set()
    root = issued = None
    try:
        for _, elem in ET.iterparse(file):
            tag = elem.tag
            if not t:
                # OFAC has changed the namespace between publications: take the file's own
                namespace = tag[: -len(_local(tag))]
                t = {n: namespace + n for n in _NAMES}
                records = {t[n] for n in _RECORDS}
            if tag == t["DistinctParty"]:
                party = _read_party(elem, t, feature_assets, refs, name, problems)
                if party["addresses"]:
                    parties[party["id"]] = party
            elif tag == t["SanctionsEntry"]:
                _read_listing(elem, t, program_types or {"1"}, listings)
            elif tag == t["FeatureType"] and (elem.text or "").startswith(FEATURE_PREFIX):
                feature_assets[elem.get("ID")] = elem.text[len(FEATURE_PREFIX) :].strip().upper()
            elif tag == t["NamePartType"]:
                refs["part_types"][elem.get("ID")] = (elem.text or "").strip()
            elif tag == t["Script"]:
                refs["scripts"][elem.get("ID")] = (elem.text or "").strip()
            elif tag == t["SanctionsType"] and (elem.text or "").strip() == "Program":
                program_types.add(elem.get("ID"))
            elif tag == t["DateOfIssue"]:
                issued = _date(elem)
            if tag in records:
                elem.clear()  # what is left is an empty shell: ~60 bytes a record
            root = elem
    except ET.ParseError as exc:
        line, column = exc.position
        raise SanctionsError(
            f"{name}: not well-formed XML at line {line}, column {column} ({exc.msg}). The "
            "download may be cut short: fetch sdn_advanced.xml again."
        ) from None
    root_name = _local(root.tag) if root is not None else None
    if root_name != "Sanctions":
        raise SanctionsError(
            f"{name}: this is not OFAC's sdn_advanced.xml (its root element is <{root_name}>, "
            "not <Sanctions>). Download the advanced format (sdn_advanced.xml), not SDN.XML."
        )
    if not feature_assets:
        problems.append(f"{name}: no 'Digital Currency Address' feature types; no addresses read")
    return _join(parties, listings, name, problems), problems, issued


def _read_party(elem, t: dict, feature_assets: dict, refs: dict, name: str, problems) -> dict:
    # Element.iter(tag) filters in C: one pass per kind of child, no Python-level tree walk
    profile = next(elem.iter(t["Profile"]), None)
    party_id = (profile.get("ID") if profile is not None else None) or elem.get("FixedRef")
    group_types = {
        g.get("ID"): refs["part_types"].get(g.get("NamePartTypeID"), "")
        for g in elem.iter(t["NamePartGroup"])
    }
    names = []
    for alias in elem.iter(t["Alias"]):
        for documented in alias.iter(t["DocumentedName"]):
            text = _written_name(documented, t, group_types, refs["scripts"])
            if text:
                names.append((alias.get("Primary") != "true", text))  # primary name first
    names = list(dict.fromkeys(n for _, n in sorted(names, key=lambda x: x[0])))
    addresses = []
    for feature in elem.iter(t["Feature"]):
        asset = feature_assets.get(feature.get("FeatureTypeID"))
        if asset is None:
            continue
        for detail in feature.iter(t["VersionDetail"]):
            raw = detail.text or ""
            address = raw.strip()
            where = f"{name}: party {party_id} ({names[0] if names else 'unnamed'})"
            if not address:
                problems.append(f"{where} has an empty {asset} address; skipped")
                continue
            if address != raw:
                problems.append(f"{where}: spaces around {address!r} trimmed")
            _note_wrong_asset(address, asset, where, problems)
            addresses.append((asset, address))
    return {"id": party_id, "names": names, "addresses": addresses}


def _written_name(documented, t: dict, group_types: dict, scripts: dict) -> str:
    """One documented name as the list writes it ("PETROV, Ivan"); a name in another script
    than Latin says which ("ПЕТРОВ, Иван [Cyrillic]")."""
    parts, script = [], None
    for value in documented.iter(t["NamePartValue"]):
        text = (value.text or "").strip()
        if text:
            parts.append((group_types.get(value.get("NamePartGroupID"), ""), text))
            script = script or scripts.get(value.get("ScriptID"))
    last = [text for kind, text in parts if kind == "Last Name"]
    given = sorted(
        ((kind, text) for kind, text in parts if kind != "Last Name"),
        key=lambda p: _GIVEN_ORDER.index(p[0]) if p[0] in _GIVEN_ORDER else len(_GIVEN_ORDER),
    )
    written = " ".join(last)
    if given:
        written = (written + ", " if written else "") + " ".join(text for _, text in given)
    if written and script and script != "Latin":
        written += f" [{script}]"
    return written


def _read_listing(elem, t: dict, program_types: set, listings: dict) -> None:
    found = listings.setdefault(elem.get("ProfileID"), {"programs": [], "dates": []})
    for measure in elem.iter(t["SanctionsMeasure"]):
        if measure.get("SanctionsTypeID") in program_types:
            for comment in measure.iter(t["Comment"]):
                if (comment.text or "").strip():
                    found["programs"].append(comment.text.strip())
    for event in elem.iter(t["EntryEvent"]):
        for date in event.iter(t["Date"]):
            found["dates"].append(_date(date))


def _date(elem) -> str | None:
    parts = {_local(c.tag): (c.text or "").strip() for c in elem}
    try:
        return f"{int(parts['Year']):04d}-{int(parts['Month']):02d}-{int(parts['Day']):02d}"
    except (KeyError, ValueError):
        return None


def _join(parties: dict, listings: dict, name: str, problems: list) -> list[SanctionEntry]:
    entries = []
    for party_id, party in parties.items():
        listing = listings.get(party_id)
        who = f"{name}: party {party_id} ({party['names'][0] if party['names'] else 'unnamed'})"
        if listing is None:
            problems.append(
                f"{who} has addresses but no sanctions entry; its programs and listing date "
                "are unknown"
            )
            listing = {"programs": [], "dates": []}
        dates = sorted(d for d in listing["dates"] if d)
        seen = set()
        for asset, address in party["addresses"]:
            if (asset, address_key(address)) in seen:
                problems.append(f"{who} lists {address} twice; counted once")
                continue
            seen.add((asset, address_key(address)))
            entries.append(
                SanctionEntry(
                    address=address,
                    asset=asset,
                    entity=party["names"][0] if party["names"] else None,
                    aliases=tuple(party["names"][1:]),
                    programs=tuple(dict.fromkeys(listing["programs"])),
                    listed=dates[0] if dates else None,
                    source=name,
                    party_id=party_id,
                    list_name=OFAC_LIST,
                )
            )
    return entries


# --- loading -----------------------------------------------------------------------------------
def load_sanctions(path, asset: str | None = None) -> SanctionsList:
    """Read sanctions lists from a folder, a file, or a list of paths.

    A folder is read whole: ``*.xml`` (OFAC's ``sdn_advanced.xml``) and every
    ``sanctioned_addresses_<ASSET>.txt`` / ``.json``. A text file's asset comes from its name,
    or from ``asset=`` when the name does not follow that pattern.

    >>> from chaintrace import paths
    >>> sanctions = load_sanctions(paths.dataset_dir("course") / "sanctions")
    >>> "XBT" in sanctions.assets
    True
    >>> first = sanctions.frame().iloc[0]
    >>> first["address"] in sanctions, first["source"]
    (True, 'sdn_advanced.xml')
    """
    if isinstance(path, (list, tuple)):
        return SanctionsList.merge(load_sanctions(p, asset) for p in path)
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.xml")) + sorted(
            p for p in path.iterdir() if LIST_NAME.match(p.name)
        )
        if not files:
            raise SanctionsError(
                f"no sanctions list in folder {path}: expected sdn_advanced.xml or "
                "sanctioned_addresses_<ASSET>.txt files."
            )
        return SanctionsList.merge(_load_file(f, None) for f in files)
    if not path.is_file():
        raise FileNotFoundError(
            f"no sanctions list at {path}; check the path (the course's list is "
            "datasets/<name>/sanctions/)."
        )
    return _load_file(path, asset)


def _add_fetch_record(read: SanctionsList, path: Path) -> None:
    """Where and when :func:`fetch_sanctions` got ``path``, if it did and the file is unchanged."""
    record_path = path.with_name(path.name + MANIFEST_SUFFIX)
    if not record_path.is_file():
        return
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        url, fetched, sha256 = record["url"], record["fetched"], record["sha256"]
    except (ValueError, KeyError, TypeError):
        read.problems.append(f"{record_path.name}: unreadable; fetch the list again to renew it")
        return
    [version] = read.versions
    if sha256 != version.sha256:
        read.problems.append(
            f"{path.name} is not the file fetched from {url} on {fetched} (its SHA-256 differs "
            f"from {record_path.name}); fetch it again or remove that record"
        )
        return
    issued = version.issued or record.get("issued")  # CSV and JSON lists hold no date
    read.versions = [ListVersion(version.source, issued, sha256, url, fetched, version.list_name)]


def _load_file(path: Path, asset: str | None) -> SanctionsList:
    if path.suffix.lower() == ".xml":
        with path.open("rb") as handle:
            read = SanctionsList.from_xml(handle, path.name)
        _add_fetch_record(read, path)
        return read
    match = LIST_NAME.match(path.name)
    asset = asset or (match.group(1) if match else None)
    if asset is None:
        raise SanctionsError(
            f"{path.name}: cannot tell which asset this list is for. Name it "
            "sanctioned_addresses_<ASSET>.txt (e.g. sanctioned_addresses_XBT.txt) or pass asset='XBT'."
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SanctionsError(
            f"{path.name}: not UTF-8 text (byte {exc.start} cannot be read); save the list "
            "again as UTF-8, one address a line."
        ) from None
    if path.suffix.lower() == ".json":
        try:
            lines = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SanctionsError(
                f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})"
            ) from None
        if not isinstance(lines, list):
            raise SanctionsError(f"{path.name}: expected a JSON list of address strings")
        lines = [str(x) for x in lines]
    else:
        lines = text.splitlines()
    read = SanctionsList.from_lines(lines, asset, path.name)
    read.versions = [ListVersion(path.name, None, hashlib.sha256(data).hexdigest())]
    return read


# --- fetching the current official list ----------------------------------------------------------
# OFAC's Sanctions List Service; the old www.treasury.gov/ofac/downloads/sdn_advanced.xml
# address redirects here. Format: https://ofac.treasury.gov/sdn-list-data-formats-data-schemas
OFAC_SDN_ADVANCED_URL = (
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML"
)
MANIFEST_SUFFIX = ".source.json"


def fetch_sanctions(
    folder, url: str = OFAC_SDN_ADVANCED_URL, *, timeout: float = 30.0, deadline: float = 600.0,
    max_bytes: int = 1 << 30,
) -> ListVersion:  # fmt: skip
    """Download OFAC's ``sdn_advanced.xml`` into ``folder``, check it, and keep it with its date.

    The download is refused, and the list already in ``folder`` left as it was, when the
    server is silent for ``timeout`` seconds, the whole download takes over ``deadline``
    seconds or exceeds ``max_bytes``, the body is shorter than announced, the file is not a
    complete ``sdn_advanced.xml`` (well-formed, with an issue date and digital currency
    addresses), or it is older than the list already there. A good list replaces
    ``folder/sdn_advanced.xml`` in one step; a copy stays in ``folder/archive/`` under its issue
    date, so an earlier screen can be repeated, and ``sdn_advanced.xml.source.json`` records
    where and when it was fetched and its SHA-256. :func:`load_sanctions` reads that record,
    and :meth:`SanctionsList.screen` says which version it used. Needs a connection: the
    course itself never fetches anything.
    """
    from .sanction_sources import fetch_list

    return fetch_list("ofac", folder, url, timeout=timeout, deadline=deadline, max_bytes=max_bytes)


def _download(url: str, part: Path, timeout: float, deadline: float, max_bytes: int, headers=None):
    """``url`` into ``part``, bounded in silence, total time and size: (sha256, bytes)."""
    import time
    import urllib.request

    from . import __version__

    digest, size, started = hashlib.sha256(), 0, time.monotonic()
    request = urllib.request.Request(
        url, headers={"User-Agent": f"chaintrace/{__version__}", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response, part.open("wb") as out:  # noqa: S310
        announced = response.headers.get("Content-Length")
        # read1 returns what has arrived: a server sending a byte at a time cannot hold a
        # read past the deadline, which is checked between pieces
        while chunk := response.read1(1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise SanctionsError(f"it sent more than {max_bytes:,} bytes; not a sanctions list")
            if time.monotonic() - started > deadline:
                raise SanctionsError(f"the download took over {deadline:g} s")
            digest.update(chunk)
            out.write(chunk)
    if announced is not None and announced.isdigit() and int(announced) != size:
        raise SanctionsError(f"it sent {size:,} of {int(announced):,} bytes (cut short)")
    return digest.hexdigest(), size
