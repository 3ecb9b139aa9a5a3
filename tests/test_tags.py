"""TagPack reading, validation, attribution and writing (chaintrace.tags)."""

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from chaintrace import paths, tags
from chaintrace.tags import (
    CONFIDENCE_LEVELS,
    Tag,
    TagPack,
    TagPackError,
    address_key,
    cluster_rank,
    load_tagpack,
    tags_to_yaml,
    write_tagpack,
)

DATA = Path(__file__).parent / "data" / "tags"
EXCHANGE = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
BECH32 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
DICE = "1dice8EMZmqKvrGE4Qc9bUFf9PX3xaYDp"
MARKET = ["12higDjoCCNXSA95xZMWUdPvXNmkAduhWv", "1FfmbHfnpaZjKFvyi1okTjJJusN455paPH"]
ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"

MINIMAL = """
title: t
creator: c
source: s
currency: BTC
confidence: ownership
tags:
- address: {address}
  label: {label}
"""


@pytest.fixture
def exchanges():
    return load_tagpack(DATA / "exchanges.yaml")


@pytest.fixture
def both():
    return load_tagpack([DATA / "exchanges.yaml", DATA / "darknet.yaml"])


# --- the real confidence vocabulary -----------------------------------------------------------
def test_confidence_levels_match_graphsense_vocabulary():
    assert CONFIDENCE_LEVELS["ownership"] == CONFIDENCE_LEVELS["ledger_immanent"] == 100
    assert CONFIDENCE_LEVELS["forensic_investigation"] == 70
    assert len(CONFIDENCE_LEVELS) == 14
    assert CONFIDENCE_LEVELS["authority_data"] == 60
    assert CONFIDENCE_LEVELS["web_crawl"] == 20
    assert CONFIDENCE_LEVELS["unknown"] == 5
    assert list(CONFIDENCE_LEVELS.values()) == sorted(CONFIDENCE_LEVELS.values(), reverse=True)


# --- reading and inheritance ----------------------------------------------------------------
def test_header_values_are_inherited_and_overridden(exchanges):
    assert len(exchanges) == 5
    first, _, crawl, _, dice = exchanges.tags
    assert first == Tag(
        address=EXCHANGE,
        label="Kraken-like exchange",
        category="exchange",
        confidence="ownership",
        confidence_score=100,
        source="https://example.org/exchange-disclosure",
        currency="BTC",
        network="BTC",
        actor="kraken_like",
        lastmod="2024-03-01",
        is_cluster_definer=True,
        tagpack_title="Course fixture - exchanges and services",
        tagpack_creator="chaintrace tests",
    )
    assert (crawl.confidence, crawl.confidence_score) == ("web_crawl", 20)
    assert crawl.source == "https://example.org/forum/thread-17"
    assert crawl.category == "exchange"  # inherited
    assert (dice.category, dice.lastmod, dice.is_cluster_definer) == (
        "gambling",
        "2023-11-20",
        False,
    )
    assert first.tagpack_path.endswith("exchanges.yaml")
    assert exchanges.header["title"] == "Course fixture - exchanges and services"
    assert exchanges.problems == []


def test_iteration_contains_and_addresses(exchanges):
    assert [t.label for t in exchanges][:2] == ["Kraken-like exchange"] * 2
    assert EXCHANGE in exchanges and "1NotThere" not in exchanges and 42 not in exchanges
    assert BECH32.upper() in exchanges  # bech32 is case-insensitive
    assert exchanges.addresses[:2] == [EXCHANGE, P2SH]
    assert "5 tags" in repr(exchanges)


def test_several_tagpacks_merge(both):
    assert len(both) == 9
    assert {t.tagpack_title for t in both} == {
        "Course fixture - exchanges and services",
        "Course fixture - darknet market",
    }
    assert TagPack.merge([]).tags == []


def test_a_folder_loads_every_yaml(tmp_path):
    for name in ("exchanges.yaml", "darknet.yaml"):
        (tmp_path / name).write_text((DATA / name).read_text())
    assert len(load_tagpack(tmp_path)) == 9


