"""Several sanctions lists: the EU, UK, NSDC and OFAC CSV formats, versions and delistings,
screening on a date, fetching each list, and the training lists written from designation
records."""

import hashlib
import json
import os

import pytest
from chaintrace import screen
from chaintrace.sanction_formats import (
    list_format,
    read_eu_csv,
    read_eu_xml,
    read_nsdc_json,
    read_ofac_csv,
    read_ofsi_csv,
    read_uk_xml,
)
from chaintrace.sanction_sources import LIST_SOURCES, fetch_list
from chaintrace.sanctions import SanctionsError
from chaintrace.screening import load_lists
from chaintrace.sim.lists import write_lists
from test_sanctions import DATA, _ListServer

LISTS = DATA / "lists"
NORTHWIND_BTC = "12higDjoCCNXSA95xZMWUdPvXNmkAduhWv"
PETROV_BTC = "1FfmbHfnpaZjKFvyi1okTjJJusN455paPH"
MIXER_ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
GRANITEX_ETH = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
USDT_TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
KOVAL_BTC = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"


def _facts(read):
    return {
        (e.asset, e.address): (e.entity, e.aliases, e.programs, e.listed, e.delisted) for e in read
    }


# --- each published format ----------------------------------------------------------------------
def test_ofac_csv_reads_remarks_aliases_and_the_continued_remark():
    read = read_ofac_csv(LISTS / "SDN.CSV")
    facts = _facts(read)
    assert facts[("XBT", NORTHWIND_BTC)] == (
        "NORTHWIND OTC, S.R.O.",
        ("NORTHWIND DESK",),
        ("CYBER2", "RUSSIA-EO14024"),
        None,
        None,
    )
    assert facts[("ETH", MIXER_ETH)][0] == "NORTHWIND OTC, S.R.O."
    # the remark runs past 1,000 characters into SDN_COMMENTS.CSV: that address is read too
    assert facts[("XBT", PETROV_BTC)][:2] == ("PETROV, Ivan", ("PETROV, Ivan Sergeyevich",))
    assert len(read) == 4  # the vessel without an address is not an entry
    assert read.issued is None and "no listing dates" in read.problems[0]


def test_eu_xml_and_csv_agree_on_names_scripts_programme_and_dates():
    xml, csv_ = read_eu_xml(LISTS / "eu_fsf.xml"), read_eu_csv(LISTS / "eu_fsf.csv")
    assert xml.issued == csv_.issued == "2024-06-03"
    assert _facts(xml) == _facts(csv_)
    assert _facts(xml)[("USDT", USDT_TRON)] == (
        "Northwind OTC s.r.o.",
        ("Нортвинд ОТС [Cyrillic]",),
        ("RUS",),
        "2024-02-23",
        None,
    )
    assert all(e.list_name == "EU" and e.party_id == "EU.9101.55" for e in xml)
    assert any("free text" in p for p in xml.problems)


def test_uk_lists_ofsi_csv_and_fcdo_xml():
    ofsi = read_ofsi_csv(LISTS / "ConList.csv")
    assert ofsi.issued == "2024-06-03"
    assert _facts(ofsi)[("XBT", PETROV_BTC)] == (
        "PETROV, Ivan",
        ("PETROV, Vanya", "ПЕТРОВ Іван [Cyrillic]"),
        ("Russia",),
        "2022-04-12",
        None,
    )
    uk = read_uk_xml(LISTS / "UK_Sanctions_List.xml")
    assert uk.issued == "2026-02-10"
    assert _facts(uk)[("ETH", GRANITEX_ETH)] == (
        "GRANITEX",
        ("GRANITEX EXCHANGE", "ГРАНИТЕКС [Cyrillic]"),
        ("Cyber",),
        "2025-03-21",
        None,
    )
    assert _facts(uk)[("XBT", KOVAL_BTC)][0] == "KOVAL, Oleg Ivanovich"


