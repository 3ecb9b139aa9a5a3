"""The 2026 account economy as generated: cases on their own random streams, varying with the
seed, and the Bitcoin chain untouched by them."""

import hashlib
import json
import random

import pytest
from chaintrace.sim import generate, xcases


def _digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("xchain")
    generate(42, 1_500, root / "d", root / "t", name="small")
    return root


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
    before = {**_digests(base / "d"), **{"truth/" + k: v for k, v in _digests(base / "t").items()}}
    after = {**_digests(tmp_path / "d"), **{"truth/" + k: v for k, v in _digests(tmp_path / "t").items()}}
    changed = {k for k in before if before[k] != after.get(k)}
    assert {"cases/throwaway-99.json", "truth/cases/throwaway-99.json"} <= set(after) - set(before)
    # only what holds the new rows changes (and the checksums listing them)
    assert changed <= {"account/transfers.parquet", "account/tags.yaml", "SHA256SUMS",
                       "truth/SHA256SUMS", "account/freezes.csv"}, changed  # fmt: skip
    new = json.loads((tmp_path / "t" / "cases" / "throwaway-99.json").read_text())
    old = json.loads((base / "t" / "cases" / "account-02.json").read_text())
    assert new["tx_hash"] != old["tx_hash"]  # its own stream, not a copy of the other's draws


def test_graded_values_change_with_the_seed(base, tmp_path):
    generate(43, 1_500, tmp_path / "d", tmp_path / "t", name="small")
    for case_id, keys in {
        "evasion-01": ["successor_wallets", "freezable_usd", "migration_tx_hashes", "settlement"],
        "evasion-02": ["successor_wallets", "freezable_uah", "bridges", "mixer"],
        "account-02": ["tx_hash", "value_base_units", "scam_address", "next_value_base_units"],
        "stablecoin-02": ["victim_tx_hash", "value_base_units", "freezable_at_report", "split_addresses"],
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