def test_frame_has_one_row_per_tag(both):
    frame = both.frame()
    assert len(frame) == 9
    assert frame["confidence_score"].dtype == "int64"
    assert frame["is_cluster_definer"].dtype == bool
    assert "tagpack_path" not in frame
    assert frame.loc[frame["label"] == "Alice", "confidence_score"].item() == 10
    assert TagPack().frame().empty


# --- lookups and attribution ----------------------------------------------------------------
def test_lookup_sorts_by_confidence_and_matches_case_rules(both):
    found = both.lookup(EXCHANGE)
    assert [t.label for t in found] == ["Kraken-like exchange", "Alice"]
    assert [t.label for t in both.lookup(BECH32.upper())] == ["kraken-like  Exchange", "lucky dice"]
    assert both.lookup(ETH.lower())[0].label == "Hydra-like market"  # EVM: any case
    assert both.lookup(EXCHANGE.lower()) == []  # Base58 is case-sensitive
    assert both.lookup(f"  {EXCHANGE}\n")[0].label == "Kraken-like exchange"


def test_attribute_picks_best_and_reports_conflicts(both):
    a = both.attribute(BECH32)
    assert (a.label, a.category, a.confidence, a.confidence_score) == (
        "kraken-like  Exchange",
        "exchange",
        "web_crawl",
        20,
    )
    assert a.source == "https://example.org/forum/thread-17"
    assert a.conflicting
    [conflict] = a.conflicts
    assert (conflict.label, conflict.category, conflict.confidence_score) == (
        "lucky dice",
        "gambling",
        5,
    )
    assert a.explain() == (
        f"{BECH32}: labelled 'kraken-like  Exchange' (exchange) by 1 tag, best confidence 20 "
        "(web_crawl; source https://example.org/forum/thread-17); 1 conflicting tag at "
        "confidence 5 (unknown) says 'lucky dice' (gambling)."
    )


def test_attribute_without_conflict_and_without_tags(both):
    a = both.attribute(DICE)
    assert a.found and not a.conflicting and a.conflicts == ()
    assert "1 tag, best confidence 50 (service_data" in a.explain()
    none = both.attribute("1111111111111111111114oLvT2")
    assert not none.found and none.label is None and none.confidence_score is None
    assert not none.conflicting
    assert "no label" in none.explain() and "not evidence" in none.explain()


def test_same_label_different_category_is_a_conflict():
    pack = TagPack.from_yaml(
        MINIMAL.format(address=EXCHANGE, label="Garantex-like")
        + f"- {{address: {EXCHANGE}, label: garantex-like, category: market, confidence: web_crawl, source: s2}}\n"
        + f"- {{address: {EXCHANGE}, label: Garantex-Like, category: exchange, confidence: unknown, source: s3}}\n"
    )
    a = pack.attribute(EXCHANGE)
    assert len(a.candidates) == 1 and a.best.n_tags == 3
    assert a.best.categories == ("market", "exchange")
    assert a.conflicting
    assert "disagree on the category: market, exchange" in a.explain()


def test_label_ties_break_on_number_of_tags_then_alphabet():
    text = MINIMAL.format(address=EXCHANGE, label="B-side")
    text += f"- {{address: {EXCHANGE}, label: A-side}}\n"
    one = TagPack.from_yaml(text)
    assert [c.label for c in one.attribute(EXCHANGE).candidates] == ["A-side", "B-side"]
    other = TagPack.from_yaml(MINIMAL.format(address=EXCHANGE, label="B-side"))
    merged = TagPack.merge([one, other])  # B-side now has two tags at 100
    assert [c.label for c in merged.attribute(EXCHANGE).candidates] == ["B-side", "A-side"]
    assert merged.attribute(EXCHANGE).best.n_tags == 2


def test_attribute_many_lines_up_with_input(both):
    frame = both.attribute_many([EXCHANGE, "1111111111111111111114oLvT2", BECH32])
    assert list(frame["address"]) == [EXCHANGE, "1111111111111111111114oLvT2", BECH32]
    assert frame["label"].tolist()[0] == "Kraken-like exchange"
    assert pd.isna(frame["label"].iloc[1]) and pd.isna(frame["confidence_score"].iloc[1])
    assert frame["confidence_score"].dtype == "Int64"
    assert frame["conflicting"].tolist() == [True, False, True]
    assert frame["other_labels"].tolist() == ["Alice", "", "lucky dice"]
    assert frame["n_tags"].tolist() == [2, 0, 2]


