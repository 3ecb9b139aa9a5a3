"""Training sanctions lists in the published formats of OFAC, the EU, the UK and Ukraine (NSDC).

Every list is written from **designation records**, one per listed party (or per group of its
addresses that share dates)::

    {"entity": "KUPOLEX OU",                       # the name as the lists write it
     "addresses": [("bitcoin", "bc1q..."),          # (chain, address) or (chain, address, asset)
                   ("ethereum", "0x...", "USDT")],
     "lists": ["OFAC", "EU", "UK", "NSDC"],
     "listed": "2024-03-10",                        # or {"OFAC": "2024-03-10", "EU": ...}
     "delisted": None,                              # or a date, or one per list
     "programs": ["TRAIN-RUSSIA-EO"],               # or {"OFAC": [...], "EU": [...]}
     "aliases": ["Kupolex Exchange"],
     # optional: "kind": "individual" | "entity", "native": "КУПОЛЕКС" (Ukraine's register
     # writes the name in Ukrainian, with the Latin form as its transliteration)
    }

:func:`write_lists` publishes each list as its publisher does: a new version on every day a
party on it is listed or delisted, up to ``as_of``. OFAC, the EU and the UK drop a delisted
entry from the next version; Ukraine's register keeps it with its sanctions marked ended. The
newest version of each list lies in its folder, earlier ones under ``archive/`` with their date
in the name (``sdn_advanced_2024-03-12.xml``); OFAC's CSV and the register's JSON, which hold no
date, get a ``<file>.source.json`` record of their issue date (as ``chaintrace fetch-sanctions``
writes for a fetched list). Formats: ``docs/sanctions-lists.md``.

>>> files = write_lists([{"entity": "DEMO LTD", "addresses": [("bitcoin", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")],
...     "lists": ["OFAC", "NSDC"], "listed": "2024-03-05", "delisted": "2024-03-20",
...     "programs": ["TRAIN"], "aliases": []}], as_of="2024-03-25")
>>> sorted(files)  # doctest: +NORMALIZE_WHITESPACE
['sanctions/ALT.CSV', 'sanctions/SDN.CSV', 'sanctions/SDN.CSV.source.json', 'sanctions/SDN_COMMENTS.CSV',
 'sanctions/archive/ALT_2024-03-05.CSV', 'sanctions/archive/SDN_2024-03-05.CSV',
 'sanctions/archive/SDN_COMMENTS_2024-03-05.CSV', 'sanctions/archive/sdn_advanced_2024-03-05.xml',
 'sanctions/nsdc/subjects.json', 'sanctions/nsdc/subjects.json.source.json', 'sanctions/sdn_advanced.xml']
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from xml.sax.saxutils import escape, quoteattr

from .calendar import date_text

LISTS = ("OFAC", "EU", "UK", "NSDC")
SDN_NS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML"
EU_NS = "http://eu.europa.ec/fpi/fsd/export"
FEATURE_IDS = {"XBT": 344, "ETH": 345, "USDT": 887, "TRX": 998, "BSC": 1061, "USDC": 1062}
CHAIN_ASSET = {"bitcoin": "XBT", "ethereum": "ETH", "tron": "TRX", "bsc": "BSC"}
# Where each list keeps its files: (folder, current file names by kind)
FOLDERS = {
    "OFAC": "sanctions",
    "EU": "sanctions/eu",
    "UK": "sanctions/uk",
    "NSDC": "sanctions/nsdc",
}


# ---------------------------------------------------------------------------- records
def _per_list(value, list_name: str):
    return value.get(list_name) if isinstance(value, dict) else value


def _assets(record: dict) -> list[tuple[str, str]]:
    """``(asset, address)`` of a record, the asset from the chain unless given."""
    out = []
    for item in record["addresses"]:
        chain, address = item[0], item[1]
        asset = item[2] if len(item) > 2 else CHAIN_ASSET.get(chain.lower(), chain.upper())
        out.append((asset, address))
    return out


def _is_individual(record: dict) -> bool:
    return record.get("kind", "individual" if "," in record["entity"] else "entity") == "individual"


def _versions(records: list[dict], list_name: str, as_of: str) -> list[str]:
    """Publication days of a list: every day a party on it is listed or delisted, and ``as_of``."""
    days = {as_of}
    for r in records:
        if list_name not in r["lists"]:
            continue
        for key in ("listed", "delisted"):
            when = _per_list(r.get(key), list_name)
            if when and when <= as_of:
                days.add(when)
    return sorted(days)


def _action_days(records: list[dict]) -> list[str]:
    days = []
    for r in records:
        for key in ("listed", "delisted"):
            value = r.get(key)
            days += list(value.values()) if isinstance(value, dict) else [value]
    return [d for d in days if d]


def _in_force(records: list[dict], list_name: str, day: str, keep_delisted: bool) -> list[dict]:
    """The records a version published on ``day`` holds."""
    out = []
    for r in records:
        listed, delisted = (_per_list(r.get(k), list_name) for k in ("listed", "delisted"))
        if list_name not in r["lists"] or not listed or listed > day:
            continue
        if delisted and delisted <= day and not keep_delisted:
            continue
        out.append(r)
    return out


def _parties(records: list[dict], list_name: str) -> list[dict]:
    """Records joined by entity name, in first-seen order: one party, all its addresses."""
    parties: dict[str, dict] = {}
    for r in records:
        p = parties.setdefault(
            r["entity"],
            {"entity": r["entity"], "aliases": [], "programs": [], "addresses": [], "records": [],
             "individual": _is_individual(r), "native": r.get("native")},
        )  # fmt: skip
        p["aliases"] += [a for a in r.get("aliases", []) if a not in p["aliases"]]
        programs = _per_list(r.get("programs", []), list_name) or []
        p["programs"] += [x for x in programs if x not in p["programs"]]
        p["addresses"] += [a for a in _assets(r) if a not in p["addresses"]]
        p["records"].append(r)
        p["listed"] = min(_per_list(x["listed"], list_name) for x in p["records"])
    for i, p in enumerate(parties.values()):
        p["id"] = 90001 + i
    return list(parties.values())


# ---------------------------------------------------------------------------- writing all lists
def write_lists(records: list[dict], as_of: str) -> dict[str, bytes]:
    """Every list's versions as files (path under the dataset -> bytes). ``as_of`` is the day
    the newest versions are published; nothing later is written."""
    files: dict[str, bytes] = {}
    ids = {list_name: _stable_ids(records, list_name) for list_name in LISTS}
    for list_name, writer in (("OFAC", _ofac), ("EU", _eu), ("UK", _uk)):
        if not any(list_name in r["lists"] for r in records):
            continue
        days = _versions(records, list_name, as_of)
        for day in days:
            held = _in_force(records, list_name, day, keep_delisted=False)
            if not held and day != as_of:
                continue
            for name, data in writer(_with_ids(_parties(held, list_name), ids[list_name]), day):
                files[_placed(list_name, name, day, day == as_of)] = data
    if any("NSDC" in r["lists"] for r in records):
        held = _in_force(records, "NSDC", as_of, keep_delisted=True)
        data = _nsdc(_with_ids(_parties(held, "NSDC"), ids["NSDC"]), records, as_of)
        files["sanctions/nsdc/subjects.json"] = data
        files["sanctions/nsdc/subjects.json.source.json"] = _record(data, as_of)
    for path in [p for p in files if p.endswith("sanctions/SDN.CSV")]:
        files[path + ".source.json"] = _record(files[path], as_of)
    return dict(sorted(files.items()))


def _stable_ids(records: list[dict], list_name: str) -> dict[str, int]:
    """A party keeps its reference number across versions, as on the real lists."""
    names = list(dict.fromkeys(r["entity"] for r in records if list_name in r["lists"]))
    return {n: 90001 + i for i, n in enumerate(names)}


def _with_ids(parties: list[dict], ids: dict[str, int]) -> list[dict]:
    for p in parties:
        p["id"] = ids[p["entity"]]
    return parties


def _placed(list_name: str, name: str, day: str, current: bool) -> str:
    folder = FOLDERS[list_name]
    if current:
        return f"{folder}/{name}"
    stem, _, ext = name.rpartition(".")
    return f"{folder}/archive/{stem}_{day}.{ext}"


def _record(data: bytes, issued: str) -> bytes:
    """The issue date of a file whose format holds none, in the fetch record's shape."""
    record = {"source": None, "issued": issued, "sha256": hashlib.sha256(data).hexdigest(),
              "url": None, "fetched": None, "note": "training list: no fetch"}  # fmt: skip
    return (json.dumps(record, indent=1) + "\n").encode()


