"""Sanctions lists: per-asset text lists, OFAC sdn_advanced.xml, quirks, screening."""

import hashlib
import io
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from chaintrace import paths, sanctions
from chaintrace.sanctions import (
    SanctionEntry,
    SanctionsError,
    SanctionsList,
    address_family,
    load_sanctions,
)

DATA = Path(__file__).parent / "data" / "sanctions"
XML = DATA / "sdn_advanced.xml"
NORTHWIND_BTC = ["12higDjoCCNXSA95xZMWUdPvXNmkAduhWv", "1FfmbHfnpaZjKFvyi1okTjJJusN455paPH"]
NORTHWIND_ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
NORTHWIND_USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
GRANITEX_BC1_AS_ETH = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
GRANITEX_ETH = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
GRANITEX_TAPROOT = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
PETROV_TRX = "TR5uLzYGrHfgqXZGxf9pozGa9gPVcDogEw"
CLEAN = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"


@pytest.fixture(scope="module")
def sdn():
    return load_sanctions(XML)


# --- text lists --------------------------------------------------------------------------------
def test_text_list_quirks_are_handled_and_reported():
    s = load_sanctions(DATA / "sanctioned_addresses_XBT.txt")
    assert len(s) == 4 and s.assets == ["XBT"]
    assert [e.address for e in s] == [
        *NORTHWIND_BTC,
        GRANITEX_TAPROOT,
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    ]
    assert all(e.source == "sanctioned_addresses_XBT.txt" and e.entity is None for e in s)
    assert s.problems == [
        "sanctioned_addresses_XBT.txt: line 6 repeats line 3 (1FfmbHfnpaZjKFvyi1okTjJJusN455paPH); counted once",
        "sanctioned_addresses_XBT.txt: 1 blank line (line 4) skipped",
        "sanctioned_addresses_XBT.txt: 1 comment line (line 1) skipped",
        "sanctioned_addresses_XBT.txt: 1 line (line 3) had spaces or tabs around the address, trimmed",
    ]


def test_evm_lists_match_in_any_case_and_flag_wrong_assets():
    s = load_sanctions(DATA / "sanctioned_addresses_ETH.txt")
    assert len(s) == 3
    assert GRANITEX_ETH in s and GRANITEX_ETH.upper().replace("0X", "0x") in s
    assert NORTHWIND_ETH in s  # listed in lower case, asked in EIP-55 case
    assert s.lookup(GRANITEX_ETH)[0].address == "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"
    problems = "\n".join(s.problems)
    assert (
        f"line 2 lists {GRANITEX_BC1_AS_ETH} under ETH but it looks like a Bitcoin address"
        in problems
    )
    assert "line 4 (0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359) repeats line 3" in problems
    assert "in other letter case; counted once" in problems
    assert "2 EVM addresses are all lower case" in problems


def test_base58_is_case_sensitive_bech32_is_not():
    s = SanctionsList.from_lines([NORTHWIND_BTC[0], GRANITEX_TAPROOT.upper()], "XBT")
    assert NORTHWIND_BTC[0] in s
    assert NORTHWIND_BTC[0].lower() not in s and NORTHWIND_BTC[0].upper() not in s
    assert GRANITEX_TAPROOT in s
    assert 42 not in s and s.lookup(None) == []


def test_lines_with_several_words_and_inline_comments():
    s = SanctionsList.from_lines(
        [f"{CLEAN}  # exchange hot wallet", f"{NORTHWIND_BTC[0]} {NORTHWIND_BTC[1]}", "", ""],
        "XBT",
        source="mine.txt",
    )
    assert [e.address for e in s] == [CLEAN, NORTHWIND_BTC[0]]
    assert any(
        "line 2 holds 2 words" in p and f"only {NORTHWIND_BTC[0]!r} was taken" in p
        for p in s.problems
    )
    assert not any("blank" in p for p in s.problems)  # trailing blank lines are normal


