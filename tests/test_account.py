"""The account-model toolkit on a hand-built two-chain ledger and on case stablecoin-01 (the three-chain
services of 2026: test_crossing.py, test_crosschain_cases.py)."""

import chaintrace
import pandas as pd
import pytest
from chaintrace import account, truth
from chaintrace.account import AccountError
from chaintrace.sim.accounts import tron_address

VICTIM = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
SCAM = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
POOL = "0x" + "ab" * 20
VAULT_ETH = "0x" + "cd" * 20
VAULT_TRON = tron_address(bytes([7]) * 20)
T1, T2, T3 = (tron_address(bytes([i]) * 20) for i in (1, 2, 3))
OTHER = tron_address(bytes([9]) * 20)
USDT = 10**6


def _row(tx, t, frm, to, asset, value, chain="ethereum", log_index=0, ref="", fee="0"):
    return {"chain": chain, "tx_hash": tx, "log_index": log_index, "block": t, "time": t,
            "from": frm, "to": to, "asset": asset, "value": str(value),
            "decimals": 18 if asset == "ETH" else 6, "fee_wei": fee if chain == "ethereum" else None,
            "fee_sun": None, "bridge_ref": ref}  # fmt: skip


def _h(n: int, chain="ethereum") -> str:
    return ("0x" if chain == "ethereum" else "") + f"{n:064x}"


@pytest.fixture
def ledger():
    rows = [
        _row(_h(1), 100, VICTIM, SCAM, "USDT", 10_000 * USDT, fee="1000"),
        _row(_h(2), 200, SCAM, POOL, "USDT", 2_000 * USDT, fee="500"),
        _row(_h(2), 200, POOL, SCAM, "ETH", 6 * 10**17, log_index=1, fee="500"),
        _row(_h(3), 300, SCAM, VAULT_ETH, "USDT", 8_000 * USDT, ref="ARC-1", fee="700"),
        _row(_h(4, "tron"), 400, VAULT_TRON, T1, "USDT", 7_991 * USDT, "tron", ref="ARC-1"),
        _row(_h(5), 350, VAULT_ETH, VICTIM, "USDT", 55 * USDT),  # the vault pays someone else
        _row(_h(6, "tron"), 500, T1, T2, "USDT", 5_000 * USDT, "tron"),
        _row(_h(7, "tron"), 510, T1, T3, "USDT", 2_991 * USDT, "tron"),
        _row(_h(8, "tron"), 900, T3, OTHER, "USDT", 2_991 * USDT, "tron"),
    ]
    return account.prepare(pd.DataFrame(rows))