def _dmy(day: str, sep: str = "/") -> str:
    y, m, d = day.split("-")
    return f"{d}{sep}{m}{sep}{y}"


# ---------------------------------------------------------------------------- OFAC
def _ofac(parties: list[dict], day: str):
    yield "sdn_advanced.xml", sdn_xml(parties, day)
    yield from _ofac_csv(parties).items()


def sdn_xml(parties: list[dict], issued: str) -> bytes:
    """``sdn_advanced.xml`` in OFAC's structure: issue date, reference values, parties with
    their names and digital currency address features, sanctions entries with program and
    listing date."""
    y, m, d = (int(x) for x in issued.split("-"))
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<Sanctions xmlns="{SDN_NS}">',
        f"  <DateOfIssue><Year>{y}</Year><Month>{m}</Month><Day>{d}</Day></DateOfIssue>",
        "  <ReferenceValueSets>",
        "    <FeatureTypeValues>",
    ]
    for asset, fid in FEATURE_IDS.items():
        out.append(
            f'      <FeatureType ID="{fid}" FeatureTypeGroupID="1">Digital Currency Address - {asset}</FeatureType>'
        )
    out += [
        "    </FeatureTypeValues>",
        "    <SanctionsTypeValues>",
        '      <SanctionsType ID="1">Program</SanctionsType>',
        "    </SanctionsTypeValues>",
        "  </ReferenceValueSets>",
        "  <DistinctParties>",
    ]
    for p in parties:
        pid = p["id"]
        out.append(f'    <DistinctParty FixedRef="{pid}">')
        out.append(f'      <Profile ID="{pid}" PartySubTypeID="{4 if p["individual"] else 3}">')
        out.append("        <Identity>")
        for j, alias in enumerate([p["entity"], *p["aliases"]]):
            out.append(
                f'          <Alias Primary="{"true" if j == 0 else "false"}" AliasTypeID="1403">'
            )
            out.append(
                f"            <DocumentedName><DocumentedNamePart><NamePartValue>{escape(alias)}</NamePartValue></DocumentedNamePart></DocumentedName>"
            )
            out.append("          </Alias>")
        out.append("        </Identity>")
        for k, (asset, addr) in enumerate(p["addresses"]):
            fid = FEATURE_IDS.get(asset, FEATURE_IDS["XBT"])
            out.append(f'        <Feature ID="{pid * 100 + k}" FeatureTypeID="{fid}">')
            out.append(
                f'          <FeatureVersion ID="{pid * 100 + k}"><VersionDetail DetailTypeID="1432">{escape(addr)}</VersionDetail></FeatureVersion>'
            )
            out.append("        </Feature>")
        out += ["      </Profile>", "    </DistinctParty>"]
    out += ["  </DistinctParties>", "  <SanctionsEntries>"]
    for p in parties:
        ly, lm, ld = p["listed"].split("-")
        eid = p["id"] - 90001 + 80001
        out.append(f'    <SanctionsEntry ID="{eid}" ProfileID="{p["id"]}" ListID="1550">')
        out.append(
            f'      <EntryEvent ID="{eid}" EntryEventTypeID="1"><Date><Year>{int(ly)}</Year><Month>{int(lm)}</Month><Day>{int(ld)}</Day></Date></EntryEvent>'
        )
        for program in p["programs"]:
            out.append(
                f'      <SanctionsMeasure ID="{eid}" SanctionsTypeID="1"><Comment>{escape(program)}</Comment></SanctionsMeasure>'
            )
        out.append("    </SanctionsEntry>")
    out += ["  </SanctionsEntries>", "</Sanctions>", ""]
    return "\n".join(out).encode()


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    for row in rows:
        writer.writerow([int(c) if isinstance(c, int) else c for c in row])
    return buffer.getvalue().replace('"-0-"', "-0- ").encode("ascii", errors="replace")


