"""Taint models on hand-built transactions with answers worked out by hand."""

from __future__ import annotations

import pytest
from _chain_fixtures import address
from chaintrace import load_case
from chaintrace.graph import build_graph
from chaintrace.taint import (
    compare_taint,
    fifo,
    haircut,
    haircut_simple,
    poison,
    source_outputs,
    taint,
    tiho,
)
from test_graph import tiny_graph, txid

# the stolen coin (6 BTC-units of 100 sats here) mixes with a clean 4 in one transaction
MIX = [
    ("stolen", [], [("thief", 600)]),
    ("clean", [], [("bystander", 400)]),
    ("mix", [("stolen", 0), ("clean", 0)], [("out-a", 500), ("out-b", 490)]),  # fee 10
    ("onward", [("mix", 1)], [("out-c", 300), ("out-d", 180)]),  # fee 10
]
SRC = f"{txid('stolen')}:0"


def by_address(result):
    """``{label: tainted sats}``, naming outputs by the label their address was made from."""
    g = result.graph
    names = {address(label): label for label in ("thief", "out-a", "out-b", "out-c", "out-d")}
    return {
        names.get(g.out_addr_text(o), g.out_label(o)): int(s)
        for o, s in zip(result.outputs, result.sats, strict=True)
    }


def test_four_models_by_hand():
    g = tiny_graph(MIX)
    assert by_address(poison(SRC, dataset=g)) == {
        "thief": 600, "out-a": 500, "out-b": 490, "out-c": 300, "out-d": 180,
    }  # fmt: skip
    # haircut: 600/1000 of each output of mix; out-b's 294/490 = 0.6 of onward's outputs
    assert by_address(haircut(SRC, dataset=g)) == {
        "thief": 600, "out-a": 300, "out-b": 294, "out-c": 180, "out-d": 108,
    }  # fmt: skip
    # FIFO: tape [600 tainted | 400 clean]; out-a takes 0-500, out-b 500-990 (100 tainted);
    # onward's tape [100 tainted | 390 clean]: out-c takes the 100
    assert by_address(fifo(SRC, dataset=g)) == {
        "thief": 600,
        "out-a": 500,
        "out-b": 100,
        "out-c": 100,
    }
    # TIHO: 600 fills the largest output (500) first, then 100 to out-b; then out-c gets 100
    assert by_address(tiho(SRC, dataset=g)) == {
        "thief": 600,
        "out-a": 500,
        "out-b": 100,
        "out-c": 100,
    }


def test_dust_stops_the_spread():
    g = tiny_graph(MIX)
    # out-d would get 108 under haircut: under a 150-sat dust threshold it is clean
    assert "out-d" not in by_address(haircut(SRC, dust=150, dataset=g))
    # FIFO's 100 in out-b is dust at 150, so nothing reaches onward's outputs
    assert by_address(fifo(SRC, dust=150, dataset=g)) == {"thief": 600, "out-a": 500}
    assert by_address(poison(SRC, dust=450, dataset=g)) == {
        "thief": 600,
        "out-a": 500,
        "out-b": 490,
    }


def test_merge_of_two_tainted_paths_counts_taint_once():
    spec = [
        ("stolen", [], [("thief", 1000)]),
        ("split", [("stolen", 0)], [("x", 600), ("y", 400)]),
        ("join", [("split", 0), ("split", 1)], [("z", 1000)]),
    ]
    g = tiny_graph(spec)
    src = f"{txid('stolen')}:0"
    for model in ("poison", "haircut", "fifo", "tiho"):
        result = taint(src, model, dataset=g)
        z = g.output_id(txid("join"), 0)
        assert dict(zip(result.outputs.tolist(), result.sats.tolist(), strict=True))[z] == 1000


def test_fast_haircut_matches_the_dict_loop_on_course():
    case = load_case("theft-01")
    for dust in (0, 50_000):
        fast = haircut(case.theft_txid, dust=dust).as_dict()
        slow = haircut_simple(case.theft_txid, dust=dust)
        assert fast.keys() == slow.keys()
        assert max(abs(fast[k] - slow[k]) for k in fast) <= 1


def test_haircut_walk_and_solve_agree_under_dust(monkeypatch):
    import chaintrace.taint as taint_module

    case = load_case("theft-01")
    walked = haircut(case.theft_txid, dust=20_000).as_dict()  # few txs: the heap walk
    real_walk = taint_module._walk

    def no_budget(*args, **kwargs):
        if kwargs.get("limit") is not None:
            raise taint_module._TooBig
        return real_walk(*args, **kwargs)

    monkeypatch.setattr(taint_module, "_walk", no_budget)
    solved = haircut(case.theft_txid, dust=20_000).as_dict()  # forced: the triangular solve
    slow = haircut_simple(case.theft_txid, dust=20_000)
    assert walked.keys() == solved.keys() == slow.keys()
    assert max(abs(walked[k] - solved[k]) for k in walked) <= 1


def test_models_disagree_and_conserve():
    case = load_case("ransom-01")
    g = build_graph("course")
    ransom = g.out_label(g.find_output(case.payment_txid, case.ransom_address))
    table = compare_taint(ransom, dust=10_000)
    assert list(table.index) == ["poison", "haircut", "fifo", "tiho"]
    assert (
        table.loc["poison", "outputs"]
        >= table.loc["haircut", "outputs"]
        >= table.loc["tiho", "outputs"]
    )
    # poison calls whole coins stolen where haircut counts only the share that came from the ransom
    assert (
        table.loc["poison", "tainted_btc_unspent"]
        > 1.5 * table.loc["haircut", "tainted_btc_unspent"]
    )
    source_btc = case.amount_btc
    for model in ("haircut", "fifo", "tiho"):  # these never create taint (fees and dust lose some)
        assert table.loc[model, "tainted_btc_unspent"] <= source_btc
    frame = fifo(ransom).frame()
    assert (frame["tainted_sats"] <= frame["value_sats"]).all() and frame["share"].between(
        0, 1
    ).all()


def test_bad_input_is_explained():
    g = tiny_graph(MIX)
    with pytest.raises(ValueError, match="unknown taint model 'fofi'"):
        taint(SRC, "fofi", dataset=g)
    with pytest.raises(ValueError, match="dust is a whole number"):
        haircut(SRC, dust=-5, dataset=g)
    with pytest.raises(ValueError, match="no source outputs"):
        source_outputs(g, [])
    assert source_outputs(g, [txid("mix")]).tolist() == [2, 3]
