"""Ground truth of the bundled course dataset agrees with the chain the trainee sees."""

import json

import pandas as pd
import pytest
from chaintrace import paths, truth


@pytest.fixture(scope="module")
def gt():
    return truth.load("course")


@pytest.fixture(scope="module")
def chain():
    d = paths.dataset_dir("course")
    return {k: pd.read_parquet(d / f"{k}.parquet") for k in ("transactions", "outputs", "inputs")}


def test_every_output_address_has_an_owner(gt, chain):
    addrs = set(chain["outputs"]["address"]) - {""}
    assert addrs <= set(gt.addresses["address"])
    assert set(gt.transactions["txid"]) == set(chain["transactions"]["txid"])


def test_change_vout_is_an_output_of_the_spender(gt, chain):
    t = gt.transactions[gt.transactions["change_vout"] >= 0]
    outs = chain["outputs"].set_index(["txid", "vout"])
    rows = outs.loc[list(zip(t["txid"], t["change_vout"], strict=True))]
    owners = rows["address"].map(gt.entity_id_of).to_numpy()
    assert (owners == t["entity_id"].to_numpy()).mean() > 0.99


def test_ransom_case_traces_through_the_chain(gt, chain):
    brief = json.loads((paths.dataset_dir("course") / "cases" / "ransom-01.json").read_text())
    answer = gt.case("ransom-01")
    assert brief["reported"]["payment_txid"] == answer["payment_txid"]
    assert "peel_txids" not in brief and "peel_txids" not in brief["reported"]
    ins = chain["inputs"]
    prev = answer["split_txid"]
    for hop in answer["peel_txids"]:  # each hop spends an output of the previous step
        assert prev in set(ins.loc[ins["txid"] == hop, "prev_txid"])
        prev = hop
    last = chain["outputs"][chain["outputs"]["txid"] == answer["peel_txids"][-1]]
    assert list(last["address"]) == [answer["deposit_address"]]
    assert int(last["value"].iloc[0]) == answer["deposit_sats"]
    assert gt.entity_of(answer["deposit_address"]) == answer["exchange"]
    assert answer["n_hops"] == len(answer["peel_txids"]) >= 4


def test_lookups_explain_bad_input(gt):
    with pytest.raises(KeyError, match="not an address of this dataset"):
        gt.entity_of("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    with pytest.raises(KeyError, match="no case"):
        gt.case("nope-99")