def _ofac_csv(parties: list[dict]) -> dict[str, bytes]:
    """``SDN.CSV`` (12 columns, ``-0-`` for empty, addresses in Remarks), ``ALT.CSV`` (aliases)
    and ``SDN_COMMENTS.CSV`` (the remarks past 1,000 characters), as OFAC's legacy CSV."""
    sdn, alt, comments, alt_num = [], [], [], 1
    for p in parties:
        remarks = (
            "; ".join(
                f"{'alt. ' if i else ''}Digital Currency Address - {asset} {addr}"
                for i, (asset, addr) in enumerate(p["addresses"])
            )
            + "."
        )
        kind = "individual" if p["individual"] else "-0-"
        program = "] [".join(p["programs"]) or "-0-"
        sdn.append([p["id"], p["entity"], kind, program, *["-0-"] * 7, remarks[:1000]])
        if len(remarks) > 1000:
            comments.append([p["id"], remarks[1000:]])
        for alias in p["aliases"]:
            alt.append([p["id"], alt_num, "a.k.a.", alias, "-0-"])
            alt_num += 1
    return {"SDN.CSV": _csv(sdn), "ALT.CSV": _csv(alt), "SDN_COMMENTS.CSV": _csv(comments)}


def _free_text(addresses: list[tuple[str, str]]) -> str:
    return "Digital currency addresses: " + "; ".join(f"{a} {addr}" for a, addr in addresses) + "."