def test_json_list_and_explicit_asset(tmp_path):
    s = load_sanctions(DATA / "sanctioned_addresses_TRX.json")
    assert [(e.address, e.asset) for e in s] == [(PETROV_TRX, "TRX")]
    plain = tmp_path / "watchlist.txt"
    plain.write_text(f"{CLEAN}\n")
    assert load_sanctions(plain, asset="xbt").assets == ["XBT"]
    with pytest.raises(SanctionsError, match="cannot tell which asset .* pass asset='XBT'"):
        load_sanctions(plain)
    bad = tmp_path / "sanctioned_addresses_ETH.json"
    bad.write_text("{not json")
    with pytest.raises(SanctionsError, match="not valid JSON"):
        load_sanctions(bad)
    bad.write_text('{"a": 1}')
    with pytest.raises(SanctionsError, match="expected a JSON list"):
        load_sanctions(bad)


def test_missing_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="no sanctions list at .*check the path"):
        load_sanctions(tmp_path / "nope.txt")
    with pytest.raises(SanctionsError, match="no sanctions list in folder"):
        load_sanctions(tmp_path)


# --- OFAC sdn_advanced.xml ---------------------------------------------------------------------
def test_xml_entries_carry_entity_programs_and_dates(sdn):
    assert len(sdn) == 8 and sdn.assets == ["ETH", "TRX", "USDT", "XBT"]
    assert sdn.issued == "2024-05-31"
    [entry] = sdn.lookup(NORTHWIND_BTC[0])
    assert entry == SanctionEntry(
        address=NORTHWIND_BTC[0],
        asset="XBT",
        entity="NORTHWIND OTC, S.R.O.",  # the primary name, though listed second
        aliases=("NORTHWIND DESK",),
        programs=("CYBER2",),
        listed="2021-09-21",
        source="sdn_advanced.xml",
        party_id="90001",
        list_name="OFAC SDN",
    )
    [usdt] = sdn.lookup(NORTHWIND_USDT)
    assert usdt.asset == "USDT"
    [granitex] = sdn.lookup(GRANITEX_ETH.lower())
    assert granitex.programs == ("CYBER2", "RUSSIA-EO14024") and granitex.listed == "2022-04-05"
    assert "www.northwind.example" not in sdn  # a Website feature, not an address
    assert not any(e.entity == "DOE Jane" for e in sdn)  # a party without addresses


def test_xml_quirks_are_reported(sdn):
    assert sdn.lookup(GRANITEX_BC1_AS_ETH)[0].asset == "ETH"  # kept as listed
    assert sdn.lookup(GRANITEX_TAPROOT)[0].address == GRANITEX_TAPROOT  # whitespace trimmed
    [petrov] = sdn.lookup(PETROV_TRX)
    assert (
        petrov.entity == "PETROV, Ivan Olegovich"
        and petrov.programs == ()
        and petrov.listed is None
    )
    assert sdn.problems == [
        f"sdn_advanced.xml: party 90002 (GRANITEX EXCHANGE LLC) lists {GRANITEX_BC1_AS_ETH} under "
        "ETH but it looks like a Bitcoin address; kept it (it is screened whatever its asset)",
        f"sdn_advanced.xml: party 90002 (GRANITEX EXCHANGE LLC): spaces around {GRANITEX_TAPROOT!r} trimmed",
        f"sdn_advanced.xml: party 90001 (NORTHWIND OTC, S.R.O.) lists {NORTHWIND_BTC[0]} twice; counted once",
        "sdn_advanced.xml: party 90004 (PETROV, Ivan Olegovich) has addresses but no sanctions entry; its "
        "programs and listing date are unknown",
    ]


@pytest.mark.parametrize(
    "namespace",
    [
        'xmlns="http://www.un.org/sanctions/1.0"',  # the namespace of older publications
        "",
    ],
)
def test_xml_namespace_does_not_matter(namespace):
    text = XML.read_text().replace(
        'xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML"',
        namespace,
    )
    s = SanctionsList.from_xml(io.BytesIO(text.encode()))
    assert len(s) == 8 and s.sources == ["sdn_advanced.xml"]
    assert s.lookup(NORTHWIND_ETH)[0].entity == "NORTHWIND OTC, S.R.O."


def test_xml_is_streamed_and_records_are_dropped(monkeypatch):
    parsers = []
    real = sanctions.ET.iterparse

    def spy(*args, **kwargs):
        parsers.append(real(*args, **kwargs))
        return parsers[-1]

    monkeypatch.setattr(sanctions.ET, "iterparse", spy)
    load_sanctions(XML)
    root = parsers[0].root
    assert root is not None
    for container in ("DistinctParties", "SanctionsEntries", "Locations", "ProfileRelationships"):
        [element] = [e for e in root if e.tag.endswith(container)]
        assert len(element) > 0  # the records were there ...
        for record in element:  # ... and were emptied as soon as they were read
            assert len(record) == 0 and not record.attrib, f"{container} kept a record in memory"


