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
    service = gt["swap"]["service"]
    assert {tags.attribute(o.address).label for o in sweep.outputs} == {service}
    assert tags.attribute(deposit).label != service  # the deposit itself is not tagged


def test_the_payout_is_linked_by_amount_and_time_only(gt):
    transfers = ct.load_transfers()
    swap = gt["swap"]
    rows = transfers[transfers["tx_hash"] == swap["payout_tx_hash"]]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["chain"], row["to"], row["asset"]) == ("tron", swap["payout_address"], "USDT")
    assert row["bridge_ref"] == "" and str(row["units"]) == swap["usdt_base_units"]
    join_time = int(ct.open_chain().tx(gt["join_txid"]).time.timestamp())
    first, last = swap["terms"]["pays_within_minutes"]
    assert first * 60 <= row["time"] - join_time <= last * 60, "paid within the service's delay"
    lo, hi = swap["terms"]["fee"]
    kept = 1 - swap["usdt_usd"] / swap["btc_usd"]
    assert lo - 1e-4 < kept < hi + 1e-4, "the payout is the deposit's value less the service's fee"
    assert gt["weakest_link"]["to_tx_hash"] == swap["payout_tx_hash"]


def test_time_or_size_alone_picks_another_customers_payout(gt):
    """Read as a trainee would (transfers, tags, prices): the service's payouts near the
    deposit; the first after it and the one nearest in value are other customers'; the only
    one within the published delay and inside the published fee is the true leg."""
    transfers, prices = ct.load_transfers(), ct.load_prices()
    tags = ct.load_tagpack(ct.load_dataset().path / "account" / "tags.yaml")
    swap = gt["swap"]
    wallets = {t.address for t in tags if t.label == swap["service"]}
    t0 = int(ct.open_chain().tx(gt["join_txid"]).time.timestamp())
    near = transfers[
        transfers["from"].isin(wallets) & transfers["time"].between(t0 - 3 * 3_600, t0 + 3 * 3_600)
    ]
    kept = {r.tx_hash: 1 - ct.value(r.units, r.asset, r.time, "USD", prices, decimals=r.decimals) / swap["btc_usd"]
            for r in near.itertuples()}  # fmt: skip
    after = near[near["time"] >= t0].sort_values("time")
    assert after["tx_hash"].iloc[0] != swap["payout_tx_hash"], "time alone finds the payout"
    assert min(kept, key=lambda h: abs(kept[h])) != swap["payout_tx_hash"], "size alone finds it"
    (lo, hi), (first, last) = swap["terms"]["fee"], swap["terms"]["pays_within_minutes"]
    fits = [h for h, t in zip(near["tx_hash"], near["time"], strict=True)
            if first * 60 <= t - t0 <= last * 60 and lo <= kept[h] <= hi]  # fmt: skip
    assert fits == [swap["payout_tx_hash"]]
    assert {d["tx_hash"] for d in swap["decoys"]} <= set(near["tx_hash"])


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
                   gt["sanctioned_payment"]["to"], gt["kyc_exchange"], gt["swap"]["service"]):  # fmt: skip
        assert secret not in brief


def test_the_design_is_uniform_and_keeps_the_bundled_case():
    """Each typology, bridge, exchange, swap service, hiding and cash-out is drawn equally
    often over seeds, from a hash of the seed; the bundled data's seed keeps the case it was
    published with."""
    from collections import Counter

    from chaintrace.sim.case_capstone import DESIGNS, design, design_key

    gt = truth.load().case("capstone-01")
    assert design_key(design(20240301)) == (
        gt["typology"],
        (gt["bridge"]["design"], gt["bridge"]["destination_chain"]),
        gt["drop_exchange"],
        gt["swap"]["service"],
        gt["obfuscation"],
        gt["cashout"]["kind"],
    )
    drawn = Counter(design_key(d) for d in map(design, range(40_000)))
    assert set(drawn) == set(DESIGNS)
    assert max(drawn.values()) < 1.15 * 40_000 / len(DESIGNS) < 1.3 * min(drawn.values())


def test_successive_cohorts_get_every_design(tmp_path):
    """A course's cohorts, created one after another in one folder, get every design in turn
    (the seeds stay random: only their design is steered)."""
    import json

    from chaintrace import cohort
    from chaintrace.sim.case_capstone import DESIGNS, design, design_key

    got = []
    for k in range(len(DESIGNS)):
        d = design(cohort._balanced_seed(tmp_path))
        got.append(design_key(d))
        cases = tmp_path / f"class-{k}" / "groundtruth" / "course" / "cases"
        cases.mkdir(parents=True)
        record = {"typology": d["typology"], "drop_exchange": d["exchange"],
                  "bridge": {"design": d["bridge"][0], "destination_chain": d["bridge"][1]},
                  "swap": {"service": d["swap"]}, "obfuscation": d["obfuscation"],
                  "cashout": {"kind": d["cashout"]}}  # fmt: skip
        (cases / "capstone-01.json").write_text(json.dumps(record), encoding="utf-8")
    assert sorted(got) == sorted(DESIGNS)
    assert set(cohort.capstone_designs(tmp_path).values()) == set(DESIGNS)