# ---------------------------------------------------------------------------- EU
def _eu(parties: list[dict], day: str):
    yield "xmlFullSanctionsList_1_1.xml", eu_xml(parties, day)
    yield "csvFullSanctionsList_1_1.csv", eu_csv(parties, day)


def eu_xml(parties: list[dict], generated: str) -> bytes:
    """The EU's Financial Sanctions Files XML 1.1: ``export`` with ``generationDate``; one
    ``sanctionEntity`` a party (``regulation``, ``subjectType``, ``nameAlias``, ``remark``)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<export xmlns="{EU_NS}" generationDate="{generated}T00:00:00.000+01:00" globalFileId="{generated.replace("-", "")}">',
    ]
    for p in parties:
        code, cls = ("person", "P") if p["individual"] else ("enterprise", "E")
        out.append(
            f'  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.{p["id"]}.1" logicalId="{p["id"]}" designationDate="{p["listed"]}">'
        )
        out.append(f"    <remark>{escape(_free_text(p['addresses']))}</remark>")
        for program in p["programs"]:
            out.append(
                f'    <regulation regulationType="regulation" organisationType="council" publicationDate="{p["listed"]}" entryIntoForceDate="{p["listed"]}" numberTitle="TRAIN {p["listed"][:4]}/{p["id"] % 1000} (training)" programme={quoteattr(program)} logicalId="{p["id"]}1">'
            )
            out.append("      <publicationUrl>https://eur-lex.example.eu/training</publicationUrl>")
            out.append("    </regulation>")
        out.append(f'    <subjectType code="{code}" classificationCode="{cls}"/>')
        names = [p["entity"], *p["aliases"]] + ([p["native"]] if p.get("native") else [])
        for j, name in enumerate(names):
            language = "RU" if name == p.get("native") else ""
            out.append(
                f'    <nameAlias firstName="" middleName="" lastName="" wholeName={quoteattr(name)} function="" gender="" title="" nameLanguage="{language}" strong="true" regulationLanguage="en" logicalId="{p["id"]}{j}"/>'
            )
        out.append("  </sanctionEntity>")
    out += ["</export>", ""]
    return "\n".join(out).encode()


EU_CSV_COLUMNS = [
    "fileGenerationDate", "Entity_LogicalId", "Entity_EU_ReferenceNumber", "Entity_UnitedNationId",
    "Entity_DesignationDate", "Entity_DesignationDetails", "Entity_Remark", "Entity_SubjectType",
    "Entity_SubjectType_ClassificationCode", "Entity_Regulation_Type",
    "Entity_Regulation_OrganisationType", "Entity_Regulation_PublicationDate",
    "Entity_Regulation_EntryIntoForceDate", "Entity_Regulation_NumberTitle",
    "Entity_Regulation_Programme", "Entity_Regulation_PublicationUrl", "NameAlias_LastName",
    "NameAlias_FirstName", "NameAlias_MiddleName", "NameAlias_WholeName", "NameAlias_NameLanguage",
]  # fmt: skip


def eu_csv(parties: list[dict], generated: str) -> bytes:
    """The EU list's CSV form: semicolons, one row per name of each entity."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(EU_CSV_COLUMNS)
    for p in parties:
        code, cls = ("person", "P") if p["individual"] else ("enterprise", "E")
        for name in [p["entity"], *p["aliases"]]:
            writer.writerow([
                _dmy(generated), p["id"], f"EU.{p['id']}.1", "", p["listed"], "",
                _free_text(p["addresses"]), code, cls, "regulation", "council", p["listed"],
                p["listed"], "TRAIN (training)", ", ".join(p["programs"]),
                "https://eur-lex.example.eu/training", "", "", "", name, "",
            ])  # fmt: skip
    return ("\ufeff" + buffer.getvalue()).encode()