def test_many_parties_stream_in_order():
    party = (
        '<DistinctParty FixedRef="{i}"><Profile ID="{i}"><Identity><Alias Primary="true">'
        "<DocumentedName><DocumentedNamePart><NamePartValue>PARTY {i}</NamePartValue>"
        "</DocumentedNamePart></DocumentedName></Alias></Identity>"
        '<Feature FeatureTypeID="345"><FeatureVersion><VersionDetail>0x{i:040x}</VersionDetail>'
        "</FeatureVersion></Feature></Profile></DistinctParty>"
    )
    entry = (
        '<SanctionsEntry ProfileID="{i}"><EntryEvent><Date><Year>2022</Year><Month>1</Month>'
        '<Day>2</Day></Date></EntryEvent><SanctionsMeasure SanctionsTypeID="1"><Comment>CYBER2'
        "</Comment></SanctionsMeasure></SanctionsEntry>"
    )
    n = 1000
    text = (
        '<Sanctions xmlns="urn:x"><ReferenceValueSets><FeatureTypeValues>'
        '<FeatureType ID="345">Digital Currency Address - ETH</FeatureType></FeatureTypeValues>'
        "</ReferenceValueSets><DistinctParties>"
        + "".join(party.format(i=i) for i in range(1, n + 1))
        + "</DistinctParties><SanctionsEntries>"
        + "".join(entry.format(i=i) for i in range(1, n + 1))
        + "</SanctionsEntries></Sanctions>"
    )
    s = SanctionsList.from_xml(io.BytesIO(text.encode()), source="big.xml")
    assert len(s) == n and s.problems == []
    last = s.lookup(f"0x{n:040x}")[0]
    assert (last.entity, last.programs, last.listed) == (f"PARTY {n}", ("CYBER2",), "2022-01-02")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            XML.read_bytes()[:3000],
            r"not well-formed XML at line \d+, column \d+ .*fetch sdn_advanced.xml again",
        ),
        (b"", "not well-formed XML"),
        (
            b"<sdnList><sdnEntry><uid>1</uid></sdnEntry></sdnList>",
            r"not OFAC's sdn_advanced.xml \(its root element is <sdnList>",
        ),
    ],
)
def test_broken_xml_gives_clear_errors(tmp_path, content, expected):
    path = tmp_path / "sdn_advanced.xml"
    path.write_bytes(content)
    with pytest.raises(SanctionsError, match=expected) as err:
        load_sanctions(path)
    assert str(err.value).startswith("sdn_advanced.xml: ")


def test_xml_without_currency_features_is_reported():
    s = SanctionsList.from_xml(io.BytesIO(b"<Sanctions><DistinctParties/></Sanctions>"))
    assert len(s) == 0
    assert s.problems == [
        "sdn_advanced.xml: no 'Digital Currency Address' feature types; no addresses read"
    ]


