"""Case invariants: every case's story holds on small economies of several seeds, a broken
story is detected, and the builder retries with a derived seed instead of emitting it."""

import json

import pytest
from chaintrace import paths, truth
from chaintrace.sim import build, invariants
from chaintrace.sim.economy import Economy

SEEDS = [1, 2, 3]
CASES = set(invariants.CASES)


@pytest.fixture(scope="module", params=SEEDS)
def eco(request):
    return build.simulate(request.param, 3_000)


def test_every_case_holds(eco):
    assert CASES <= set(eco.cases)
    for case in invariants.CASES:
        assert {"brief", "truth"} <= set(eco.cases[case]), case


def test_coinjoin_would_merge_several_owners(eco):
    t = eco.cases["coinjoin-01"]["truth"]
    assert t["false_merge_owners"] >= 2
    assert t["wasabi_n_equal_outputs"] >= 10
    led = eco.ledger
    for ref in t["whirlpool_mix_txids"]:
        assert 5 <= len(led.t_inputs[ref.idx]) == len(led.t_outputs[ref.idx]) <= 8


def test_theft_value_is_accounted_for(eco):
    t = eco.cases["theft-01"]["truth"]
    ends = t["to_exchanges_sats"] + t["to_mixer_sats"] + t["dormant_sats"] + t["fees_sats"]
    assert ends == t["stolen_sats"] and t["n_legs"] >= 10


def test_a_tampered_ransom_case_is_refused():
    eco = Economy(4, 3_000).run()
    invariants.finalise(eco)
    eco.cases["ransom-01"]["truth"]["deposit_sats"] += 1
    with pytest.raises(invariants.CaseError, match="ransom-01 is broken: deposit amount"):
        invariants.check_ransom(eco)


def test_a_coinjoin_without_other_owners_is_refused():
    eco = Economy(4, 3_000).run()
    st = eco.cases["coinjoin-01"]["state"]
    st["wasabi_tx"] = st["split_tx"]  # the suspect's own split: one owner, no false merge
    with pytest.raises(invariants.CaseError, match="coinjoin-01 is broken"):
        invariants.finalise_coinjoin(eco, invariants.cospend(eco))


def test_builder_retries_then_fails_loudly(monkeypatch):
    calls = []

    def flaky(eco):
        calls.append(eco.attempt)
        if eco.attempt == 0:
            raise invariants.CaseError("case x-01 is broken: test")

    monkeypatch.setattr(invariants, "finalise", flaky)
    assert build.simulate(5, 400).attempt == 1 and calls == [0, 1]

    def broken(eco):
        raise invariants.CaseError("case x-01 is broken: always")

    monkeypatch.setattr(invariants, "finalise", broken)
    with pytest.raises(invariants.CaseError, match="after 6 attempts.*try another seed"):
        build.simulate(5, 400)


ANSWERS = {
    "peel_txids",
    "deposit_sats",
    "payout_txid",
    "cashout_txid",
    "path_txids",
    "sanctioned_address",
    "wasabi_round_txid",
    "exit_txid",
    "legs",
    "exchange_deposits",
    "cluster_addresses",
    "merge_txid",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_course_briefs_hold_no_answers(case):
    brief_text = (paths.dataset_dir("course") / "cases" / f"{case}.json").read_text()
    brief = json.loads(brief_text)
    answer = truth.load("course").case(case)
    assert not ANSWERS & (set(brief) | set(brief["reported"]))
    # what the brief reports agrees with the answers
    for key, value in brief["reported"].items():
        if key in answer:
            assert answer[key] == value, (case, key)