# ---------------------------------------------------------------------------- UK
def _uk(parties: list[dict], day: str):
    yield "UK_Sanctions_List.xml", uk_xml(parties, day)


def _name_parts(name: str, individual: bool) -> list[str]:
    """Name1..Name6 (Name6 the surname, or an entity's whole name)."""
    parts = [""] * 6
    if individual and ", " in name:
        surname, given = name.split(", ", 1)
        for i, word in enumerate(given.split()[:5]):
            parts[i] = word
        parts[5] = surname
    else:
        parts[5] = name
    return parts


def uk_xml(parties: list[dict], generated: str) -> bytes:
    """The FCDO's UK Sanctions List XML: ``Designations`` with ``DateGenerated`` and one
    ``Designation`` a party (``UniqueID``, ``DateDesignated``, ``Names``, ``RegimeName``,
    ``OtherInformation``)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<Designations>",
           f"  <DateGenerated>{generated}T00:00:00</DateGenerated>"]  # fmt: skip
    for p in parties:
        out += [
            "  <Designation>",
            f"    <LastUpdated>{_dmy(generated)}</LastUpdated>",
            f"    <DateDesignated>{_dmy(p['listed'])}</DateDesignated>",
            f"    <UniqueID>TRN{p['id'] % 10000:04d}</UniqueID>",
            f"    <OFSIGroupID>{p['id']}</OFSIGroupID>",
            "    <Names>",
        ]
        for j, name in enumerate([p["entity"], *p["aliases"]]):
            parts = _name_parts(name, p["individual"] and j == 0)
            out.append("      <Name>" + "".join(
                f"<Name{i + 1}>{escape(v)}</Name{i + 1}>" for i, v in enumerate(parts) if v
            ) + f"<NameType>{'Primary Name' if j == 0 else 'Alias'}</NameType></Name>")  # fmt: skip
        out.append("    </Names>")
        if p.get("native"):
            out.append(
                f"    <NonLatinNames><NonLatinName><NameNonLatinScript>{escape(p['native'])}</NameNonLatinScript><NonLatinScriptType>Cyrillic</NonLatinScriptType><NonLatinScriptLanguage>Russian</NonLatinScriptLanguage></NonLatinName></NonLatinNames>"
            )
        out += [f"    <RegimeName>{escape(r)}</RegimeName>" for r in p["programs"]]
        out += [
            f"    <IndividualEntityShip>{'Individual' if p['individual'] else 'Entity'}</IndividualEntityShip>",
            "    <DesignationSource>UK</DesignationSource>",
            "    <SanctionsImposed>Asset freeze|Trust services sanctions</SanctionsImposed>",
            f"    <OtherInformation>{escape(_free_text(p['addresses']))}</OtherInformation>",
            "    <UKStatementofReasons>Training list: fictional designation.</UKStatementofReasons>",
            "  </Designation>",
        ]
    out += ["</Designations>", ""]
    return "\n".join(out).encode()


# ---------------------------------------------------------------------------- NSDC
def _ended(record: dict, as_of: str) -> bool:
    delisted = _per_list(record.get("delisted"), "NSDC")
    return bool(delisted and delisted <= as_of)


def _nsdc(parties: list[dict], records: list[dict], as_of: str) -> bytes:
    """Subjects of Ukraine's State Register of Sanctions as its public API gives them, with each
    subject's actions (from ``/subjects/<sid>/actions``) kept under ``actions``."""
    subjects = []
    for p in parties:
        actions, addresses = [], []
        active = [r for r in p["records"] if not _ended(r, as_of)]
        # a subject still sanctioned loses only the wallets delisted; one whose sanctions all
        # ended keeps them, its actions marked ended
        for k, r in enumerate(active or p["records"]):
            addresses += [a for a in _assets(r) if a not in addresses]
            listed = _per_list(r["listed"], "NSDC")
            delisted = _per_list(r.get("delisted"), "NSDC")
            ended = bool(delisted and delisted <= as_of)
            actions.append({
                "aid": p["id"] * 10 + k,
                "status": "excluded" if ended else "active",
                "decree": {"number": f"TRAIN-{listed[:4]}/{p['id'] % 1000}", "date": _dmy(listed, "."),
                           "link": "https://www.president.example.ua/training"},
                "endDate": _dmy(delisted, ".") if ended else None,
                "term": "10 років",
                "restrictions": [{"restriction": "блокування активів"}],
            })  # fmt: skip
        attributes = [
            {"key": f"Адреса гаманця віртуальних активів ({asset})", "value": address}
            for asset, address in addresses
        ]
        subjects.append({
            "sid": p["id"],
            "subjectType": "individual" if p["individual"] else "legal",
            "name": p.get("native") or p["entity"],
            "translit": p["entity"],
            "aliases": p["aliases"],
            "citizenships": [], "bd": None, "dd": None, "identifiers": [],
            "attributes": attributes,
            "status": "active" if any(a["status"] == "active" for a in actions) else "excluded",
            "actions": actions,
        })  # fmt: skip
    return (json.dumps(subjects, ensure_ascii=False, indent=1) + "\n").encode()