def test_attribute_cluster_weighs_members(both):
    cluster = [*MARKET, EXCHANGE, "1111111111111111111114oLvT2"]
    a = both.attribute_cluster(cluster)
    assert a.n_members == 4 and a.n_tagged == 3
    # the cluster-defining exchange tag beats two market members (weight 120)
    assert a.label == "Kraken-like exchange"
    labels = [(c.label, c.n_members, c.weight) for c in a.candidates]
    assert labels == [
        ("Kraken-like exchange", 1, 100),
        ("Hydra-like market", 2, 120),
        ("Alice", 1, 10),
    ]
    text = a.explain()
    assert text.startswith(
        "cluster of 4 addresses: labelled 'Kraken-like exchange' (exchange) by 1 member"
    )
    assert "cluster-defining" in text
    assert (
        "2 conflicting members at confidence 60 (authority_data) say 'Hydra-like market' (market)"
        in text
    )


def test_attribute_cluster_stronger_tag_beats_heavier_weight(both):
    a = both.attribute_cluster([*MARKET, P2SH], name="cluster 7")
    assert a.label == "Kraken-like exchange"  # 1 x 100 beats 2 x 60: confidence before weight
    assert [(c.label, c.weight) for c in a.candidates] == [
        ("Kraken-like exchange", 100),
        ("Hydra-like market", 120),
    ]
    assert a.explain().startswith(
        "cluster 7: labelled 'Kraken-like exchange' (exchange) by 1 member"
    )


def test_attribute_cluster_weight_breaks_ties_of_confidence():
    text = MINIMAL.format(address=EXCHANGE, label="Lone")
    text += "".join(f"- {{address: {a}, label: Pair}}\n" for a in MARKET)
    a = TagPack.from_yaml(text).attribute_cluster([EXCHANGE, *MARKET], name="cluster 8")
    assert [(c.label, c.weight) for c in a.candidates] == [("Pair", 200), ("Lone", 100)]


def test_attribute_cluster_ranks_as_label_clusters(both):
    """One ranking: the TagPack's own order is the order cluster_rank gives."""
    a = both.attribute_cluster([*MARKET, P2SH, EXCHANGE, BECH32, DICE])
    assert list(a.candidates) == sorted(a.candidates, key=cluster_rank)
    assert a.best.cluster_definer and a.label == "Kraken-like exchange"
    assert both.attribute_cluster(["1111111111111111111114oLvT2"]).found is False
    assert (
        "none of its 1 addresses"
        in both.attribute_cluster(["1111111111111111111114oLvT2"]).explain()
    )


def test_override_confidence_wins_cluster_attribution():
    text = MINIMAL.format(address=EXCHANGE, label="Service X").replace("ownership", "override")
    text += "".join(f"- {{address: {a}, label: Mob, confidence: ownership}}\n" for a in MARKET)
    a = TagPack.from_yaml(text).attribute_cluster([EXCHANGE, *MARKET])
    assert a.label == "Service X" and a.confidence == "override"


# --- validation ------------------------------------------------------------------------------
def test_strict_load_lists_every_problem_with_file_line_and_field():
    with pytest.raises(TagPackError) as err:
        load_tagpack(DATA / "problems.yaml", strict=True)
    msg = str(err.value)
    assert msg.startswith("problems.yaml: 6 problems in this TagPack")
    assert "header: unknown field 'confidance' (ignored); did you mean 'confidence'?" in msg
    assert "exchnage" not in msg  # an unknown category is a note, never fatal
    assert "problems.yaml 1 tag (at line 11): no confidence" in msg
    assert (
        "problems.yaml line 13, tag 3 (address '1dice8EMZmqKvrGE4Qc9bUFf9PX3xaYDp'): field "
        "'confidence' is 'very_high', not a level of GraphSense's scale" in msg
    )
    assert "use one of override (100), ownership (100), ledger_immanent (100)" in msg
    assert "problems.yaml line 16, tag 4: mandatory field 'address' is missing" in msg
    assert "line 18, tag 5 (address '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'): repeats tag 1" in msg
    assert "line 21, tag 6 (address '12higDjoCCNXSA95xZMWUdPvXNmkAduhWv'): field 'lastmod'" in msg
    assert "strict=False" in msg