def test_nsdc_register_marks_a_delisting_with_its_end_date():
    read = read_nsdc_json(LISTS / "subjects_2025-06-01.json")
    assert read.issued == "2025-06-01"  # from the file name: the register's JSON has no date
    facts = _facts(read)
    assert facts[("ETH", MIXER_ETH)] == (
        "МІКСЕР [Cyrillic]",
        ("MIKSER",),
        ("Указ № 9/2022",),
        "2022-08-08",
        "2025-03-21",
    )
    assert facts[("ETH", GRANITEX_ETH)][3:] == ("2024-03-12", None)
    assert len(read) == 2  # the website attribute is not an address


@pytest.mark.parametrize(
    ("name", "kind"),
    [("SDN.CSV", "ofac-csv"), ("ALT.CSV", "companion"), ("eu_fsf.xml", "eu-xml"),
     ("eu_fsf.csv", "eu-csv"), ("ConList.csv", "ofsi-csv"), ("UK_Sanctions_List.xml", "uk-xml"),
     ("subjects_2025-06-01.json", "nsdc-json"), ("README.md", None)],
)  # fmt: skip
def test_formats_are_told_apart(name, kind):
    assert list_format(LISTS / name) == kind


def test_a_file_of_another_format_is_refused_with_what_to_do(tmp_path):
    ofsi_xml = tmp_path / "ConList.xml"
    ofsi_xml.write_text("<ArrayOfFinancialSanctionsTarget/>")
    with pytest.raises(SanctionsError, match="not the EU's Financial Sanctions Files XML"):
        read_eu_xml(ofsi_xml)
    with pytest.raises(SanctionsError, match="not the UK Sanctions List XML"):
        read_uk_xml(ofsi_xml)
    cut = tmp_path / "eu.xml"
    cut.write_bytes((LISTS / "eu_fsf.xml").read_bytes()[:900])
    with pytest.raises(SanctionsError, match="not well-formed XML.*fetch the EU's list again"):
        read_eu_xml(cut)
    with pytest.raises(SanctionsError, match="not the State Register"):
        bad = tmp_path / "subjects.json"
        bad.write_text('[{"name": "x"}]')
        read_nsdc_json(bad)


# --- training lists from designation records ----------------------------------------------------
RECORDS = [
    {"entity": "KUPOLEX OU", "addresses": [("bitcoin", NORTHWIND_BTC), ("tron", USDT_TRON, "USDT")],
     "lists": ["OFAC", "EU", "UK", "NSDC"],
     "listed": {"OFAC": "2024-03-10", "EU": "2024-03-19", "UK": "2024-03-14", "NSDC": "2024-03-12"},
     "delisted": None, "programs": ["TRAIN-RUSSIA"], "aliases": ["Kupolex Exchange"], "native": "КУПОЛЕКС"},
    {"entity": "FOGMILL MIXER", "addresses": [("ethereum", MIXER_ETH)], "lists": ["OFAC", "NSDC"],
     "listed": "2022-08-08", "delisted": "2025-03-21", "programs": ["CYBER2"], "aliases": []},
    {"entity": "KOSTROV, Vadim Petrovich", "addresses": [("bitcoin", KOVAL_BTC)],
     "lists": ["OFAC", "UK", "EU"], "listed": "2024-03-12", "delisted": None,
     "programs": ["TRAIN-CYBER"], "aliases": ["NightCrane admin"]},
]  # fmt: skip


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lists")
    for path, data in write_lists(RECORDS, as_of="2025-06-01").items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return folder / "sanctions"