def test_account_key_accepts_any_case_of_an_ethereum_address_but_not_bitcoin_or_a_hash():
    assert account.account_key(VICTIM) == account.account_key(VICTIM.lower()) == VICTIM.lower()
    assert account.account_key("41" + "01" * 20) == T1  # TRON hex form
    with pytest.raises(AccountError, match="Bitcoin address"):
        account.account_key("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    with pytest.raises(AccountError, match="transaction hash"):
        account.account_key(_h(1))
    with pytest.raises(chaintrace.AddressError):  # a wrong EIP-55 checksum is still refused
        account.account_key(VICTIM[:3] + VICTIM[3].swapcase() + VICTIM[4:])


def test_units_are_exact_integers_and_amounts_are_in_whole_tokens(ledger):
    big = account.prepare(pd.DataFrame([_row(_h(1), 1, VICTIM, SCAM, "ETH", 10**30 + 1)]))
    assert big.loc[0, "units"] == 10**30 + 1  # a float would lose the last wei
    assert ledger.loc[0, "amount"] == 10_000.0
    with pytest.raises(AccountError, match="lacks"):
        account.prepare(pd.DataFrame({"tx_hash": ["x"]}))


def test_forward_trace_crosses_the_swap_and_the_bridge_but_not_the_vaults_other_payments(ledger):
    trail = account.trace_transfers(ledger, _h(1), hops=3)
    assert trail["via"].tolist() == ["start", "transfer", "swap", "transfer", "bridge",
                                     "transfer", "transfer", "transfer"]  # fmt: skip
    assert _h(5) not in set(trail["tx_hash"])  # the vault's payment to someone else
    assert trail[trail["via"] == "bridge"]["to"].tolist() == [T1]
    assert trail.loc[trail["tx_hash"] == _h(8, "tron"), "hop"].tolist() == [3]
    assert trail["units"].sum() > 0 and trail["units"].map(type).eq(int).all()


def test_until_and_min_value_and_stop_at_cut_the_trace(ledger):
    assert _h(8, "tron") not in set(account.trace_transfers(ledger, _h(1), until=800)["tx_hash"])
    small = account.trace_transfers(ledger, _h(1), hops=3, min_value=4_000)
    assert _h(7, "tron") not in set(small["tx_hash"])
    stopped = account.trace_transfers(ledger, _h(1), hops=3, stop_at=[T3])
    assert _h(8, "tron") not in set(stopped["tx_hash"])


def test_backward_trace_returns_from_tron_to_the_victim(ledger):
    back = account.trace_transfers(ledger, _h(6, "tron"), direction="backward", hops=2)
    assert VICTIM in set(back["from"])
    assert {"bridge", "transfer"} <= set(back["via"])


def test_trace_refuses_what_it_cannot_follow(ledger):
    with pytest.raises(AccountError, match="not a transfer hash"):
        account.trace_transfers(ledger, VICTIM)
    with pytest.raises(AccountError, match="Bitcoin txid"):
        account.trace_transfers(ledger, "ab" * 32)
    with pytest.raises(AccountError, match="forward"):
        account.trace_transfers(ledger, _h(1), direction="sideways")


def test_counterparties_sums_both_directions_for_a_lower_case_address(ledger):
    who = account.counterparties(ledger, SCAM.lower())
    row = who[(who["counterparty"] == VICTIM) & (who["asset"] == "USDT")].iloc[0]
    assert (row["received"], row["sent"], row["n_transfers"]) == (10_000.0, 0.0, 1)
    assert set(who["counterparty"]) == {VICTIM, POOL, VAULT_ETH}
    with pytest.raises(AccountError, match="no transfers"):
        account.counterparties(ledger, "0x" + "11" * 20)


def test_freeze_points_at_a_time_with_blacklist_events(ledger):
    freezes = pd.DataFrame([
        {"chain": "tron", "tx_hash": "f1", "time": 600, "address": T2, "asset": "USDT", "event": "AddedBlackList"},
        {"chain": "tron", "tx_hash": "f2", "time": 650, "address": T3, "asset": "USDT", "event": "AddedBlackList"},
        {"chain": "tron", "tx_hash": "f3", "time": 700, "address": T3, "asset": "USDT", "event": "RemovedBlackList"},
    ])  # fmt: skip
    held = account.freeze_points(ledger, [SCAM, T2, T3], at=800, freezes=freezes)
    by = {(r["address"], r["asset"]): r for r in held.to_dict("records")}
    assert by[(T2, "USDT")]["frozen"] and not by[(T2, "USDT")]["issuer_can_freeze"]
    assert by[(T3, "USDT")]["issuer_can_freeze"] and by[(T3, "USDT")]["balance"] == 2_991.0
    eth = by[(SCAM, "ETH")]  # swapped to ETH: out of the issuer's reach; the fees were paid
    assert not eth["issuer_can_freeze"] and eth["units"] == 6 * 10**17 - 500 - 700
    assert (SCAM, "USDT") not in by  # nothing left
    later = account.freeze_points(ledger, [T3], freezes=freezes)
    assert later.empty  # moved on at t=900


def test_stablecoin_case_trace_and_freezable_balances_match_the_ground_truth():
    case, answers = chaintrace.load_case("stablecoin-01"), truth.load().case("stablecoin-01")
    t = account.load_transfers()
    pay = t[(t["from"] == case.victim_address) & (t["to"] == case.deposit_address)]
    assert pay["tx_hash"].tolist() == [answers["victim_tx_hash"]]
    tags = chaintrace.load_tagpack(chaintrace.load_dataset().path / "account" / "tags.yaml")
    services = [tag.address for tag in tags]
    trail = account.trace_transfers(t, answers["victim_tx_hash"], hops=8,
                                    until=case.report_time, stop_at=services)  # fmt: skip
    assert answers["tron_address"] in set(trail["to"])
    assert answers["exchange_deposit_address"] in set(trail["to"])
    people = set(trail["to"]) - set(services)
    held = account.freeze_points(t, people, at=case.report_time, freezes=account.load_freezes())
    can = held[held["issuer_can_freeze"]]
    assert (
        dict(zip(can["address"], can["units"].map(str), strict=True))
        == answers["freezable_at_report"]
    )
    assert set(held[held["frozen"]]["address"]) == set(answers["frozen"])