def test_default_load_keeps_every_good_tag_and_says_what_it_did():
    pack = load_tagpack(DATA / "problems.yaml")
    labels = {t.label: t for t in pack}
    # missing and unknown confidences count as the bottom of the scale, visibly
    assert list(labels) == ["Fine exchange", "No confidence at all", "Very sure", "Bad date"]
    assert [t.confidence_score for t in pack] == [100, 5, 5, 100]
    assert labels["Bad date"].lastmod is None
    assert len(pack.problems) == 7
    assert any("'very_high'" in p and p.endswith("(counted as unknown, 5)") for p in pack.problems)
    assert any("tag 4: mandatory field 'address' is missing" in p and "(skipped the tag)" in p
               for p in pack.problems)  # fmt: skip
    assert any("repeats tag 1" in p and "skipped the repeat" in p for p in pack.problems)
    assert pack.problems[-1] == (
        "problems.yaml line 7, tag 1 (address '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'): category "
        "'exchnage' is not in the GraphSense taxonomy; did you mean 'exchange'?"
    )
    report = pack.report()
    assert "  2 tags at ownership (100)" in report and "  2 tags at unknown (5)" in report
    assert "7 problems on load" in report


# --- packs shaped like GraphSense's published ones -------------------------------------------
GRAPHSENSE = DATA / "graphsense"


def test_ledger_immanent_and_network_load():
    pack = load_tagpack(GRAPHSENSE / "usdt_blacklist.yaml", strict=True)
    assert len(pack) == 4 and pack.problems == []
    assert {(t.confidence, t.confidence_score) for t in pack} == {("ledger_immanent", 100)}
    assert [(t.currency, t.network) for t in pack] == [
        ("USDT", "ETH"), ("USDT", "ETH"), ("USDT", "TRX"), ("USDT", "TRX"),
    ]  # fmt: skip
    assert pack.tags[0].context == '{"tx_hash": "0x1111", "event": "AddedBlackList"}'
    assert pack.tags[0].lastmod == "2024-02-29"
    # the network decides which chain the address must be on
    wrong = (GRAPHSENSE / "usdt_blacklist.yaml").read_text().replace("network: TRX", "network: ETH")
    lenient = TagPack.from_yaml(wrong, name="wrong.yaml")
    assert len(lenient) == 2
    assert "the address is a tron address but the tag's network is ETH" in lenient.problems[0]


def test_a_pack_without_any_confidence_loads_every_tag_at_unknown():
    pack = load_tagpack(GRAPHSENSE / "ofac_addresses.yaml")
    assert len(pack) == 4
    assert {t.confidence for t in pack} == {"unknown"}
    assert [t.currency for t in pack] == ["BTC", "BTC", "ETH", "LTC"]
    assert all(t.label == "Sanctions list" and t.lastmod == "2024-05-31" for t in pack)
    assert pack.problems == [
        "ofac_addresses.yaml header: unknown field 'created' (ignored); did you mean 'creator'?",
        "ofac_addresses.yaml 4 tags (at lines 13, 16, 19, 22): no confidence; set 'confidence:' "
        "in the header or on each tag (counted as unknown, 5)",
    ]
    # an unknown-provenance tag never names a cluster by default (attribution's threshold)
    from chaintrace.attribution import DEFAULT_MIN_CONFIDENCE

    assert CONFIDENCE_LEVELS["unknown"] < CONFIDENCE_LEVELS[DEFAULT_MIN_CONFIDENCE]