# --- a folder with the XML and the text lists extracted from it --------------------------------
def test_folder_merges_xml_and_text_lists():
    s = load_sanctions(DATA)
    assert len(s) == 9
    assert s.sources[0] == "sdn_advanced.xml" and len(s.sources) == 5
    # text-list entries already in the XML add nothing; the XML's richer entry is kept
    assert [e.source for e in s.lookup(NORTHWIND_BTC[1])] == ["sdn_advanced.xml"]
    [extra] = s.lookup("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
    assert extra.entity is None and extra.source == "sanctioned_addresses_XBT.txt"
    assert (
        "sanctioned_addresses_XBT.txt: 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy is not in the XML list; "
        "the files may be from different dates (kept it, without entity or program)"
    ) in s.problems
    assert s.issued == "2024-05-31"


def test_text_lists_alone(tmp_path):
    for f in DATA.glob("sanctioned_addresses_*"):
        shutil.copy(f, tmp_path)
    s = load_sanctions(tmp_path)
    assert s.assets == ["ETH", "TRX", "USDT", "XBT"]
    assert len(s) == 9 and not any("not in the XML" in p for p in s.problems)
    both = load_sanctions(
        [tmp_path / "sanctioned_addresses_XBT.txt", tmp_path / "sanctioned_addresses_USDT.txt"]
    )
    assert len(both) == 5


def test_same_address_under_two_assets_gives_two_entries():
    s = SanctionsList.merge(
        [
            SanctionsList.from_lines([NORTHWIND_USDT], "USDT"),
            SanctionsList.from_lines([NORTHWIND_USDT], "TRX"),
        ]
    )
    assert len(s) == 1 and [e.asset for e in s.lookup(NORTHWIND_USDT)] == ["USDT", "TRX"]
    assert len(s.screen([NORTHWIND_USDT])) == 2


# --- screening ---------------------------------------------------------------------------------
def test_screen_a_list_of_addresses(sdn):
    hits = sdn.screen(
        [CLEAN, f" {NORTHWIND_BTC[0]} ", NORTHWIND_ETH.lower(), NORTHWIND_BTC[0], "", None]
    )
    assert list(hits.columns) == [
        "address", "result", "listed_as", "entity", "aliases", "asset", "programs", "listed",
        "source", "list_issued", "list_sha256", "note",
    ]  # fmt: skip
    assert hits["address"].tolist() == [NORTHWIND_BTC[0], NORTHWIND_ETH.lower()]
    assert hits["listed_as"].tolist() == [NORTHWIND_BTC[0], NORTHWIND_ETH]
    assert hits.iloc[0].to_dict() == {
        "address": NORTHWIND_BTC[0],
        "result": "match",
        "listed_as": NORTHWIND_BTC[0],
        "entity": "NORTHWIND OTC, S.R.O.",
        "aliases": "NORTHWIND DESK",
        "asset": "XBT",
        "programs": "CYBER2",
        "listed": "2021-09-21",
        "source": "sdn_advanced.xml",
        "list_issued": "2024-05-31",
        "list_sha256": hashlib.sha256(XML.read_bytes()).hexdigest(),
        "note": None,
    }
    assert sdn.screen([CLEAN]).empty and list(sdn.screen([]).columns) == list(hits.columns)
    assert len(sdn.screen(GRANITEX_ETH)) == 1  # one string is one address


def test_screen_tables_and_traces(sdn):
    outputs = pd.DataFrame({"address": [CLEAN, GRANITEX_TAPROOT, pd.NA], "value": [1, 2, 3]})
    assert sdn.screen(outputs)["entity"].tolist() == ["GRANITEX EXCHANGE LLC"]
    assert sdn.screen(outputs["address"])["address"].tolist() == [GRANITEX_TAPROOT]
    transfers = pd.DataFrame({"from": [NORTHWIND_ETH], "to": [GRANITEX_ETH], "asset": ["ETH"]})
    assert sdn.screen(transfers)["entity"].tolist() == [
        "NORTHWIND OTC, S.R.O.",
        "GRANITEX EXCHANGE LLC",
    ]

    class Trace:
        def frame(self):
            return outputs

    assert sdn.screen(Trace())["address"].tolist() == [GRANITEX_TAPROOT]


def test_screen_a_real_trace_with_joined_addresses(sdn):
    """A trace's hop lists several addresses as 'a, b': each is screened."""
    hops = pd.DataFrame(
        {"from_address": [f"{CLEAN}, {GRANITEX_TAPROOT}"], "to_address": [NORTHWIND_ETH]}
    )
    hits = sdn.screen(hops)
    assert set(hits["address"]) == {GRANITEX_TAPROOT, NORTHWIND_ETH}


def test_screen_the_toolkits_own_trace():
    import chaintrace

    dataset = chaintrace.load_dataset()
    sanctions = chaintrace.load_sanctions(dataset.sanctions_dir)
    case = chaintrace.load_case("sanctions-01")
    trace = chaintrace.trace_backward(case.deposit_txid, hops=3, stop_at_services=False)
    hits = sanctions.screen(trace)
    assert set(hits["address"]) <= set(
        trace.frame()["from_address"].str.split(", ").explode()
    ) | set(trace.frame()["to_address"].str.split(", ").explode())
    assert len(hits) > 0, "the sanctions-01 flow passes a listed address within three hops"


def test_screen_rejects_what_it_cannot_read(sdn):
    with pytest.raises(SanctionsError, match=r"needs an 'address' column .*rename the column"):
        sdn.screen(pd.DataFrame({"addr": [CLEAN]}))
    with pytest.raises(SanctionsError, match="cannot screen 12 \\(int\\): pass address strings"):
        sdn.screen([CLEAN, 12])


# --- tables and reports ------------------------------------------------------------------------
def test_frame_len_assets_and_report(sdn):
    frame = sdn.frame()
    assert list(frame.columns) == [
        "address",
        "asset",
        "entity",
        "aliases",
        "programs",
        "listed",
        "source",
        "party_id",
    ]
    assert len(frame) == 8 == len(list(sdn))
    assert (
        frame.loc[frame["address"] == GRANITEX_ETH.lower(), "programs"].item()
        == "CYBER2, RUSSIA-EO14024"
    )
    report = sdn.report()
    assert report.startswith("<SanctionsList: 8 addresses, assets ETH, TRX, USDT, XBT, 4 problems>")
    assert (
        "list issued 2024-05-31" in report
        and "XBT: 3 addresses" in report
        and "TRX: 1 address\n" in report
    )
    assert "4 problems (handled):" in report and "counted once" in report
    assert "no problems found" in SanctionsList.from_lines([CLEAN], "XBT").report()
    assert SanctionsList().frame().empty and SanctionsList().assets == []


def test_address_family():
    assert address_family(CLEAN) == "Bitcoin"
    assert address_family(NORTHWIND_ETH) == "EVM"
    assert address_family(NORTHWIND_USDT) == "TRON"
    assert address_family("ltc1qg82tjvx6k3l8r0ptyz8a2e7wsr3lz8ymdqq8gk") == "Litecoin"
    assert address_family("not an address") is None


# --- the course dataset, once it exists ------------------------------------------------------
def test_course_sanctions_are_sane():
    folder = paths.dataset_dir("course") / "sanctions"
    if not folder.exists():
        pytest.skip("datasets/course/sanctions/ is not generated yet")
    s = load_sanctions(folder)
    assert len(s) > 0 and "XBT" in s.assets
    frame = s.frame()
    assert frame["address"].str.strip().eq(frame["address"]).all()
    xml_entries = frame[frame["party_id"].notna()]
    assert xml_entries["entity"].notna().all()


def test_listed_addresses_failing_their_checksum_are_reported(monkeypatch):
    class FakeAddressError(ValueError):
        pass

    def fake_parse(text):
        if text.endswith("X"):
            raise FakeAddressError("the checksum does not match")

    monkeypatch.setattr(sanctions, "_address_parser", lambda: (fake_parse, FakeAddressError))
    s = SanctionsList.from_lines([CLEAN, CLEAN[:-1] + "X"], "XBT", source="x.txt")
    assert len(s) == 2  # kept: the list is evidence as published
    assert s.problems == [
        f"x.txt: line 2: {CLEAN[:-1]}X fails its checksum (the checksum does not match); kept it as listed"
    ]


def test_real_checksums_when_the_address_parser_exists():
    if sanctions._address_parser() is None:
        pytest.skip("chaintrace.address is not written yet")
    bad_case = NORTHWIND_ETH[:-1] + NORTHWIND_ETH[-1].swapcase()
    s = SanctionsList.from_lines([bad_case, GRANITEX_ETH.lower(), GRANITEX_ETH], "ETH")
    assert any("fails its checksum (The EIP-55 checksum" in p for p in s.problems)
    failures = [p for p in s.problems if "fails its checksum" in p]
    assert len(failures) == 1 and failures[0].startswith("<lines>: line 1:")  # the others pass


# --- pasted text: never a false "clean" -------------------------------------------------------
@pytest.mark.parametrize(
    ("pasted", "note"),
    [
        (
            NORTHWIND_BTC[0][:5] + "\u200b" + NORTHWIND_BTC[0][5:],
            "removed ZERO WIDTH SPACE (U+200B) at position 6",
        ),
        (
            "\u2066" + NORTHWIND_ETH + "\u2069",
            "removed LEFT-TO-RIGHT ISOLATE (U+2066) at position 1, POP DIRECTIONAL ISOLATE (U+2069) at position 44",
        ),
        (NORTHWIND_USDT[:3] + " " + NORTHWIND_USDT[3:], "removed SPACE (U+0020) at position 4"),
        (
            "".join(chr(ord(c) + 0xFEE0) for c in NORTHWIND_BTC[1]),
            "read full-width characters at positions 1, 2, 3",
        ),
    ],
)
def test_what_is_safe_to_clean_is_cleaned_and_matches(sdn, pasted, note):
    [hit] = sdn.screen([pasted]).to_dict("records")
    assert hit["result"] == "match" and hit["address"] == pasted
    assert hit["entity"] == "NORTHWIND OTC, S.R.O."
    assert hit["note"].startswith(note)


@pytest.mark.parametrize(
    ("pasted", "why"),
    [
        (
            NORTHWIND_BTC[0].replace("o", "\u043e"),
            "character 8 is 'о' (CYRILLIC SMALL LETTER O (U+043E))",
        ),
        (
            NORTHWIND_USDT.replace("T", "\u0422", 1),
            "character 1 is 'Т' (CYRILLIC CAPITAL LETTER TE (U+0422))",
        ),
        (
            NORTHWIND_ETH.replace("a", "\u03b1", 1),
            "character 4 is 'α' (GREEK SMALL LETTER ALPHA (U+03B1))",
        ),
        ("\u200b\u200b", "holds only blank or invisible characters"),
        (
            NORTHWIND_BTC[0][:-1] + "w",
            "not a valid address, so it cannot be screened: The checksum does not match",
        ),
    ],
)
def test_what_cannot_be_read_is_flagged_never_clean(sdn, pasted, why):
    [row] = sdn.screen([pasted, CLEAN]).to_dict("records")  # the clean address gives no row
    assert row["result"] == "unreadable" and row["address"] == pasted
    assert why in row["note"]
    assert row["entity"] is None or pd.isna(row["entity"])


def test_names_are_shown_as_the_list_writes_them_with_aliases_and_scripts(sdn):
    [petrov] = sdn.lookup(PETROV_TRX)
    assert petrov.entity == "PETROV, Ivan Olegovich"  # LAST, First Patronymic, as sdn.csv
    assert petrov.aliases == ("ПЕТРОВ, Иван Олегович [Cyrillic]", "PETROV, Vanya")
    [hit] = sdn.screen(PETROV_TRX).to_dict("records")
    assert hit["aliases"] == "ПЕТРОВ, Иван Олегович [Cyrillic]; PETROV, Vanya"
    # an entity's name is one part, kept as written
    assert sdn.lookup(GRANITEX_ETH)[0].entity == "GRANITEX EXCHANGE LLC"


def test_screen_says_which_list_version_it_used(tmp_path):
    folder = tmp_path / "lists"
    folder.mkdir()
    shutil.copy(XML, folder)
    shutil.copy(DATA / "sanctioned_addresses_XBT.txt", folder)
    s = load_sanctions(folder)
    xml_sha = hashlib.sha256(XML.read_bytes()).hexdigest()
    txt_sha = hashlib.sha256((DATA / "sanctioned_addresses_XBT.txt").read_bytes()).hexdigest()
    assert [(v.source, v.issued, v.sha256) for v in s.versions] == [
        ("sdn_advanced.xml", "2024-05-31", xml_sha),
        ("sanctioned_addresses_XBT.txt", None, txt_sha),
    ]
    hits = s.screen([NORTHWIND_BTC[0], "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"])
    assert hits["source"].tolist() == ["sdn_advanced.xml", "sanctioned_addresses_XBT.txt"]
    assert hits["list_sha256"].tolist() == [xml_sha, txt_sha]
    assert hits["list_issued"].iloc[0] == "2024-05-31" and pd.isna(hits["list_issued"].iloc[1])
    assert f"read sdn_advanced.xml, issued 2024-05-31, sha256 {xml_sha}" in s.report()
    # an edited file is a different version
    (folder / "sanctioned_addresses_XBT.txt").write_text(CLEAN + "\n")
    assert load_sanctions(folder).versions[1].sha256 != txt_sha


def test_a_list_that_is_not_utf8_gives_a_clear_error(tmp_path):
    path = tmp_path / "sanctioned_addresses_XBT.txt"
    path.write_bytes(b"12higDjoCCNXSA95xZMWUdPvXNmkAduhWv\n\xff\xfe\n")
    with pytest.raises(
        SanctionsError, match=r"sanctioned_addresses_XBT.txt: not UTF-8 text \(byte 35"
    ):
        load_sanctions(path)


# --- fetching, against servers on 127.0.0.1 only ------------------------------------------------
class _ListServer:
    """An HTTP server on 127.0.0.1 answering every GET from ``self.answer`` (status, headers,
    body pieces, pause between pieces)."""

    def __init__(self):
        import http.server
        import threading

        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server API)
                server.headers = self.headers  # what the client sent, for tests to check
                status, headers, pieces, pause = server.answer(self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                for piece in pieces:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    time.sleep(pause)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/SDN_ADVANCED.XML"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, body: bytes, **headers):
        self.answer = lambda path: (200, {"Content-Length": str(len(body)), **headers}, [body], 0)


@pytest.fixture
def list_server():
    server = _ListServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_fetch_verifies_stores_and_dates_the_list(list_server, tmp_path):
    list_server.serve(XML.read_bytes())
    version = sanctions.fetch_sanctions(tmp_path, list_server.url)
    sha = hashlib.sha256(XML.read_bytes()).hexdigest()
    assert (version.issued, version.sha256, version.url) == ("2024-05-31", sha, list_server.url)
    assert (tmp_path / "sdn_advanced.xml").read_bytes() == XML.read_bytes()
    assert (tmp_path / "archive" / "sdn_advanced_2024-05-31.xml").is_file()
    assert not list(tmp_path.glob(".*.part"))
    s = load_sanctions(tmp_path)
    [used] = s.versions
    assert used == version  # the screen can say where and when its list came from
    assert s.screen(NORTHWIND_BTC[0])["list_sha256"].tolist() == [sha]
    # an edited file no longer claims the fetch record
    (tmp_path / "sdn_advanced.xml").write_bytes(XML.read_bytes().replace(b"CYBER2", b"CYBER9"))
    edited = load_sanctions(tmp_path)
    assert edited.versions[0].url is None
    assert any("is not the file fetched from" in p for p in edited.problems)


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (XML.read_bytes()[:4000], {}, "not well-formed XML"),
        (b"<html><body>Service unavailable</body></html>", {}, "not OFAC's sdn_advanced.xml"),
        (
            XML.read_bytes().replace(b"<Year>2024</Year>", b"<Year>2019</Year>", 1),
            {},
            "older than the one held",
        ),
        (XML.read_bytes()[:5000], {"Content-Length": "9999999"}, "cut short"),
        (b"x" * 300_000, {}, "more than 200,000 bytes"),
    ],
)
def test_a_bad_download_is_refused_and_the_held_list_kept(
    list_server, tmp_path, body, headers, expected
):
    shutil.copy(XML, tmp_path / "sdn_advanced.xml")
    list_server.answer = lambda path: (
        200,
        headers or {"Content-Length": str(len(body))},
        [body],
        0,
    )
    with pytest.raises(SanctionsError, match=expected) as err:
        sanctions.fetch_sanctions(tmp_path, list_server.url, max_bytes=200_000)
    assert "is unchanged" in str(err.value)
    assert (tmp_path / "sdn_advanced.xml").read_bytes() == XML.read_bytes()
    assert not list(tmp_path.glob(".*.part"))