# ---------------------------------------------------------------------------- the Bitcoin course data
PARTIES = [
    # (entity name in the economy, listed name, aliases, program, OFAC listing date, native name)
    ("Kupolex", "KUPOLEX OU", ["Kupolex Exchange"], "TRAIN-RUSSIA-EO", "2024-03-10", "КУПОЛЕКС"),
    ("Ferrum Trade", "FERRUM TRADE LLC", ["Ferrum OTC"], "TRAIN-CYBER", "2024-03-10", None),
    ("Tundra Market", "TUNDRA MARKET", ["Tundra"], "TRAIN-CYBER", "2024-03-05", None),
    ("NightCrane", "KOSTROV, Vadim Petrovich (fictional)", ["NightCrane admin"], "TRAIN-CYBER",
     "2024-03-12", "КОСТРОВ Вадим Петрович"),
]  # fmt: skip
# Which lists carry each party, and how many days after OFAC each listed it (training choices)
OTHER_LISTS = {
    "Kupolex": {"EU": 9, "UK": 4, "NSDC": 2},
    "Ferrum Trade": {"UK": 4},
    "Tundra Market": {"EU": 9},
    "NightCrane": {"UK": 6, "NSDC": 3},
}
# One more Kupolex address is listed with the party and removed from every list on this day
# (as an address listed in error is): the delisting the course screens on a date.
DELISTED_PARTY, DELISTED_ON = "Kupolex", "2024-03-19"


def _delisted_id(eco, listed: list[int]) -> int | None:
    """The first address of the party's entity beyond those on the current list."""
    ent = eco.by_name[DELISTED_PARTY]
    current = set(listed[:6])
    return next(
        (a for a, e in enumerate(eco.book.entity) if e == ent.id and a not in current), None
    )


def _listed_ids(eco) -> list[tuple[int, int]]:
    """``(party index, address id)`` of every Bitcoin address on the current training list."""
    return [(i, a) for i, addresses in enumerate(_party_addresses(eco)) for a in addresses[:6]]