def test_a_flawed_exchange_pack_keeps_its_good_tags():
    pack = load_tagpack(GRAPHSENSE / "exchange_flawed.yaml")
    assert pack.addresses == [
        "1ErvWoUcmywNmjYhGS64RcfQqRnsHH3yh6",
        "15A2queJii8up6HUq4KwTAWVaZYUKqcrTf",
        "3H7MVxVPFYiEMLVz6pKxy57CdhnvDUxBSA",
    ]
    assert pack.tags[-1].is_cluster_definer and pack.tags[0].actor == "fictive_exchange"
    skipped = [p for p in pack.problems if "skipped" in p]
    assert [p.split(":")[0] for p in skipped] == [
        "exchange_flawed.yaml line 14, tag 2 (address '1L76sMwwxe7YU8X2ejk7v8nDFhexToAkGX')",
        "exchange_flawed.yaml line 18, tag 4 (address '15A2queJii8up6HUq4KwTAWVaZYUKqcrTf')",
        "exchange_flawed.yaml line 20, tag 5 (address '0x24BF8ab8Fca2caff05c3d4Fd207c84040533bD48')",
        "exchange_flawed.yaml line 22, tag 6 (address '3544zmXELaNLXR2W1f2Hj2vKWjT9MPdZ1H')",
    ]
    assert "checksum does not match" in skipped[0]
    assert "an ethereum address but the tag's currency is BTC" in skipped[2]
    assert "mandatory field 'label' is missing" in skipped[3]
    with pytest.raises(TagPackError, match="exchange_flawed.yaml: 4 problems"):
        load_tagpack(GRAPHSENSE / "exchange_flawed.yaml", strict=True)


def test_a_folder_of_published_packs_loads_and_names_each_file_in_its_problems():
    pack = load_tagpack(GRAPHSENSE)
    assert len(pack) == 4 + 4 + 3
    files = {p.split(" ")[0] for p in pack.problems}
    assert files == {"exchange_flawed.yaml", "ofac_addresses.yaml"}


# --- hostile YAML ----------------------------------------------------------------------------
def _alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "title: t\ncreator: c\n" + "\n".join(lines) + f"\ntags: [*a{levels - 1}]\n"


def test_an_alias_bomb_fails_fast_with_a_clear_error(tmp_path):
    import time

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb(9))  # 10**9 values in 700 bytes
    start = time.perf_counter()
    with pytest.raises(TagPackError) as err:
        load_tagpack(bomb)
    assert time.perf_counter() - start < 1.0
    assert re.match(r"bomb.yaml: its YAML aliases \(\*name\) expand to [\d,]{13} values from 35 written",
                    str(err.value))  # fmt: skip
    assert "alias bomb" in str(err.value) and "Write the values out" in str(err.value)


def test_anchors_used_sensibly_still_load():
    text = MINIMAL.format(address=EXCHANGE, label="x").replace(
        "tags:\n", "shared: &shared {label: Shared name, category: exchange}\ntags:\n"
    )
    text += f"- {{<<: *shared, address: {P2SH}}}\n"
    pack = TagPack.from_yaml(text, name="anchors.yaml")
    assert [t.label for t in pack] == ["x", "Shared name"]
    assert pack.problems == [
        "anchors.yaml header: unknown field 'shared' (ignored); remove it or check the spelling"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: t\ntags: &a [*a]\n", "line 2: a YAML alias refers to a value that contains it"),
        ("tags: " + "[" * 40 + "]" * 40 + "\n", "line 1: values nested more than 32 deep"),
        ("tags: " + "[" * 5000 + "]" * 5000 + "\n", "exceeded maximum nesting depth"),
    ],
)
def test_self_referring_and_deeply_nested_yaml_are_refused(text, expected):
    with pytest.raises(TagPackError, match=expected):
        TagPack.from_yaml(text, name="hostile.yaml")


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.format(address=EXCHANGE, label="Caf\xe9").encode("latin-1"))
    with pytest.raises(
        TagPackError, match=r"latin1.yaml: not UTF-8 text \(byte \d+ .*save it again"
    ):
        load_tagpack(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: t\ncreator: c\n", "no tags. A TagPack needs a 'tags:' list"),
        ("- just\n- a list\n", "a TagPack is a YAML mapping"),
        ("title: t\ncreator: c\ntags: [\n", "not valid YAML at line"),
        ("title: t\ncreator: c\ntags:\n- 5\n", "tag 1: is 5, not a mapping"),
        (
            "creator: c\nsource: s\ncurrency: BTC\nconfidence: unknown\ntags:\n- {address: a, label: b}\n",
            "header: mandatory field 'title' is missing",
        ),
        (
            "title: t\ncreator: c\nsource: s\ncurrency: BTC\nconfidence: unknown\n"
            "tags:\n- {address: 17, label: b}\n",
            "field 'address' should be text, not 17; quote it",
        ),
        (
            "title: t\ncreator: c\nsource: s\ncurrency: BTC\nconfidence: unknown\n"
            f"tags:\n- {{address: {EXCHANGE}, label: b, is_cluster_definer: maybe}}\n",
            "field 'is_cluster_definer' should be true or false",
        ),
    ],
)
def test_malformed_input_gives_clear_errors(text, expected):
    with pytest.raises(TagPackError) as err:
        TagPack.from_yaml(text, name="mine.yaml", strict=True)
    assert str(err.value).startswith("mine.yaml: ")
    assert expected in str(err.value)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no TagPack file at .*check the path"):
        load_tagpack(tmp_path / "nope.yaml")
    with pytest.raises(FileNotFoundError, match=r"no TagPack \(\*\.yaml\) in folder"):
        load_tagpack(tmp_path)