def test_a_slow_drip_is_cut_at_the_deadline(list_server, tmp_path):
    pieces = [XML.read_bytes()[i : i + 50] for i in range(0, 2000, 50)]
    list_server.answer = lambda path: (200, {}, pieces, 0.1)  # 4 s in all
    start = time.perf_counter()
    with pytest.raises(SanctionsError, match="took over 0.5 s"):
        sanctions.fetch_sanctions(tmp_path, list_server.url, timeout=2, deadline=0.5)
    assert time.perf_counter() - start < 1.5


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(SanctionsError, match=r"could not fetch .* check the connection"):
        sanctions.fetch_sanctions(tmp_path, "http://127.0.0.1:9/SDN_ADVANCED.XML", timeout=2)


def test_the_fetch_command_prints_what_it_kept(list_server, tmp_path, capsys):
    from chaintrace.cli import main

    list_server.serve(XML.read_bytes())
    assert main(["fetch-sanctions", "--to", str(tmp_path), "--url", list_server.url]) == 0
    assert capsys.readouterr().out.startswith("kept sdn_advanced.xml, issued 2024-05-31, fetched ")
    list_server.serve(b"<html/>")
    assert main(["fetch-sanctions", "--to", str(tmp_path), "--url", list_server.url]) == 2
    assert "is unchanged" in capsys.readouterr().err
