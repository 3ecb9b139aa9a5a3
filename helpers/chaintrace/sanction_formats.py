"""The published formats of the sanctions lists beside OFAC's ``sdn_advanced.xml``.

Each reader returns a :class:`~chaintrace.sanctions.SanctionsList` whose entries say which list
they come from (``list_name``), the name as that list writes it, its programme (regime), the
listing date and, where the list marks one, the date the listing ended; its one
:class:`~chaintrace.sanctions.ListVersion` carries the list's own publication date.

=================  ===========================================  =================================
list               file (format)                                where addresses are
=================  ===========================================  =================================
OFAC SDN           ``SDN.CSV`` (+ ``ALT.CSV``,                  ``Remarks``: "Digital Currency
                   ``SDN_COMMENTS.CSV``), OFAC's legacy CSV     Address - XBT 1...;"
EU                 Financial Sanctions Files XML 1.1 and CSV    free text (``remark``)
                   (``export`` / ``sanctionEntity``)
UK (OFSI)          ``ConList.csv``, OFSI's Consolidated List    free text (``Other Information``)
                   (retired 28 January 2026)
UK                 ``UK_Sanctions_List.xml``, the FCDO's UK     free text (``OtherInformation``)
                   Sanctions List (``Designations``)
NSDC               JSON of Ukraine's State Register of          ``attributes`` whose key names a
                   Sanctions (``sid``, ``actions``...)          wallet or virtual asset
=================  ===========================================  =================================

OFAC's CSV and the register's JSON carry no publication date inside: it comes from the fetch
record :func:`chaintrace.sanction_sources.fetch_list` writes beside the file, or from a date in
the file name (``SDN_2024-03-12.CSV``, as the archive keeps them); without either the version
is undated, and a screen says so. The EU and UK lists carry no address field: an address is
read from the free text where the listing gives it, and the entry says so in ``problems``.
Sources: ``docs/sanctions-lists.md``.

>>> addresses_in_text("DOB 1980; Digital Currency Address - XBT 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2; "
...                   "alt. Digital Currency Address - ETH 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed.")
[('XBT', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'), ('ETH', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')]
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

from .sanctions import (
    OFAC_LIST,
    ListVersion,
    SanctionEntry,
    SanctionsError,
    SanctionsList,
    _note_wrong_asset,
    address_family,
)
from .tags import address_key

EU_LIST, UK_LIST, NSDC_LIST = "EU", "UK", "NSDC"
OFSI_LIST = "UK"  # OFSI's Consolidated List was the UK's list until 28 January 2026

# asset codes as the lists write them, and the code assumed for an address written without one
_ASSET = re.compile(
    r"\b(XBT|BTC|ETH|ETC|USDT|USDC|TRX|LTC|XMR|ZEC|DASH|BCH|BSV|BTG|BSC|ARB|XRP|XVG|SOL)\b"
)
_FAMILY_ASSET = {
    "Bitcoin": "XBT", "EVM": "ETH", "TRON": "TRX", "Litecoin": "LTC", "Monero": "XMR",
    "Zcash": "ZEC", "Dash": "DASH", "Bitcoin Cash": "BCH", "XRP": "XRP",
}  # fmt: skip
_OFAC_REMARK = re.compile(r"Digital Currency Address - ([A-Za-z0-9]+)\s+([^\s;]+)")
_DATE_IN_NAME = re.compile(r"_(\d{4}-\d{2}-\d{2})(?=\.[^.]+$)")
_TOKEN_EDGES = ".,;:()[]{}<>\"'"


# --- shared helpers -----------------------------------------------------------------------------
def addresses_in_text(text: str | None) -> list[tuple[str, str]]:
    """``(asset, address)`` of every digital-currency address written in free text.

    OFAC's "Digital Currency Address - <ASSET> <address>" is read first; elsewhere any word
    shaped like an address (see :func:`chaintrace.sanctions.address_family`) that has a digit
    counts, with the nearest asset code written before it on the same clause (else the
    family's usual code: XBT, ETH, TRX...).

    >>> addresses_in_text("Wallet (USDT TRC-20): TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t. Website x.example")
    [('USDT', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t')]
    """
    if not text:
        return []
    found = [(a.upper(), addr.rstrip(".,")) for a, addr in _OFAC_REMARK.findall(text)]
    if found:
        return found
    out = []
    for clause in re.split(r"[;\n]", text):
        for word in clause.split():
            token = word.strip(_TOKEN_EDGES)
            family = address_family(token)
            # an address mixes digits and letters; a long registration number has no letter
            if family is None or token.isdigit() or not any(c.isdigit() for c in token):
                continue
            before = clause[: clause.find(token)]
            codes = _ASSET.findall(before.upper())
            out.append((codes[-1] if codes else _FAMILY_ASSET[family], token))
    return out


def written_with_script(name: str) -> str:
    """A name with its script marked when it is not Latin, as the OFAC reader marks it.

    >>> written_with_script("ПЕТРОВ Іван"), written_with_script("PETROV, Ivan")
    ('ПЕТРОВ Іван [Cyrillic]', 'PETROV, Ivan')
    """
    for char in name:
        if char.isalpha() and not char.isascii():
            script = unicodedata.name(char, "").split(" ")[0].title()
            if script and script != "Latin":
                return f"{name} [{script}]"
            break
    return name


def day(text: str | None) -> str | None:
    """``YYYY-MM-DD`` from the date forms the lists use (ISO, ``dd/mm/yyyy``, ``dd.mm.yyyy``).

    >>> day("21/03/2025"), day("21.03.2025"), day("2025-03-21T10:00:00+01:00"), day("")
    ('2025-03-21', '2025-03-21', '2025-03-21', None)
    """
    text = (text or "").strip()
    if match := re.match(r"^(\d{4})-(\d{2})-(\d{2})", text):
        return "-".join(match.groups())
    if match := re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text):
        d, m, y = match.groups()
        return f"{y}-{int(m):02d}-{int(d):02d}"
    return None


def date_in_name(name: str) -> str | None:
    """The version date written in an archived file's name (``SDN_2024-03-12.CSV``)."""
    match = _DATE_IN_NAME.search(name)
    return match.group(1) if match else None


def _entries(
    party: dict, addresses, list_name: str, source: str, where: str, problems: list
) -> list[SanctionEntry]:
    """The entries of one listed party, each of its addresses once."""
    out, seen = [], set()
    for asset, address in addresses:
        if (asset, address_key(address)) in seen:
            continue
        seen.add((asset, address_key(address)))
        _note_wrong_asset(address, asset, where, problems)
        names = list(dict.fromkeys(n for n in party["names"] if n))
        out.append(
            SanctionEntry(
                address=address,
                asset=asset,
                entity=names[0] if names else None,
                aliases=tuple(names[1:]),
                programs=tuple(dict.fromkeys(p for p in party.get("programs", ()) if p)),
                listed=party.get("listed"),
                source=source,
                party_id=party.get("id"),
                list_name=list_name,
                delisted=party.get("delisted"),
            )
        )
    return out


def _read_bytes(file) -> tuple[bytes, str]:
    if isinstance(file, (str, Path)):
        return Path(file).read_bytes(), Path(file).name
    return file.read(), Path(getattr(file, "name", "<file>")).name


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # OFAC's legacy files are single-byte text; cp1252 reads every byte
        return data.decode("cp1252", errors="replace")


def _made(entries, problems, name, issued, data, list_name) -> SanctionsList:
    """The list read, with its one version; ``data`` is the file's bytes or its SHA-256."""
    sha256 = data if isinstance(data, str) else hashlib.sha256(data).hexdigest()
    version = ListVersion(name, issued, sha256, list_name=list_name)
    return SanctionsList(entries, problems, [name], issued, [version])


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class _XmlRecords:
    """The records of a large XML list, one at a time, each without namespaces and cleared
    once read (memory stays flat however long the file). After the loop: ``root_attrib``,
    ``fields`` (the text of the root's simple children, e.g. ``DateGenerated``), ``sha256``."""

    def __init__(self, file, root: str, record: str, what: str, wrong_root: str):
        self.file, self.root, self.record, self.what, self.wrong_root = (
            file, root, record, what, wrong_root,
        )  # fmt: skip
        self.name = Path(
            file if isinstance(file, (str, Path)) else getattr(file, "name", "<file>")
        ).name
        self.root_attrib: dict = {}
        self.fields: dict = {}
        self.sha256 = ""

    def __iter__(self):
        from .sanctions import _HashingReader

        opened = isinstance(self.file, (str, Path))
        handle = open(self.file, "rb") if opened else self.file  # noqa: SIM115 (closed below)
        reader = _HashingReader(handle)
        depth, root = 0, None
        try:
            for event, elem in ET.iterparse(reader, events=("start", "end")):
                if event == "start":
                    depth += 1
                    if root is None:
                        root = elem
                        if _local(elem.tag) != self.root:
                            raise SanctionsError(
                                f"{self.name}: " + self.wrong_root.format(root=_local(elem.tag))
                            )
                        self.root_attrib = dict(elem.attrib)
                    continue
                depth -= 1
                if _local(elem.tag) == self.record:
                    for one in elem.iter():
                        one.tag = _local(one.tag)
                    yield elem
                    elem.clear()
                elif depth == 1 and len(elem) == 0:
                    self.fields[_local(elem.tag)] = (elem.text or "").strip()
            while reader.read(1 << 16):  # hash the whole file, trailing bytes included
                pass
        except ET.ParseError as exc:
            line, column = exc.position
            raise SanctionsError(
                f"{self.name}: not well-formed XML at line {line}, column {column} ({exc.msg}). "
                f"The download may be cut short: fetch {self.what} again."
            ) from None
        finally:
            if opened:
                handle.close()
        self.sha256 = reader.digest.hexdigest()


# --- OFAC SDN.CSV -------------------------------------------------------------------------------
_OFAC_NULL = "-0-"


def _ofac_rows(path: Path | None) -> list[list[str]]:
    if path is None or not path.is_file():
        return []
    text = _text(path.read_bytes(), path.name).replace("\x1a", "")  # DOS end-of-file mark
    # cells are kept unstripped: a remark cut at 1,000 characters may end in the space its
    # continuation in SDN_COMMENTS.CSV needs
    return [
        [("" if cell.strip() == _OFAC_NULL else cell) for cell in row]
        for row in csv.reader(io.StringIO(text))
        if row and any(cell.strip() for cell in row)
    ]


def _companion(path: Path, stem: str) -> Path | None:
    """ALT.CSV / SDN_COMMENTS.CSV beside SDN.CSV, in the same letter case and date suffix."""
    date = date_in_name(path.name)
    for candidate in sorted(path.parent.iterdir()):
        if date_in_name(candidate.name) == date and _undated(candidate.name) == f"{stem}.csv":
            return candidate
    return None


def _undated(name: str) -> str:
    """A file name in lower case without its archive date: ``SDN_2024-03-12.CSV`` -> ``sdn.csv``."""
    return re.sub(r"_\d{4}-\d{2}-\d{2}(?=\.[^.]+$)", "", name.lower())


def read_ofac_csv(path) -> SanctionsList:
    """Read OFAC's ``SDN.CSV`` with ``ALT.CSV`` (other names) and ``SDN_COMMENTS.CSV`` (the rest
    of remarks longer than 1,000 characters) when they lie beside it.

    Columns (no header row; ``-0-`` is empty): ``ent_num, SDN_Name, SDN_Type, Program, Title,
    Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``; several programs are
    written ``CYBER2] [RUSSIA-EO14024``. The CSV has no listing dates and no issue date.
    """
    path = Path(path)
    data = path.read_bytes()
    rows = _ofac_rows(path)
    problems: list[str] = []
    if rows and (len(rows[0]) != 12 or not rows[0][0].strip().isdigit()):
        raise SanctionsError(
            f"{path.name}: not OFAC's SDN.CSV (its first row has {len(rows[0])} columns and "
            f"starts {rows[0][0][:20]!r}; SDN.CSV rows have 12 and start with the entry number)."
        )
    extended = {
        r[0].strip(): r[1] for r in _ofac_rows(_companion(path, "sdn_comments")) if len(r) > 1
    }
    aliases: dict[str, list[str]] = {}
    for r in _ofac_rows(_companion(path, "alt")):
        if len(r) >= 4 and r[3].strip():
            aliases.setdefault(r[0].strip(), []).append(r[3].strip())
    entries = []
    for lineno, row in enumerate(rows, start=1):
        if len(row) != 12:
            problems.append(
                f"{path.name}: row {lineno} has {len(row)} columns, not 12; skipped (the file "
                "may be cut short: fetch it again)"
            )
            continue
        ent_num, name, program, remarks = row[0].strip(), row[1].strip(), row[3], row[11]
        remarks += extended.get(ent_num, "")
        addresses = addresses_in_text(remarks)
        if not addresses:
            continue
        party = {
            "id": ent_num,
            "names": [name, *aliases.get(ent_num, [])],
            "programs": [p.strip(" []") for p in program.split("] [") if p.strip(" []")],
        }
        where = f"{path.name}: entry {ent_num} ({name})"
        entries += _entries(party, addresses, OFAC_LIST, path.name, where, problems)
    if entries:
        problems.append(
            f"{path.name}: OFAC's CSV carries no listing dates; sdn_advanced.xml of the same "
            "day has them"
        )
    return _made(entries, problems, path.name, date_in_name(path.name), data, OFAC_LIST)


# --- EU Financial Sanctions Files ---------------------------------------------------------------
def read_eu_xml(file) -> SanctionsList:
    """Read the EU's consolidated list, Financial Sanctions Files XML 1.1.

    The date is the root's ``generationDate``; each ``sanctionEntity`` gives ``logicalId``,
    ``euReferenceNumber``, ``designationDate``, its ``nameAlias`` (``wholeName``,
    ``nameLanguage``), ``regulation/@programme`` and a free-text ``remark`` where an address,
    if any, is written.
    """
    entries, problems = [], []
    stream = _XmlRecords(file, "export", "sanctionEntity", "the EU's list",
                         "not the EU's Financial Sanctions Files XML (root <{root}>, not <export>)."
                         " Download the 'full sanctions list' XML 1.1.")  # fmt: skip
    name = stream.name
    for entity in stream:
        remarks = " ; ".join((r.text or "") for r in entity.iter("remark"))
        addresses = addresses_in_text(remarks)
        if not addresses:
            continue
        regulations = list(entity.iter("regulation"))
        dates = [entity.get("designationDate")] + [r.get("entryIntoForceDate") for r in regulations]
        party = {
            "id": entity.get("euReferenceNumber") or entity.get("logicalId"),
            "names": [
                written_with_script(n.get("wholeName", "").strip())
                for n in entity.findall("nameAlias")
            ],
            "programs": [r.get("programme") for r in regulations],
            "listed": min((d for d in map(day, dates) if d), default=None),
        }
        where = f"{name}: entity {party['id']}"
        problems.append(f"{where}: address read from free text (remark)")
        entries += _entries(party, addresses, EU_LIST, name, where, problems)
    issued = day(stream.root_attrib.get("generationDate")) or date_in_name(name)
    return _made(entries, problems, name, issued, stream.sha256, EU_LIST)


def read_eu_csv(path) -> SanctionsList:
    """Read the EU's consolidated list in its CSV form (semicolons, one row per name, address,
    identity document...; ``Entity_LogicalId`` joins them, ``fileGenerationDate`` dates it)."""
    path = Path(path)
    data = path.read_bytes()
    rows = list(csv.DictReader(io.StringIO(_text(data, path.name)), delimiter=";"))
    if rows and "Entity_LogicalId" not in rows[0]:
        raise SanctionsError(
            f"{path.name}: not the EU's CSV list (no Entity_LogicalId column); download the "
            "'full sanctions list' CSV 1.1."
        )
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["Entity_LogicalId"], []).append(row)
    entries, problems = [], []
    for logical_id, group in groups.items():
        remarks = " ; ".join(dict.fromkeys(r.get("Entity_Remark") or "" for r in group))
        addresses = addresses_in_text(remarks)
        if not addresses:
            continue
        first = group[0]
        dates = [first.get("Entity_DesignationDate")] + [
            r.get("Entity_Regulation_EntryIntoForceDate") for r in group
        ]
        party = {
            "id": first.get("Entity_EU_ReferenceNumber") or logical_id,
            "names": [
                written_with_script((r.get("NameAlias_WholeName") or "").strip()) for r in group
            ],
            "programs": [r.get("Entity_Regulation_Programme") for r in group],
            "listed": min((d for d in map(day, dates) if d), default=None),
        }
        where = f"{path.name}: entity {party['id']}"
        problems.append(f"{where}: address read from free text (Entity_Remark)")
        entries += _entries(party, addresses, EU_LIST, path.name, where, problems)
    issued = day(rows[0].get("fileGenerationDate")) if rows else None
    return _made(entries, problems, path.name, issued or date_in_name(path.name), data, EU_LIST)


# --- UK: OFSI's Consolidated List (CSV) and the FCDO's UK Sanctions List (XML) ------------------
def _uk_written(parts: list[str], individual: bool) -> str:
    """A person's name as ``SURNAME, Given Names`` (Name 6 is the surname); others' as is."""
    surname, given = parts[-1].strip(), " ".join(p.strip() for p in parts[:-1] if p.strip())
    if individual and surname and given:
        return f"{surname}, {given}"
    return " ".join(p for p in (given, surname) if p)


def read_ofsi_csv(path) -> SanctionsList:
    """Read OFSI's Consolidated List of Financial Sanctions Targets, ``ConList.csv``: a first
    row ``Last Updated,<dd/mm/yyyy>``, then one row per name of each ``Group ID`` with ``Name
    1``...``Name 6``, ``Name Non-Latin Script``, ``Alias Type``, ``Regime``, ``Listed On``,
    ``Other Information``. OFSI stopped updating it on 28 January 2026."""
    path = Path(path)
    data = path.read_bytes()
    lines = _text(data, path.name).splitlines()
    issued = None
    if lines and lines[0].startswith("Last Updated"):
        issued = day(lines[0].split(",", 1)[1] if "," in lines[0] else "")
        lines = lines[1:]
    rows = list(csv.DictReader(lines))
    if rows and "Group ID" not in rows[0]:
        raise SanctionsError(
            f"{path.name}: not OFSI's ConList.csv (no 'Group ID' column). Since 28 January "
            "2026 the UK publishes only the UK Sanctions List: read UK_Sanctions_List.xml."
        )
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["Group ID"], []).append(row)
    entries, problems = [], []
    for group_id, group in groups.items():
        text = " ; ".join(dict.fromkeys(r.get("Other Information") or "" for r in group))
        addresses = addresses_in_text(text)
        if not addresses:
            continue
        group.sort(key=lambda r: r.get("Alias Type") != "Primary name")
        individual = group[0].get("Group Type") == "Individual"
        names = [
            _uk_written([r.get(f"Name {i}") or "" for i in range(1, 7)], individual) for r in group
        ]
        names += [
            written_with_script(r["Name Non-Latin Script"])
            for r in group
            if r.get("Name Non-Latin Script")
        ]
        party = {
            "id": group_id,
            "names": names,
            "programs": [r.get("Regime") for r in group],
            "listed": day(group[0].get("Listed On")),
        }
        where = f"{path.name}: group {group_id}"
        problems.append(f"{where}: address read from free text (Other Information)")
        entries += _entries(party, addresses, OFSI_LIST, path.name, where, problems)
    return _made(entries, problems, path.name, issued or date_in_name(path.name), data, OFSI_LIST)


def read_uk_xml(file) -> SanctionsList:
    """Read the FCDO's UK Sanctions List, ``UK_Sanctions_List.xml``: ``Designation`` records
    with ``UniqueID``, ``DateDesignated`` (dd/mm/yyyy), ``RegimeName``, ``Names/Name``
    (``Name1``...``Name6``, ``NameType``), ``NonLatinNames`` and ``OtherInformation``; the
    list's date is its ``DateGenerated``."""
    entries, problems = [], []
    stream = _XmlRecords(file, "Designations", "Designation", "the UK Sanctions List",
                         "not the UK Sanctions List XML (root <{root}>, not <Designations>);"
                         " OFSI's ConList is read from its CSV form.")  # fmt: skip
    name = stream.name
    for item in stream:
        text = " ; ".join(e.text or "" for e in item.iter("OtherInformation"))
        addresses = addresses_in_text(text)
        if not addresses:
            continue
        individual = (item.findtext("IndividualEntityShip") or "").strip() == "Individual"
        names = sorted(item.iter("Name"), key=lambda n: n.findtext("NameType") != "Primary Name")
        written = [
            _uk_written([n.findtext(f"Name{i}") or "" for i in range(1, 7)], individual)
            for n in names
            if n.find("Name6") is not None or n.find("Name1") is not None
        ]
        written += [
            written_with_script(n.text.strip()) for n in item.iter("NameNonLatinScript") if n.text
        ]
        party = {
            "id": (item.findtext("UniqueID") or "").strip(),
            "names": written,
            "programs": [(r.text or "").strip() for r in item.iter("RegimeName")],
            "listed": day(item.findtext("DateDesignated")),
        }
        where = f"{name}: designation {party['id']}"
        problems.append(f"{where}: address read from free text (OtherInformation)")
        entries += _entries(party, addresses, UK_LIST, name, where, problems)
    generated = stream.fields.get("DateGenerated") or stream.root_attrib.get("DateGenerated")
    issued = day(generated) or date_in_name(name)
    return _made(entries, problems, name, issued, stream.sha256, UK_LIST)


# --- Ukraine: the State Register of Sanctions (NSDC) --------------------------------------------
_WALLET_KEY = re.compile(r"гаман|криптовалют|віртуальн|wallet|crypto|virtual asset", re.IGNORECASE)
_ENDED = {"expired", "excluded"}


def _dicts(value) -> list[dict]:
    """The objects of a JSON list (anything else in it, or a non-list, gives none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _listed(value) -> list:
    return value if isinstance(value, list) else [value] if value else []


def read_nsdc_json(file) -> SanctionsList:
    """Read subjects of Ukraine's State Register of Sanctions as its public API gives them
    (``/v2/subjects``): ``sid``, ``name`` (Ukrainian), ``translit``, ``aliases``, ``attributes``
    (``key``/``value``) and, from ``/subjects/<sid>/actions``, ``actions`` with ``status``
    (``active``, ``expired``, ``excluded``), ``decree`` (``number``, ``date`` dd.mm.yyyy) and
    ``endDate``. A subject whose every action has ended is delisted on the last ``endDate``.
    """
    data, name = _read_bytes(file)
    try:
        subjects = json.loads(_text(data, name))
    except json.JSONDecodeError as exc:
        raise SanctionsError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if isinstance(subjects, dict):
        subjects = subjects.get("subjects") or subjects.get("data") or []
    if not isinstance(subjects, list) or not all(
        isinstance(s, dict) and "sid" in s for s in subjects
    ):
        raise SanctionsError(
            f"{name}: not the State Register of Sanctions' subjects (a JSON list of objects "
            "with 'sid')."
        )
    entries, problems = [], []
    for subject in subjects:
        addresses = []
        for attribute in _dicts(subject.get("attributes")):
            key, value = str(attribute.get("key", "")), str(attribute.get("value", ""))
            if _WALLET_KEY.search(key):
                addresses += addresses_in_text(f"{key}: {value}")
        if not addresses:
            continue
        actions = _dicts(subject.get("actions"))
        if len(actions) != len(subject.get("actions") or []):
            problems.append(
                f"{name}: subject {subject['sid']} has actions that are not objects; skipped"
            )
        for action in actions:
            if not isinstance(action.get("decree"), dict):
                action["decree"] = {}
        starts = [day((a.get("decree") or {}).get("date")) for a in actions]
        ended = actions and all(a.get("status") in _ENDED for a in actions)
        party = {
            "id": str(subject["sid"]),
            "names": [
                written_with_script(str(subject.get("name") or "")),
                str(subject.get("translit") or ""),
                *(written_with_script(str(a)) for a in _listed(subject.get("aliases")) if a),
            ],
            "programs": [(a.get("decree") or {}).get("number") for a in actions],
            "listed": min((d for d in starts if d), default=None),
            "delisted": max((day(a.get("endDate")) or "" for a in actions), default="") or None
            if ended
            else None,
        }
        where = f"{name}: subject {party['id']}"
        entries += _entries(party, addresses, NSDC_LIST, name, where, problems)
    return _made(entries, problems, name, date_in_name(name), data, NSDC_LIST)


# --- telling formats apart ----------------------------------------------------------------------


def list_format(path) -> str | None:
    """Which list a file is, from its name and first bytes: ``ofac-xml``, ``ofac-csv``,
    ``eu-xml``, ``eu-csv``, ``ofsi-csv``, ``uk-xml``, ``nsdc-json``, ``text`` (a per-asset
    address list), ``companion`` (OFAC's ALT/ADD/SDN_COMMENTS), or None (not a list)."""
    path = Path(path)
    lower = _undated(path.name)
    if lower.startswith("sanctioned_addresses_"):
        return "text"
    if lower in ("alt.csv", "add.csv", "sdn_comments.csv"):
        return "companion"
    if lower == "sdn.csv":
        return "ofac-csv"
    with path.open("rb") as handle:
        head = handle.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff")
    if lower.endswith(".xml"):
        tag = re.search(r"<(?![?!])([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", head)
        return {"Sanctions": "ofac-xml", "export": "eu-xml", "Designations": "uk-xml"}.get(
            tag.group(2) if tag else "", None
        )
    if lower.endswith(".csv"):
        if head.startswith("fileGenerationDate") or "Entity_LogicalId" in head.split("\n")[0]:
            return "eu-csv"
        if head.startswith("Last Updated") or "Group ID" in head.split("\n")[0]:
            return "ofsi-csv"
        return None
    if lower.endswith(".json") and '"sid"' in head:
        return "nsdc-json"
    return None


READERS = {
    "ofac-csv": read_ofac_csv,
    "eu-xml": read_eu_xml,
    "eu-csv": read_eu_csv,
    "ofsi-csv": read_ofsi_csv,
    "uk-xml": read_uk_xml,
    "nsdc-json": read_nsdc_json,
}