def test_malformed_address_is_reported_through_the_address_parser(monkeypatch):
    class FakeAddressError(ValueError):
        pass

    def fake_parse(text):
        if not text.startswith("1"):
            raise FakeAddressError(f"{text!r} has a bad checksum; copy the address again")

    monkeypatch.setattr(tags, "_address_parser", lambda: (fake_parse, FakeAddressError))
    text = MINIMAL.format(address="3bad", label="x")
    with pytest.raises(
        TagPackError, match="field 'address' is malformed: '3bad' has a bad checksum"
    ):
        TagPack.from_yaml(text, strict=True)
    lenient = TagPack.from_yaml(text)
    assert len(lenient) == 0 and lenient.problems[0].endswith(
        "copy the address again (skipped the tag)"
    )
    # currencies the parser does not cover are not checked
    assert len(TagPack.from_yaml(text.replace("BTC", "XMR"), strict=True)) == 1


def test_real_address_parser_rejects_a_typo_when_available():
    parser = tags._address_parser()
    if parser is None:
        pytest.skip("chaintrace.address is not written yet")
    typo = EXCHANGE[:-1] + "3"
    with pytest.raises(TagPackError, match="field 'address' is malformed"):
        TagPack.from_yaml(MINIMAL.format(address=typo, label="x"), strict=True)
    assert len(load_tagpack([DATA / "exchanges.yaml", DATA / "darknet.yaml"])) == 9


# --- writing -------------------------------------------------------------------------------
def test_round_trip_preserves_every_tag(both, tmp_path):
    for pack in (load_tagpack(DATA / "exchanges.yaml"), load_tagpack(DATA / "darknet.yaml")):
        out = write_tagpack(tmp_path / "out.yaml", pack.tags, pack.header)
        again = load_tagpack(out)
        assert again.tags == pack.tags
        assert again.header["title"] == pack.header["title"]


def test_writing_factors_shared_fields_into_the_header(tmp_path):
    pack = load_tagpack(DATA / "darknet.yaml")
    doc = yaml.safe_load(pack.to_yaml())
    assert doc["title"] == "Course fixture - darknet market"
    assert doc["source"] == "https://example.org/seizure-report-42"
    assert doc["abuse"] == "dark_web"
    assert "category" not in doc  # 'user' on one tag
    assert doc["tags"][0] == {
        "address": MARKET[0],
        "label": "Hydra-like market",
        "currency": "BTC",
        "confidence": "authority_data",
        "category": "market",
    }
    assert all("source" not in t for t in doc["tags"])
    assert doc["tags"][2]["confidence"] == "heuristic"


def test_writing_needs_title_and_creator():
    tag = Tag(EXCHANGE, "x", None, "unknown", 5, "s", "BTC")
    with pytest.raises(TagPackError, match="without 'title': pass header="):
        tags_to_yaml([tag])
    text = tags_to_yaml([tag], {"title": "a", "creator": "b", "bogus": 1})
    assert "bogus" not in text