def _party_addresses(eco) -> list[list[int]]:
    book, out = eco.book, []
    for name, *_rest in PARTIES:
        ent = eco.by_name[name]
        mine = [
            a
            for a, e in enumerate(book.entity)
            if e == ent.id and book.role[a] in ("hot", "cold", "held", "receive")
        ]
        if name == "Ferrum Trade":  # the nested service: its deposit addresses at its host
            mine = [
                a
                for a, b in enumerate(book.beneficiary)
                if b == ent.id and book.entity[a] != ent.id
            ]
        out.append(mine)
    return out


def listed_bitcoin_addresses(eco) -> set[int]:
    """Address ids on the current training list (what the ``sanctions-01`` check needs)."""
    return {a for _, a in _listed_ids(eco)}


def _shifted(day: str, days: int, as_of: str) -> str:
    return min((dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat(), as_of)


def bitcoin_designations(eco, eth_addresses: dict[str, list[str]], as_of: str) -> list[dict]:
    """The course's designations as records: four fictional parties with their Bitcoin
    addresses (and two ETH/USDT addresses each when the account ledger has them), plus one
    more Kupolex address listed with the party and delisted on :data:`DELISTED_ON`."""
    book, records = eco.book, []
    party_addresses = _party_addresses(eco)
    for i, (name, listed_name, aliases, program, listed, native) in enumerate(PARTIES):
        lists = ["OFAC", *OTHER_LISTS[name]]
        dates = {"OFAC": listed} | {
            k: _shifted(listed, d, as_of) for k, d in OTHER_LISTS[name].items()
        }
        addresses = [("bitcoin", book.address[a]) for a in party_addresses[i][:6]]
        for addr in eth_addresses.get(name, [])[:2]:
            addresses += [("ethereum", addr, "ETH"), ("ethereum", addr, "USDT")]
        record = {"entity": listed_name, "addresses": addresses, "lists": lists,
                  "listed": dates, "delisted": None, "programs": [program], "aliases": aliases}  # fmt: skip
        if native:
            record["native"] = native
        records.append(record)
        delisted = _delisted_id(eco, party_addresses[i]) if name == DELISTED_PARTY else None
        if delisted is not None:
            records.append(
                {**record, "addresses": [("bitcoin", book.address[delisted])],
                 "delisted": min(DELISTED_ON, as_of)}
            )  # fmt: skip
    return records


def sanctions(eco, rng, eth_addresses: dict[str, list[str]], extra_records=()) -> dict[str, bytes]:
    """The course's lists: per-asset text lists of OFAC's current list and every list of
    :func:`write_lists` for the Bitcoin designations and ``extra_records`` (those of the
    account chains: designation records as described at the top of this module, joined in
    one call). The newest versions are dated the chain's last day, or the last listing or
    delisting day of a record when later.

    The text lists keep quirks real ones have: a duplicate line, one Bitcoin address filed
    under ETH, and one ETH address in lower case.
    """
    chain_end = date_text(eco.times[-1])
    records = bitcoin_designations(eco, eth_addresses, chain_end) + list(extra_records)
    # the lists are published up to the chain's last day, or to the last listing action when a
    # record's story runs later (a delisting after the chain ends is still on the lists)
    as_of = max([chain_end, *_action_days(records)])
    files = write_lists(records, as_of)
    current = [r for r in _in_force(records, "OFAC", as_of, keep_delisted=False)]
    per_asset: dict[str, list[str]] = {}
    for party in _parties(current, "OFAC"):
        for asset, addr in party["addresses"]:
            per_asset.setdefault(asset, []).append(addr)
    xbt, eth = per_asset.get("XBT", []), per_asset.get("ETH", [])
    if xbt and eth:
        eth.insert(1, xbt[0])  # an address under the wrong asset
        eth.append(eth[0].lower())  # an EVM address in lower case
        xbt.append(xbt[2 % len(xbt)])  # a duplicate
    for asset, addresses in sorted(per_asset.items()):
        files[f"sanctions/sanctioned_addresses_{asset}.txt"] = (
            "\n".join(addresses) + "\n"
        ).encode()
    return dict(sorted(files.items()))
