"""The capstone case (capstone-01): its answers hold on the bundled data, read with the public
toolkit as a trainee would, and adding it moves no other case (chaintrace.sim.case_capstone)."""

import chaintrace as ct
import pytest
from chaintrace import truth
from chaintrace.sim import build, cases

SEED, SIZE = 7, 3_000


@pytest.fixture(scope="module")
def gt():
    return truth.load().case("capstone-01")


@pytest.fixture(scope="module")
def chain():
    return ct.open_chain()


def test_the_join_cospends_the_suspects_older_coin_into_the_swap_deposit(gt, chain):
    join = chain.tx(gt["join_txid"])
    assert {i.address for i in join.inputs} >= {gt["join_address"]} and join.n_inputs == 2
    assert [(o.address, o.value) for o in join.outputs] == [
        (gt["swap"]["btc_deposit_address"], gt["swap"]["btc_sats"])
    ]
    kyc = chain.tx(gt["kyc_withdrawal_txid"])
    assert gt["join_address"] in {o.address for o in kyc.outputs}
    paid_to = ct.load_case("capstone-01").paid_to
    assert {gt["join_address"], paid_to} <= set(gt["suspect_cluster"])


def test_the_swap_deposit_is_swept_into_the_services_published_wallet(gt, chain):
    tags = ct.load_tagpack(ct.load_dataset().tags_path)
    deposit = gt["swap"]["btc_deposit_address"]
    join = chain.tx(gt["join_txid"])
    sweep = chain.tx(chain.outspend(join.txid, 0).txid)
    assert {tags.attribute(o.address).label for o in sweep.outputs} == {"Swapline"}
    assert tags.attribute(deposit).label != "Swapline"  # the deposit itself is not tagged


def test_the_payout_is_linked_by_amount_and_time_only(gt):
    transfers = ct.load_transfers()
    swap = gt["swap"]
    rows = transfers[transfers["tx_hash"] == swap["payout_tx_hash"]]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["chain"], row["to"], row["asset"]) == ("tron", swap["payout_address"], "USDT")
    assert row["bridge_ref"] == "" and str(row["units"]) == swap["usdt_base_units"]
    join_time = int(ct.open_chain().tx(gt["join_txid"]).time.timestamp())
    assert 0 < row["time"] - join_time < 2 * 3_600
    kept = 1 - swap["usdt_usd"] / swap["btc_usd"]
    assert 0.003 < kept < 0.02, "the payout is the deposit's value less the service's spread"
    assert gt["weakest_link"]["to_tx_hash"] == swap["payout_tx_hash"]


def test_the_sanctions_hits_are_what_screening_finds(gt):
    hit = gt["sanctioned_payment"]["to"]
    screened = ct.screen([hit], on=gt["report_date"])
    listed = screened[screened["result"] == "listed"]
    # the screen names a list by its file ("OFAC SDN"), the truth by its authority ("OFAC")
    assert sorted(name.split()[0] for name in listed["list"]) == sorted(
        h["list"] for h in gt["sanctions_hits"] if h["address"] == hit
    )


def test_the_freezable_amounts_add_up(gt):
    for holder, held in gt["freezable_at_report"].items():
        assert held["usd"] > 0 and held["uah"] == pytest.approx(
            held["usd"] * gt["report_uah_per_usd"], abs=0.5
        ), holder
    assert gt["drop_exchange"] in gt["freezable_usd"] and "Tether" in gt["freezable_usd"]
    late = gt["moved_after_report_tx_hash"]
    assert late not in {
        i["address"] for h in gt["freezable_at_report"].values() for i in h["items"]
    }


def test_the_capstone_moves_no_other_case_file(tmp_path, monkeypatch):
    build.build(SEED, SIZE, tmp_path / "a", tmp_path / "ta", "iso")
    monkeypatch.delitem(cases.REGISTRY, "capstone-01")
    build.build(SEED, SIZE, tmp_path / "b", tmp_path / "tb", "iso")
    for side in ("", "t"):
        old = {p.name: p.read_bytes() for p in (tmp_path / f"{side}a" / "cases").iterdir()}
        new = {p.name: p.read_bytes() for p in (tmp_path / f"{side}b" / "cases").iterdir()}
        assert set(old) - set(new) == {"capstone-01.json"}
        for name in new:
            assert old[name] == new[name], f"{side or 'brief'} {name} moved"


def test_no_lesson_works_on_the_capstone():
    """The capstone is a case nobody has seen: no lesson names it, and only module 13 grades it."""
    from conftest import MODULES, ROOT

    assert [m["number"] for m in MODULES if "capstone-01" in m["assignment_cases"]] == ["13"]
    assert not [m["number"] for m in MODULES if "capstone-01" in m["cases"]]
    for lesson in (ROOT / "course").glob("*.ipynb"):
        assert "capstone-01" not in lesson.read_text(encoding="utf-8"), lesson.name


def test_the_report_gives_no_answer_away(gt):
    """The brief is the victim's report: the payments, nothing the trace must find."""
    brief = (ct.load_dataset().path / "cases" / "capstone-01.json").read_text(encoding="utf-8")
    for secret in (gt["join_txid"], gt["swap"]["btc_deposit_address"], gt["swap"]["payout_tx_hash"],
                   gt["sanctioned_payment"]["to"], gt["kyc_exchange"], "Swapline"):  # fmt: skip
        assert secret not in brief


def test_the_design_is_uniform_and_keeps_the_bundled_case():
    """Each typology, bridge and exchange is drawn equally often over seeds, from a hash of the
    seed; the bundled data's seed keeps the case it was published with."""
    from collections import Counter

    from chaintrace.sim.case_capstone import DESIGNS, design

    gt = truth.load().case("capstone-01")
    bundled = design(20240301)
    assert (bundled["typology"], bundled["bridge"], bundled["exchange"]) == (
        gt["typology"],
        (gt["bridge"]["design"], gt["bridge"]["destination_chain"]),
        gt["drop_exchange"],
    )
    drawn = Counter((d["typology"], d["bridge"], d["exchange"]) for d in map(design, range(6_000)))
    assert set(drawn) == set(DESIGNS)
    assert max(drawn.values()) < 1.15 * 6_000 / len(DESIGNS) < 1.3 * min(drawn.values())


def test_successive_cohorts_get_every_design(tmp_path):
    """A course's cohorts, created one after another in one folder, get the twelve designs in
    turn (the seeds stay random: only their design is steered)."""
    import json

    from chaintrace import cohort
    from chaintrace.sim.case_capstone import DESIGNS, design

    got = []
    for k in range(len(DESIGNS)):
        d = design(cohort._balanced_seed(tmp_path))
        got.append((d["typology"], d["bridge"], d["exchange"]))
        cases = tmp_path / f"class-{k}" / "groundtruth" / "course" / "cases"
        cases.mkdir(parents=True)
        record = {"typology": d["typology"], "drop_exchange": d["exchange"],
                  "bridge": {"design": d["bridge"][0], "destination_chain": d["bridge"][1]}}  # fmt: skip
        (cases / "capstone-01.json").write_text(json.dumps(record), encoding="utf-8")
    assert sorted(got) == sorted(DESIGNS)
    assert set(cohort.capstone_designs(tmp_path).values()) == set(DESIGNS)
