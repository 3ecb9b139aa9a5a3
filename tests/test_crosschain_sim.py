"""The 2026 account economy as generated: cases on their own random streams, varying with the
seed, and the Bitcoin chain untouched by them."""

import datetime as dt
import hashlib
import json
import random

import pytest
from chaintrace.sim import crosschain, generate, xcases


def _digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("xchain")
    seen = {}
    original = crosschain.build

    def keep(*args, **kw):
        seen["out"] = original(*args, **kw)
        return seen["out"]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(crosschain, "build", keep)
        generate(42, 1_500, root / "d", root / "t", name="small")
    return {"root": root, "designations": seen["out"][3]}


def test_designation_records_have_the_documented_shape(base):
    records = base["designations"]
    assert records and all(set(r) == set(crosschain.DESIGNATION_FIELDS) for r in records)
    for r in records:
        assert set(r["lists"]) <= {"OFAC", "EU", "UK", "NSDC"} and r["lists"]
        assert all(chain in ("ethereum", "tron", "bsc") for chain, _ in r["addresses"])
        dt.date.fromisoformat(r["listed"])
        assert r["delisted"] is None or r["delisted"] > r["listed"]
    delisted = [r for r in records if r["delisted"]]
    assert [r["entity"] for r in delisted] == ["Vortex Cash"]
    truth = json.loads((base["root"] / "t" / "cases" / "evasion-01.json").read_text())
    listed = {(c, a) for r in records for c, a in r["addresses"]}
    assert {(e["chain"], e["address"]) for e in truth["exposure"]} <= listed
    by_entity = {}
    for r in records:  # each list records its own date
        for name in r["lists"]:
            by_entity.setdefault(r["entity"], {})[name] = r["listed"]
    assert len(set(by_entity[truth["sanctioned_exchange"]].values())) > 1


def test_adding_a_case_leaves_every_other_case_and_the_bitcoin_chain_as_they_were(
    base, tmp_path, monkeypatch
):
    original = xcases.scripts

    def with_one_more(seed):
        out = dict(original(seed))
        out["throwaway-99"] = out["account-02"]  # the same story once more, on its own stream
        return out

    monkeypatch.setattr(xcases, "scripts", with_one_more)
    generate(42, 1_500, tmp_path / "d", tmp_path / "t", name="small")
    base = base["root"]
    before = {**_digests(base / "d"), **{"truth/" + k: v for k, v in _digests(base / "t").items()}}
    after = {
        **_digests(tmp_path / "d"),
        **{"truth/" + k: v for k, v in _digests(tmp_path / "t").items()},
    }
    changed = {k for k in before if before[k] != after.get(k)}
    assert {"cases/throwaway-99.json", "truth/cases/throwaway-99.json"} <= set(after) - set(before)
    # only what holds the new rows changes (and the checksums listing them)
    assert changed <= {"account/transfers.parquet", "account/tags.yaml", "SHA256SUMS",
                       "truth/SHA256SUMS", "account/freezes.csv"}, changed  # fmt: skip
    new = json.loads((tmp_path / "t" / "cases" / "throwaway-99.json").read_text())
    old = json.loads((base / "t" / "cases" / "account-02.json").read_text())
    assert new["tx_hash"] != old["tx_hash"]  # its own stream, not a copy of the other's draws


def test_graded_values_change_with_the_seed(base, tmp_path):
    base = base["root"]
    generate(43, 1_500, tmp_path / "d", tmp_path / "t", name="small")
    for case_id, keys in {
        "evasion-01": ["successor_wallets", "freezable_usd", "migration_tx_hashes", "settlement"],
        "evasion-02": ["successor_wallets", "freezable_uah", "bridges", "mixer"],
        "account-02": ["tx_hash", "value_base_units", "scam_address", "next_value_base_units"],
        "stablecoin-02": [
            "victim_tx_hash",
            "value_base_units",
            "freezable_at_report",
            "split_addresses",
        ],
    }.items():
        a = json.loads((base / "t" / "cases" / f"{case_id}.json").read_text())
        b = json.loads((tmp_path / "t" / "cases" / f"{case_id}.json").read_text())
        for key in keys:
            assert a[key] != b[key], (case_id, key)


def test_names_are_drawn_per_seed():
    drawn = {tuple(random.Random(f"chaintrace-xchain-{s}/exchange-names").sample(
        xcases.EXCHANGE_PAIRS, 2)) for s in range(20)}  # fmt: skip
    assert len(drawn) > 5
    assert all(a[0] != b[0] for a, b in drawn)  # lesson and assignment never share an exchange