def test_every_list_is_written_in_its_format_with_its_own_dates(written):
    lists = load_lists(written)
    assert lists.names == ["EU", "NSDC", "OFAC SDN", "UK"]
    days = {n: [v.issued for v, _ in lists.histories[n].versions] for n in lists.names}
    # a version on each day a party on that list was listed or delisted, and the current one
    assert days == {
        "EU": ["2024-03-12", "2024-03-19", "2025-06-01"],
        "NSDC": ["2025-06-01"],
        "OFAC SDN": ["2022-08-08", "2024-03-10", "2024-03-12", "2025-03-21", "2025-06-01"],
        "UK": ["2024-03-12", "2024-03-14", "2025-06-01"],
    }
    assert list_format(written / "sdn_advanced.xml") == "ofac-xml"
    assert list_format(written / "archive" / "SDN_2024-03-10.CSV") == "ofac-csv"
    assert list_format(written / "eu" / "xmlFullSanctionsList_1_1.xml") == "eu-xml"
    assert list_format(written / "uk" / "UK_Sanctions_List.xml") == "uk-xml"
    record = json.loads((written / "nsdc" / "subjects.json.source.json").read_text())
    data = (written / "nsdc" / "subjects.json").read_bytes()
    assert record["issued"] == "2025-06-01" and record["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_date_that_matters_listed_delisted_and_listed_later(written):
    lists = load_lists(written)

    def state(address, on):
        found = screen([address], lists, on=on)
        return {r.list: (r.result, r.listed, r.delisted) for r in found.itertuples()}

    # the mixer: listed 2022-08-08, delisted 2025-03-21 by removal (OFAC) and by mark (NSDC)
    assert state(MIXER_ETH, "2024-01-01") == {
        "OFAC SDN": ("listed", "2022-08-08", None),
        "NSDC": ("listed", "2022-08-08", None),
    }
    assert state(MIXER_ETH, "2025-04-01") == {
        "OFAC SDN": ("delisted", "2022-08-08", "2025-03-21"),
        "NSDC": ("delisted", "2022-08-08", "2025-03-21"),
    }
    # a delisted address is never clean: today it still gives rows, with both dates
    assert {r.result for r in screen([MIXER_ETH], lists).itertuples()} == {"delisted"}
    # Kupolex on 2024-03-11: on OFAC's list, not yet on the others
    assert state(NORTHWIND_BTC, "2024-03-11") == {
        "OFAC SDN": ("listed", "2024-03-10", None),
        "EU": ("listed later", "2024-03-19", None),
        "UK": ("listed later", "2024-03-14", None),
        "NSDC": ("listed later", "2024-03-12", None),
    }


def test_a_screen_names_entities_as_written_and_the_versions_it_used(written):
    found = screen([USDT_TRON, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"], written, on="2025-01-01")
    rows = {r.list: r for r in found.itertuples()}
    assert set(rows) == {"OFAC SDN", "EU", "UK", "NSDC"}
    assert rows["NSDC"].entity == "КУПОЛЕКС [Cyrillic]" and "KUPOLEX OU" in rows["NSDC"].aliases
    assert rows["UK"].aliases == "Kupolex Exchange; КУПОЛЕКС [Cyrillic]"
    assert rows["OFAC SDN"].list_version == "2024-03-12" and rows["OFAC SDN"].asset == "USDT"
    assert found.attrs["on"] == "2025-01-01"
    assert any(v.startswith("EU: ") and "issued 2024-03-19" in v for v in found.attrs["versions"])


def test_unreadable_input_is_flagged_never_clean(written):
    lookalike = USDT_TRON[:-1] + "\u0442"  # a Cyrillic 'т' for the last letter
    found = screen([lookalike, "TR7NHqje\u200bKQxGTCi8q8ZY4pL8otSzgjLj6t"], written)
    assert found.loc[found["address"] == lookalike, "result"].tolist() == ["unreadable"]
    cleaned = found[found["address"] != lookalike]
    assert set(cleaned["result"]) == {"listed"} and cleaned["note"].str.contains("ZERO WIDTH").all()
    with pytest.raises(SanctionsError, match="YYYY-MM-DD"):
        screen([USDT_TRON], written, on="next tuesday")


# --- fetching each list, against a server on 127.0.0.1 ------------------------------------------
@pytest.fixture
def server():
    s = _ListServer()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def test_fetch_keeps_each_list_with_its_date_and_refuses_an_older_one(server, tmp_path):
    server.serve((LISTS / "eu_fsf.xml").read_bytes())
    version = fetch_list("eu", tmp_path, server.url)
    assert (version.list_name, version.issued) == ("EU", "2024-06-03")
    assert (tmp_path / "eu" / "archive" / "xmlFullSanctionsList_1_1_2024-06-03.xml").is_file()
    found = screen([NORTHWIND_BTC], tmp_path)
    assert found["list_sha256"].tolist() == [version.sha256]
    older = (LISTS / "eu_fsf.xml").read_bytes().replace(b"2024-06-03T", b"2023-01-01T")
    server.serve(older)
    with pytest.raises(SanctionsError, match="older than the one held.*unchanged"):
        fetch_list("eu", tmp_path, server.url)
    server.serve(b"<export/>")  # a well-formed list with no address in it
    with pytest.raises(SanctionsError, match="lists no digital-currency address"):
        fetch_list("eu", tmp_path, server.url)
    assert load_lists(tmp_path).histories["EU"].versions[-1][0].issued == "2024-06-03"


def test_the_register_is_fetched_through_its_api_with_the_key_and_dated_by_the_fetch(
    server, tmp_path, monkeypatch
):
    subjects = json.loads((LISTS / "subjects_2025-06-01.json").read_text())
    actions = {str(s["sid"]): s.pop("actions") for s in subjects}
    plain = {"sid": 51003, "name": "ІНШИЙ", "translit": "INSHYI", "attributes": []}
    pages = {"individual": [plain], "legal": subjects}
    asked = []

    def answer(path):
        asked.append((path, server.headers.get("x-cota-public-api-key")))
        if path.startswith("/v2/subjects?subjectType="):
            body = pages[path.rpartition("=")[2]]
        else:
            body = actions[path.split("/")[2]]
        data = json.dumps(body, ensure_ascii=False).encode()
        return 200, {"Content-Length": str(len(data))}, [data], 0

    server.answer = answer
    monkeypatch.setenv("NSDC_API_KEY", "test-key")
    base = server.url.rsplit("/", 1)[0]
    version = fetch_list("nsdc", tmp_path, base)
    # two pages of subjects, then the actions of the two with a wallet only; the key each time
    assert [p for p, _ in asked] == [
        "/v2/subjects?subjectType=individual", "/v2/subjects?subjectType=legal",
        "/subjects/51001/actions", "/subjects/51002/actions",
    ]  # fmt: skip
    assert {key for _, key in asked} == {"test-key"}
    record = json.loads((tmp_path / "nsdc" / "subjects.json.source.json").read_text())
    assert record["dated_by"] == "the fetch" and record["issued"] == version.issued
    found = screen([MIXER_ETH], tmp_path, on="2025-04-01")
    assert found[["list", "result", "delisted"]].values.tolist() == [
        ["NSDC", "delisted", "2025-03-21"]
    ]


def test_ofac_csv_is_fetched_with_its_companion_files(server, tmp_path):
    bodies = {
        name: (LISTS / name).read_bytes() for name in ("SDN.CSV", "ALT.CSV", "SDN_COMMENTS.CSV")
    }

    def answer(path):
        data = bodies[path.rpartition("/")[2]]
        return 200, {"Content-Length": str(len(data))}, [data], 0

    server.answer = answer
    version = fetch_list("ofac-csv", tmp_path, server.url.rsplit("/", 1)[0] + "/SDN.CSV")
    for name in bodies:
        assert (tmp_path / name).read_bytes() == bodies[name]
        stem, _, ext = name.rpartition(".")
        assert (tmp_path / "archive" / f"{stem}_{version.issued}.{ext}").is_file()
    [row] = screen([PETROV_BTC], tmp_path).itertuples()  # its address is in SDN_COMMENTS.CSV
    assert (row.list, row.entity, row.aliases) == (
        "OFAC SDN",
        "PETROV, Ivan",
        "PETROV, Ivan Sergeyevich",
    )


def test_the_fetch_command_fetches_several_lists(server, tmp_path, capsys, monkeypatch):
    from chaintrace import sanction_sources
    from chaintrace.cli import main

    server.serve((LISTS / "UK_Sanctions_List.xml").read_bytes())
    for key in LIST_SOURCES:
        monkeypatch.setitem(sanction_sources.LIST_SOURCES, key,
                            LIST_SOURCES[key].__class__(**{**LIST_SOURCES[key].__dict__, "url": server.url}))  # fmt: skip
    code = main(["fetch-sanctions", "--to", str(tmp_path), "--list", "uk", "--list", "eu"])
    out, err = capsys.readouterr()
    assert code == 2  # the UK file is no EU list: that one is refused, the UK one kept
    assert "kept UK_Sanctions_List.xml, issued 2026-02-10" in out and "NOT FETCHED eu" in err
    assert os.path.isfile(tmp_path / "uk" / "UK_Sanctions_List.xml")


def test_a_party_still_listed_loses_only_the_delisted_address(tmp_path):
    kept, dropped = NORTHWIND_BTC, PETROV_BTC
    base = {"entity": "KUPOLEX OU", "lists": ["OFAC", "NSDC"], "listed": "2024-03-10",
            "delisted": None, "programs": ["TRAIN"], "aliases": []}  # fmt: skip
    records = [
        {**base, "addresses": [("bitcoin", kept)]},
        {**base, "addresses": [("bitcoin", dropped)], "delisted": "2024-03-19"},
    ]
    for path, data in write_lists(records, as_of="2024-03-24").items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    lists = load_lists(tmp_path)
    on_15 = screen([dropped], lists, on="2024-03-15")
    assert on_15[["list", "result"]].values.tolist() == [["OFAC SDN", "listed"]]
    on_20 = screen([dropped], lists, on="2024-03-20")
    assert on_20[["list", "result", "delisted"]].values.tolist() == [
        ["OFAC SDN", "delisted", "2024-03-19"]
    ]
    # the register keeps the subject sanctioned and drops only that wallet
    nsdc = json.loads((tmp_path / "sanctions" / "nsdc" / "subjects.json").read_text())
    assert [a["value"] for a in nsdc[0]["attributes"]] == [kept]
    assert set(screen([kept], lists)["result"]) == {"listed"}


def test_the_course_lists_hold_a_delisting_and_keep_the_current_list_as_it_was():
    from chaintrace import load_sanctions, paths

    folder = paths.dataset_dir("course") / "sanctions"
    lists = load_lists(folder)
    assert lists.names == ["EU", "NSDC", "OFAC SDN", "UK"]
    ofac = lists.histories["OFAC SDN"].versions
    ever = {e.address for _, read in ofac for e in read}
    removed = {e.address: e.entity for _, read in ofac for e in read}
    removed = {a: n for a, n in removed.items() if a in ever - {e.address for e in ofac[-1][1]}}
    # the Bitcoin delisting, and the contract mixer's pools (the account chains' designations)
    [gone] = [a for a, name in removed.items() if name == "KUPOLEX OU"]
    assert {n for a, n in removed.items() if a != gone} == {"Vortex Cash"}
    for pool in (a for a in removed if a != gone):
        assert screen([pool], lists).set_index("list").loc["OFAC SDN", "result"] == "delisted"
    assert (
        screen([gone], lists, on="2024-03-15").set_index("list").loc["OFAC SDN", "result"]
        == "listed"
    )
    later = screen([gone], lists, on="2024-03-20").set_index("list").loc["OFAC SDN"]
    assert (later["result"], later["delisted"], later["entity"]) == (
        "delisted",
        "2024-03-19",
        "KUPOLEX OU",
    )
    current = load_sanctions(folder)  # what the notebooks read: OFAC's current list
    assert gone not in current and current.issued == ofac[-1][0].issued


def test_the_screen_command_on_a_date_counts_a_delisted_address_as_a_match(written, capsys):
    from chaintrace.cli import main

    args = ["screen", MIXER_ETH, "--sanctions", str(written), "--on", "2025-04-01"]
    assert main(args) == 1  # delisted on 2025-03-21: listed before, never clean
    out = capsys.readouterr().out
    assert (
        "list: OFAC SDN: SDN_2025-03-21.CSV + sdn_advanced_2025-03-21.xml, issued 2025-03-21" in out
    )
    assert "delisted" in out and "2022-08-08" in out
    assert main(["screen", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "--sanctions", str(written),
                 "--on", "latest"]) == 0  # fmt: skip
    assert (
        main(["screen", USDT_TRON[:-1] + "\u0442", "--sanctions", str(written), "--on", "latest"])
        == 3
    )


def test_free_text_numbers_are_not_addresses_and_an_undated_answer_is_not_a_guess(tmp_path):
    from chaintrace.sanction_formats import addresses_in_text

    assert addresses_in_text("OGRN 1234567890123456789012345; INN 7700000000") == []
    # OFAC's CSV alone, fetched later than the date asked, gives no listing date
    (tmp_path / "SDN_2024-06-01.CSV").write_bytes((LISTS / "SDN.CSV").read_bytes())
    [row] = screen([NORTHWIND_BTC], tmp_path, on="2024-01-01").itertuples()
    assert row.result == "undetermined" and "no listing date" in row.note


@pytest.mark.parametrize(
    ("name", "reader"),
    [("SDN.CSV", read_ofac_csv), ("eu_fsf.xml", read_eu_xml), ("eu_fsf.csv", read_eu_csv),
     ("ConList.csv", read_ofsi_csv), ("UK_Sanctions_List.xml", read_uk_xml),
     ("subjects_2025-06-01.json", read_nsdc_json)],
)  # fmt: skip
def test_damaged_files_give_a_list_or_a_clear_error_never_a_traceback(name, reader, tmp_path):
    import random

    data = (LISTS / name).read_bytes()
    rng = random.Random(name)
    damaged = [data[:cut] for cut in range(0, len(data), max(1, len(data) // 40))]
    for _ in range(40):
        flipped = bytearray(data)
        for _ in range(3):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        damaged.append(bytes(flipped))
    damaged += [
        data.replace(b"actions", b"actionz"),
        data.replace(b'"actions": [', b'"actions": [1, "x", '),
    ]
    for i, body in enumerate(damaged):
        path = tmp_path / f"{i}_{name}"
        path.write_bytes(body)
        try:
            reader(path)
        except SanctionsError:
            pass


def test_account_chain_records_join_the_course_lists_in_one_call():
    """The generator's own designations and records handed in (as the account chains' are)
    are written together; a delisting after the chain's last day still reaches the lists."""
    from chaintrace.sim import lists
    from chaintrace.sim.build import simulate

    eco = simulate(42, 1_500, None, True)
    mixer = {"entity": "FOGMILL MIXER", "addresses": [("ethereum", MIXER_ETH)],
             "lists": ["OFAC", "EU", "UK", "NSDC"], "listed": "2022-08-08",
             "delisted": "2025-03-21", "programs": ["CYBER2"], "aliases": ["Fogmill"]}  # fmt: skip
    files = lists.sanctions(eco, None, {}, extra_records=[mixer])
    assert files == lists.sanctions(eco, None, {}, extra_records=[mixer])  # same bytes
    assert b"<Year>2025</Year><Month>3</Month><Day>21</Day>" in files["sanctions/sdn_advanced.xml"]
    assert MIXER_ETH.encode() in files["sanctions/archive/sdn_advanced_2022-08-08.xml"]
    assert MIXER_ETH.encode() not in files["sanctions/sdn_advanced.xml"]
    assert b"KUPOLEX OU" in files["sanctions/sdn_advanced.xml"]
    nsdc = json.loads(files["sanctions/nsdc/subjects.json"])
    [fogmill] = [s for s in nsdc if s["translit"] == "FOGMILL MIXER"]
    assert fogmill["status"] == "excluded" and fogmill["actions"][0]["endDate"] == "21.03.2025"
    without = lists.sanctions(eco, None, {})
    assert (
        without["sanctions/sanctioned_addresses_XBT.txt"]
        == files["sanctions/sanctioned_addresses_XBT.txt"]
    )
