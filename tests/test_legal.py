"""Reliability tables and legal requests: facts vs inferences, measured rates, verified exhibits."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from chaintrace import load_case, load_dataset, load_tagpack, open_chain, truth
from chaintrace.accuracy import change_accuracy, truth_rates
from chaintrace.cluster import cluster_addresses
from chaintrace.graph import build_graph
from chaintrace.heuristics_table import change_table
from chaintrace.legal import (
    FACT_GRADE,
    INFERENCES,
    draft_request,
    measured_rates,
    reliability_table,
)
from chaintrace.report import export_exhibit
from chaintrace.trace import PEEL_REMAINDER, follow_peel_chain, trace_backward, trace_forward
from chaintrace.truth import TruthError


@pytest.fixture(scope="module")
def case():
    return load_case("ransom-01")


@pytest.fixture(scope="module")
def answers():
    return truth.load().case("ransom-01")


@pytest.fixture(scope="module")
def peel(case):
    g = build_graph("course")
    return follow_peel_chain(g.out_label(g.find_output(case.payment_txid, case.ransom_address)))


@pytest.fixture(scope="module")
def clusters():
    return cluster_addresses(load_dataset("course"))


@pytest.fixture(scope="module")
def rates(clusters):
    return truth_rates("course", clusters)  # the course measures against its ground truth


@pytest.fixture(scope="module")
def table(peel, rates, clusters):
    return reliability_table(peel, rates=rates, clustering=clusters)


def test_one_row_per_link_in_trace_order(peel, table):
    assert len(table) == len(peel.hops)
    assert table["output"].tolist() == peel.hops["output"].tolist()
    assert table["sats"].tolist() == peel.hops["sats"].tolist()


def test_only_heuristic_links_are_inferences(peel, table):
    heuristic = peel.hops["method"] == PEEL_REMAINDER[0]
    assert heuristic.any() and (~heuristic).any()
    assert (table["kind"] == "inference").tolist() == heuristic.tolist()
    facts = table[table["kind"] == "fact"]
    assert (facts["grade"] == FACT_GRADE).all()
    assert facts["precision"].isna().all() and (facts["heuristic"] == "").all()


def test_inferences_carry_the_measured_precision(table):
    measured = change_accuracy("course").set_index("heuristic")["precision"]
    inferred = table[table["kind"] == "inference"]
    heuristic = INFERENCES[PEEL_REMAINDER[0]][0]
    assert (inferred["heuristic"] == heuristic).all()
    assert np.allclose(inferred["precision"], measured[heuristic])
    assert (inferred["wrong_1_in"] == round(1 / (1 - measured[heuristic]))).all()


def test_the_vote_on_each_inferred_transaction_is_the_heuristics_table(table):
    votes = change_table("course").set_index("txid")
    inferred = table[table["kind"] == "inference"]
    assert len(inferred)
    for row in inferred.itertuples(index=False):
        vout = int(votes.loc[row.txid, "vout"])
        assert row.vote_vout == vout
        followed = int(row.output.rsplit(":", 1)[1])
        assert row.vote_agrees is (None if vout < 0 else vout == followed)
        if row.vote_agrees is False:
            assert row.grade.startswith("weak inference")
        else:
            assert "inference" in row.grade and row.grade != FACT_GRADE


def test_a_disagreeing_vote_is_graded_weak_whatever_the_rate(table):
    # the ransom split pays the affiliate the larger share: not change, and the vote says so
    split = table[(table["kind"] == "inference") & (table["vote_agrees"] == False)]  # noqa: E712
    assert len(split), "the case's split transaction should be contradicted by the vote"
    assert split["grade"].str.contains("point elsewhere").all()


def test_funded_share_is_computed_from_the_inputs(case):
    trace = trace_forward(case.payment_txid, hops=3)
    table = reliability_table(trace, rates={"peel_chain": 0.9})
    chain = open_chain("course")
    traced = set(trace.hops["output"])
    for txid, share in table.groupby("txid")["funded_share"].first().items():
        tx = chain.tx(txid)
        mine = sum(i.value for i in tx.inputs if f"{i.prev_txid}:{i.prev_vout}" in traced)
        expected = mine / sum(i.value for i in tx.inputs) if tx.inputs else np.nan
        if txid == case.payment_txid:
            assert np.isnan(share), "the start's payer is not on the trace"
        else:
            assert share == pytest.approx(expected)
    assert (table["kind"] == "fact").all() and (table["grade"] == FACT_GRADE).all()


def test_peel_chain_deposit_is_wholly_funded_and_attributed_through_its_cluster(
    table, answers, peel, rates
):
    deposit = table[table["address"] == answers["deposit_address"]]
    assert len(deposit) == 1
    row = deposit.iloc[0]
    assert row["attributed_to"] == answers["exchange"]
    assert row["attribution_basis"] == "cluster + tag"
    assert "common-input cluster" in row["attribution"] and 0 < row["attribution_score"] <= 100
    assert (table["funded_share"].iloc[1:] == 1).all()
    # tags alone do not name the untagged deposit address
    alone = reliability_table(peel, rates=rates)
    assert alone.loc[alone["address"] == answers["deposit_address"], "attributed_to"].iat[0] == ""


def test_tagged_addresses_cite_the_tag_source_and_confidence(table):
    tags = load_tagpack(load_dataset("course").tags_path)
    tagged = table[table["attribution_basis"] == "tag"]
    assert len(tagged)
    for row in tagged.itertuples(index=False):
        a = tags.attribute(row.address)
        assert row.attributed_to == a.label and row.attribution_score == a.confidence_score
        assert a.source in row.attribution


def test_rates_given_as_a_dict_replace_the_measured_ones(peel):
    table = reliability_table(peel, rates={"peel_chain": 0.5})
    inferred = table[table["kind"] == "inference"]
    assert (inferred["precision"] == 0.5).all() and (inferred["wrong_1_in"] == 2).all()
    assert inferred["grade"].str.startswith("weak inference").all()


def test_confident_vote_cites_the_votes_measured_precision(peel, rates):
    table = reliability_table(peel, rates=rates)
    sure = table[(table["vote_agrees"] == True) & (table["vote_confidence"] >= 0.95)]  # noqa: E712
    assert len(sure)
    expected = f"{100 * rates.loc['vote, confidence >= 0.95', 'precision']:.1f} %"
    assert sure["grade"].str.contains(expected, regex=False).all()


def test_backward_trace_names_the_payers(case):
    trace = trace_backward(case.payment_txid, hops=1)
    table = reliability_table(trace, rates={"peel_chain": 0.9})
    assert table["address"].tolist() == trace.hops["from_address"].tolist()
    assert (table["kind"] == "fact").all()


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({"peel_chain": 90}, "between 0 and 1"),
        ("high", "dict"),
        (pd.DataFrame({"p": [1]}), "precision"),
    ],
)
def test_bad_rates_say_what_to_pass(peel, rates, message):
    with pytest.raises(ValueError, match=message):
        reliability_table(peel, rates=rates)


def test_not_a_trace_is_refused():
    with pytest.raises(TypeError, match="trace_forward"):
        reliability_table(pd.DataFrame({"txid": []}))


def test_measured_rates_do_not_depend_on_a_ground_truth_folder(monkeypatch, tmp_path):
    with_truth = measured_rates("course")
    monkeypatch.setenv("CHAINTRACE_GROUNDTRUTH", str(tmp_path))
    without = measured_rates("course")
    pd.testing.assert_frame_equal(with_truth, without)
    assert without["basis"].eq("reference set").all()
    with pytest.raises(TruthError, match="measured_rates"):
        truth_rates("course")  # the course's rates need the ground truth, and say what else to do
    for asked in ("truth", "auto"):
        with pytest.raises(ValueError, match="truth_rates"):
            measured_rates("course", basis=asked)


def test_measured_rates_on_a_labelled_set_handed_in():
    ds = load_dataset("course")
    ref = ds.reference_wallets
    mine = measured_rates(ds, labelled=ref, basis="seized wallets")
    reference = measured_rates(ds)
    cols = ["precision", "picks", "correct"]
    pd.testing.assert_frame_equal(mine[cols], reference[cols])
    assert mine["basis"].eq("seized wallets").all()
    half = measured_rates(ds, labelled=ref.iloc[: len(ref) // 2])
    assert half["basis"].eq("labelled set").all()
    assert half.loc["peel_chain", "picks"] < reference.loc["peel_chain", "picks"]
    with pytest.raises(ValueError, match="wallet"):
        measured_rates(ds, cluster_addresses(ds), labelled=ref[["txid", "change_vout"]])


def test_reference_rates_count_the_reference_wallets_own_change(clusters):
    ds = load_dataset("course")
    rates = measured_rates(ds, clusters, basis="reference")
    ref = ds.reference_wallets.drop_duplicates("txid").set_index("txid")["change_vout"]
    table = change_table("course").set_index("txid")
    picks = table.loc[ref.index, "peel_chain"]
    known = (ref >= 0) & (table.loc[ref.index, "n_candidates"] >= 2)
    n = int(((picks >= 0) & known).sum())
    right = int(((picks >= 0) & known & (picks == ref)).sum())
    row = rates.loc["peel_chain"]
    assert (row["picks"], row["correct"], row["wrong"]) == (n, right, n - right)
    assert row["low"] < row["precision"] < row["high"] and row["basis"] == "reference set"
    assert 0 < rates.loc["common_input_clustering", "precision"] <= 1
    assert "address pairs" in rates.loc["common_input_clustering", "source"]
    on_truth = truth_rates(ds)
    assert on_truth.loc["peel_chain", "picks"] > n  # the whole chain, not a sample
    assert on_truth["basis"].eq("ground truth").all() and list(on_truth.columns) == list(
        rates.columns
    )


def test_request_names_the_deposit_amounts_and_placeholders(table, answers, case, tmp_path, peel):
    files = export_exhibit(peel, tmp_path / "ransom-01", case_id=case.case_id)
    text = draft_request(table, exchange=answers["exchange"], case=case, exhibit=files)
    row = table[table["address"] == answers["deposit_address"]].iloc[0]
    assert answers["deposit_address"] in text and row["txid"] in text
    assert f"{answers['deposit_sats'] / 1e8:.8f}" in text
    assert f"{row['usd_at_time']:,.2f}" in text
    assert "[LEGAL BASIS" in text and case.case_id in text
    for path in files.values():
        digest = path.with_name(path.name + ".sha256").read_text().split()[0]
        assert f"`{path.name}` | `{digest}`" in text
    inferred = table[table["kind"] == "inference"]
    assert all(t in text.split("## Caveats")[1] for t in inferred["txid"])
    groups = inferred.groupby(["grade", inferred["vote_agrees"].astype(str)]).ngroups
    assert text.count("- Hop") == groups < len(inferred)  # like links share one line
    assert "DISAGREES" in text and "wholly from the starting output" in text


def test_request_refuses_an_altered_exhibit(table, answers, tmp_path, peel):
    files = export_exhibit(peel, tmp_path / "ransom-01", formats=("csv",))
    files["csv"].write_text(files["csv"].read_text() + "# edited\n")
    with pytest.raises(ValueError, match="export the exhibit again"):
        draft_request(table, exchange=answers["exchange"], exhibit=files)


def test_request_to_an_exchange_not_on_the_trace_lists_the_names(table):
    with pytest.raises(ValueError, match="clustering=cluster_addresses") as err:
        draft_request(table, exchange="No Such Exchange")
    assert "LuckyOrbit Casino" in str(err.value)


def test_request_asks_only_what_is_chosen(table, answers):
    text = draft_request(table, exchange=answers["exchange"], asks=("preserve",))
    assert "**Preserve**" in text and "**Freeze**" not in text and "**Produce**" not in text
    with pytest.raises(ValueError, match="asks must be"):
        draft_request(table, exchange=answers["exchange"], asks=("seize",))


def test_request_from_a_trace_with_explicit_deposits(case, answers, peel, clusters):
    text = draft_request(
        peel, exchange="Any Name", deposits=[answers["deposit_address"]], clustering=clusters
    )
    assert answers["deposit_address"] in text and "Any Name" in text
    with pytest.raises(ValueError, match="not on this trace"):
        draft_request(peel, exchange="Any Name", deposits=["bc1qnotonthetrace"], rates={})


def test_a_deposit_swept_alone_into_a_tagged_wallet_is_attributed_by_the_sweep():
    from _chain_fixtures import address
    from chaintrace.tags import TagPack
    from test_graph import tiny_graph, txid
    from test_trace import PEEL

    # only the exchange's hot wallet is tagged: the deposit is known by where its coins went
    pack = TagPack.from_yaml(
        "title: t\ncreator: c\nsource: test\ncurrency: BTC\nconfidence: authority_data\n"
        f"tags:\n- {{address: {address('exchange-hot')}, label: Kestrel, category: exchange}}\n"
    )
    trace = follow_peel_chain(f"{txid('cb')}:0", dataset=tiny_graph(PEEL), tags=pack)
    table = reliability_table(trace, rates={"peel_chain": 0.9}, tags=pack)
    by_address = table.set_index("address")
    deposit = by_address.loc[address("exchange-deposit")]
    assert (deposit["attributed_to"], deposit["attribution_basis"]) == ("Kestrel", "sweep")
    assert deposit["attributed_category"] == "exchange" and txid("sweep") in deposit["attribution"]
    assert by_address.loc[address("exchange-hot"), "attribution_basis"] == "tag"
    # the remainder before the deposit was also moved alone, but a remainder is never "swept"
    assert by_address.loc[address("c2"), "attributed_to"] == ""
    assert table["vote_vout"].eq(-1).all()  # a hand-built chain has no dataset to vote on


def test_a_remainder_paid_alone_to_a_tagged_deposit_is_not_attributed(peel, answers):
    from chaintrace.tags import TagPack

    pack = TagPack.from_yaml(
        "title: t\ncreator: c\nsource: test\ncurrency: BTC\nconfidence: authority_data\n"
        f"tags:\n- {{address: {answers['deposit_address']}, label: Test Exchange, category: exchange}}\n"
    )
    table = reliability_table(peel, rates={"peel_chain": 0.9}, tags=pack)
    named = table[table["attributed_to"] == "Test Exchange"]
    assert named["address"].tolist() == [answers["deposit_address"]]
    assert named["attribution_basis"].tolist() == ["tag"]


def test_request_from_a_mixing_trace_warns_that_shares_are_a_taint_choice(case):
    from chaintrace.trace import trace_forward

    trace = trace_forward(case.payment_txid, hops=4)
    table = reliability_table(trace, rates={"peel_chain": 0.9})
    mixed = table[table["funded_share"] < 1]
    assert len(mixed), "four hops forward the ransom meets other coins"
    text = draft_request(table, exchange="Any", deposits=[table["address"].iat[-1]])
    assert "choice of taint model" in text and "wholly from the starting output" not in text


# ----------------------------------------------------------------------------- languages

CYRILLIC = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"


def test_the_table_reads_in_the_readers_language_and_its_codes_never_change(
    peel, rates, clusters, table
):
    from chaintrace.messages import use

    with use("uk"):
        ukrainian = reliability_table(peel, rates=rates, clustering=clusters)  # the reader's
    words = ["statement", "grade", "attribution"]
    assert ukrainian.drop(columns=words).equals(table.drop(columns=words))  # codes and numbers
    assert (ukrainian["grade"] != table["grade"]).all()
    for column in words:
        for text in ukrainian[column]:
            assert not text or any(c in CYRILLIC for c in text.lower()), text
    assert set(table["strength"]) <= {"fact", "strong", "good", "fair", "weak", "unmeasured"}
    facts = table["kind"] == "fact"
    assert (table.loc[facts, "strength"] == "fact").all()
    assert (ukrainian.loc[facts, "grade"] == "факт реєстру: будь-хто може його перевірити").all()
    with pytest.raises(ValueError, match="lang is one of"):
        reliability_table(peel, rates=rates, lang="de")


def test_a_request_is_in_the_language_chosen_for_its_recipient(
    peel, rates, clusters, table, answers, case
):
    from chaintrace.messages import use

    exchange = answers["exchange"]
    english = draft_request(table, exchange=exchange, case=case)
    with use(
        "uk"
    ):  # a Ukrainian reader, a foreign exchange: English, whatever the table's language
        ukrainian_table = reliability_table(peel, rates=rates, clustering=clusters)
        assert draft_request(ukrainian_table, exchange=exchange, case=case) == english
    text = draft_request(ukrainian_table, exchange=exchange, case=case, lang="uk")
    assert text == draft_request(table, exchange=exchange, case=case, lang="uk")
    for term in (
        "арешт майна",
        "тимчасовий доступ до речей і документів",
        "міжнародну правову допомогу",
    ):
        assert term in text
    prose = [
        line
        for line in text.splitlines()
        if line.strip() and not line.startswith(("|", "- Атрибуція")) and "`" not in line[:3]
    ]
    for line in prose:  # every sentence of the request in Ukrainian: nothing left in English
        assert any(c in CYRILLIC for c in line.lower()), line
    for english_words in ("Grade:", "inferred that", "measured precision", "Caveats", "Freeze"):
        assert english_words not in text


def test_a_ukrainian_request_values_each_deposit_in_uah_at_the_nbu_rate(
    peel, rates, clusters, answers
):
    from chaintrace.money import load_prices, value

    text = draft_request(
        peel, exchange=answers["exchange"], rates=rates, clustering=clusters, lang="uk"
    )
    (row,) = [
        line
        for line in text.splitlines()
        if answers["deposit_address"] in line and line.startswith("|")
    ]
    day = row.split("|")[-2].strip()[:10]
    uah = value(answers["deposit_sats"], "BTC", day, "UAH", load_prices("course"), decimals=8)
    ukrainian_number = f"{uah:,.2f}".replace(",", "\u00a0").replace(".", ",")  # 1 234,56
    assert f"| {ukrainian_number} |" in row and "UAH за офіційним курсом НБУ" in text
    english = draft_request(peel, exchange=answers["exchange"], rates=rates, clustering=clusters)
    assert "UAH" not in english  # a foreign exchange gets USD, as before


def test_grades_and_caveats_take_the_readers_number_form(peel, rates, clusters, table, answers):
    """A Ukrainian table and request write ``0,95`` and ``99,9 %``; English keeps ``0.95`` and
    ``99.9 %``; reading a Ukrainian table back in English restores the English numbers."""
    sure = 100 * rates.loc["vote, confidence >= 0.95", "precision"]
    uk = reliability_table(peel, rates=rates, clustering=clusters, lang="uk")
    cited = table["grade"].str.contains(f"{sure:.1f} %", regex=False)
    assert cited.any() and table["grade"][cited].str.contains(">= 0.95", regex=False).all()
    assert uk["grade"][cited].str.contains(f"{sure:.1f} %".replace(".", ","), regex=False).all()
    assert uk["grade"][cited].str.contains(">= 0,95", regex=False).all()
    assert not uk["grade"].str.contains(r"\d\.\d").any()
    assert draft_request(uk, exchange=answers["exchange"], lang="en") == draft_request(
        table, exchange=answers["exchange"], lang="en"
    )
    text = draft_request(table, exchange=answers["exchange"], lang="uk")
    caveats = text.split("## Застереження")[1] if "## Застереження" in text else text
    measured = [line for line in caveats.splitlines() if "%" in line and line.startswith("- ")]
    assert measured and not any(
        re.search(r"\d\.\d", re.sub("`[^`]*`", "", line)) for line in measured
    )
    assert any(re.search(r"\d,\d %", line) for line in measured)
    english = draft_request(table, exchange=answers["exchange"], lang="en")
    assert re.search(r"measured precision \d+\.\d %", english)