def test_address_key_rules():
    assert address_key(ETH) == ETH.lower()
    assert address_key(BECH32.upper()) == BECH32
    assert address_key(EXCHANGE) == EXCHANGE
    assert address_key("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


# --- the course dataset, once it exists ------------------------------------------------------
def test_course_tagpack_is_sane():
    path = paths.dataset_dir("course") / "tags.yaml"
    if not path.exists():
        pytest.skip("datasets/course/tags.yaml is not generated yet")
    pack = load_tagpack(path)
    assert len(pack) > 0
    assert all(t.confidence in CONFIDENCE_LEVELS for t in pack)
    assert all(t.label and t.source for t in pack)
    frame = pack.frame()
    assert frame["address"].nunique() <= len(frame)
    assert set(frame["category"].dropna()) <= tags.CATEGORIES


def test_address_of_another_chain_than_the_currency_is_reported():
    if tags._address_parser() is None:
        pytest.skip("chaintrace.address is not written yet")
    with pytest.raises(TagPackError, match="is an ethereum address but the tag's currency is BTC"):
        TagPack.from_yaml(MINIMAL.format(address=ETH, label="x"), strict=True)
    usdt = MINIMAL.format(address="TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", label="x")
    assert len(TagPack.from_yaml(usdt.replace("BTC", "USDT"))) == 1


def test_attribution_prints_its_explanation_and_frames_are_accepted(both):
    a = both.attribute(DICE)
    assert str(a) == a.explain()
    frame = both.attribute_many(pd.DataFrame({"address": [DICE], "value": [1]}))
    assert frame["label"].tolist() == ["Satoshi-dice-like game"]


def test_a_checked_pack_is_remembered_and_read_back_identical(tmp_path, monkeypatch):
    from chaintrace import paths

    monkeypatch.setenv("CHAINTRACE_CACHE", str(tmp_path / "cache"))
    course = paths.dataset_dir("course") / "tags.yaml"
    first = load_tagpack(course)
    assert list((tmp_path / "cache" / "tagpacks").glob("*.json"))
    again = load_tagpack(course)
    assert again.tags == first.tags and again.header == first.header
    assert again.problems == first.problems and again.tags[0].tagpack_path == str(course)
    # an edited pack is checked again: the memory is keyed by the bytes
    edited = tmp_path / "tags.yaml"
    edited.write_text(course.read_text(encoding="utf-8").replace("confidence:", "confidence: ", 1))
    assert load_tagpack(edited).tags == first.tags
    assert len(list((tmp_path / "cache" / "tagpacks").glob("*.json"))) == 2


def test_a_damaged_memory_is_ignored(tmp_path, monkeypatch):
    from chaintrace import paths

    monkeypatch.setenv("CHAINTRACE_CACHE", str(tmp_path))
    course = paths.dataset_dir("course") / "tags.yaml"
    first = load_tagpack(course)
    for saved in (tmp_path / "tagpacks").glob("*.json"):
        saved.write_text('{"tags": [{"no such field": 1}]}')
    assert load_tagpack(course).tags == first.tags


def test_explain_reads_in_the_readers_language(both):
    """A Ukrainian trainee reads the attribution in Ukrainian; the TagPack's own words (labels,
    categories, sources) stay as the TagPack writes them."""
    from chaintrace.messages import use

    found, none = both.attribute(BECH32), both.attribute("1111111111111111111114oLvT2")
    cluster = both.attribute_cluster([BECH32, "1111111111111111111114oLvT2"])
    with use("uk"):
        texts = [found.explain(), none.explain(), cluster.explain()]
    assert texts[0].startswith(f"{BECH32}: позначено як 'kraken-like  Exchange' (exchange) однією")
    assert "джерело https://example.org/forum/thread-17" in texts[0]
    assert "суперечить: 'lucky dice' (gambling)" in texts[0]
    assert "мітки немає" in texts[1] and "не доказ" in texts[1]
    assert texts[2].startswith("кластер (адрес: 2): позначено як ")
    for text in texts:  # no English sentence left around the TagPack's words
        for english in ("labelled", "best confidence", "conflicting", "no label", "cluster of"):
            assert english not in text, (english, text)
    assert found.explain().startswith(f"{BECH32}: labelled")  # and English outside the block
