"""Crossings, swaps, values and freezable amounts on a hand-built three-chain ledger."""

import datetime as dt

import chaintrace
import pandas as pd
import pytest
from chaintrace import account, crossing, money
from chaintrace.account import AccountError
from chaintrace.money import MoneyError
from chaintrace.sim.accounts import tron_address

ZERO_EVM, ZERO_TRON = "0x" + "0" * 40, tron_address(bytes(20))
USER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
DEST = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
RELAYER, POOL, ROUTER, PA, PB, SERVICE = ("0x" + c * 40 for c in "123456")
VAULT_T, VAULT_E = tron_address(bytes([7]) * 20), "0x" + "7" * 40
T1 = tron_address(bytes([1]) * 20)
DEC = {("bsc", "USDT"): 18, ("bsc", "BNB"): 18, ("ethereum", "ETH"): 18}


def _row(tx, t, frm, to, asset, units, chain="ethereum", log=0, ref="", method="transfer",
         tx_from=None, fee="1000"):  # fmt: skip
    return {"chain": chain, "tx_hash": tx, "log_index": log, "block": t, "time": t, "from": frm,
            "to": to, "asset": asset, "value": str(units), "decimals": DEC.get((chain, asset), 6),
            "fee_wei": None if chain == "tron" else fee, "fee_sun": "1" if chain == "tron" else None,
            "bridge_ref": ref, "contract": "", "tx_from": tx_from or frm, "method": method}  # fmt: skip


def _h(n, chain="ethereum"):
    return ("" if chain == "tron" else "0x") + f"{n:064x}"


@pytest.fixture
def ledger():
    usdt = 10**6
    rows = [
        # lock-and-release TRON -> Ethereum, fee 1 USDT + 0.1 %
        _row(
            _h(1, "tron"),
            100,
            T1,
            VAULT_T,
            "USDT",
            1_000 * usdt,
            "tron",
            ref="ARC-1",
            method="lock",
        ),
        _row(_h(2), 400, VAULT_E, USER, "USDT", 998 * usdt, ref="ARC-1", method="release"),
        # burn-and-mint Ethereum (6 decimals) -> BSC (18)
        _row(_h(3), 500, USER, ZERO_EVM, "USDT", 500 * usdt, ref="0xmsg", method="depositForBurn"),
        _row(
            _h(4, "bsc"),
            900,
            ZERO_EVM,
            USER,
            "USDT",
            500 * 10**18,
            "bsc",
            ref="0xmsg",
            method="receiveMessage",
            tx_from=RELAYER,
        ),
        # intent BSC -> Ethereum: the relayer pays from its own funds; refunded later, no order id
        _row(
            _h(5, "bsc"),
            1_000,
            USER,
            POOL,
            "USDT",
            300 * 10**18,
            "bsc",
            ref="0xorder",
            method="deposit",
        ),
        _row(_h(6), 1_030, RELAYER, DEST, "USDT", 299_700_000, ref="0xorder", method="fillRelay"),
        _row(
            _h(7, "bsc"),
            9_000,
            POOL,
            RELAYER,
            "USDT",
            300 * 10**18,
            "bsc",
            method="executeRelayerRefundLeaf",
            tx_from=RELAYER,
        ),
        _row(
            _h(8), 2_000, RELAYER, "0x" + "9" * 40, "USDT", 5 * usdt
        ),  # the relayer's own business
        # an aggregator swap: 6 transfers, one transaction
        *[
            _row(_h(9), 3_000, f, to, a, u, log=i, method="swap", tx_from=DEST)
            for i, (f, to, a, u) in enumerate(
                [
                    (DEST, ROUTER, "USDT", 200 * usdt),
                    (ROUTER, PA, "USDT", 120 * usdt),
                    (ROUTER, PB, "USDT", 80 * usdt),
                    (PA, ROUTER, "RUBX", 11_000 * usdt),
                    (PB, ROUTER, "RUBX", 7_000 * usdt),
                    (ROUTER, DEST, "RUBX", 18_000 * usdt),
                ]
            )
        ],
        # the same key on BSC sends elsewhere: not the Ethereum account's money
        _row(_h(10, "bsc"), 4_000, DEST, "0x" + "8" * 40, "USDT", 10**18, "bsc"),
        # a custodial swap: deposit on TRON, payout in ETH from the service's wallet
        _row(_h(11, "tron"), 5_000, T1, VAULT_T, "USDT", 100 * usdt, "tron"),
        _row(_h(12), 5_600, SERVICE, DEST, "ETH", 328 * 10**14, method="transfer"),
    ]
    return account.prepare(pd.DataFrame(rows))


def test_each_bridge_design_names_its_evidence_and_where_the_money_came_from(ledger):
    lock = crossing.follow_crossing(ledger, _h(1, "tron"))
    assert (lock.design, lock.evidence, lock.reference) == (
        "lock-and-release",
        "shared reference",
        "ARC-1",
    )
    assert lock.fee == 2.0 and lock.delay == 300 and VAULT_E in lock.funds_from
    burn = crossing.follow_crossing(ledger, _h(4, "bsc"))  # from the destination leg
    assert (burn.design, burn.evidence, burn.source["tx_hash"]) == (
        "burn-and-mint",
        "attestation",
        _h(3),
    )
    assert burn.fee == 0 and burn.destination["units"] == 500 * 10**18  # same tokens, 18 decimals
    intent = crossing.follow_crossing(ledger, _h(5, "bsc"))
    assert (intent.design, intent.evidence) == ("intent", "relayer fill")
    assert intent.destination["tx_hash"] == _h(6) and "relayer's own funds" in intent.funds_from
    assert intent.fee == pytest.approx(0.3)


def test_a_leg_without_reference_is_refused_with_the_next_step(ledger):
    with pytest.raises(AccountError, match="swap_candidates"):
        crossing.follow_crossing(ledger, _h(11, "tron"))
    with pytest.raises(AccountError, match="no transfer"):
        crossing.follow_crossing(ledger, _h(99))
    half = ledger[ledger["tx_hash"] != _h(2)]
    with pytest.raises(AccountError, match="not in this ledger"):
        crossing.follow_crossing(half, _h(1, "tron"))


def test_crossings_lists_every_pair_once_and_the_refund_is_not_one(ledger):
    table = crossing.crossings(ledger)
    assert table["design"].tolist() == ["burn-and-mint", "intent", "lock-and-release"]
    assert _h(7, "bsc") not in set(table["destination_tx_hash"])


def test_trace_crosses_all_three_designs_and_not_into_the_relayers_business(ledger):
    trail = account.trace_transfers(ledger, _h(1, "tron"), hops=3)
    assert trail[trail["via"] == "bridge"]["evidence"].tolist() == [
        "shared reference", "attestation", "relayer fill"]  # fmt: skip
    assert _h(8) not in set(trail["tx_hash"]) and _h(7, "bsc") not in set(trail["tx_hash"])
    assert trail[trail["tx_hash"] == _h(6)]["to"].tolist() == [DEST]


def test_an_aggregator_swap_is_followed_through_and_summarised(ledger):
    trail = account.trace_transfers(ledger, _h(6), hops=2)
    out = trail[trail["via"] == "swap"]
    assert out[["asset", "log_index", "to"]].values.tolist() == [["RUBX", 5, DEST]]
    assert out["evidence"].tolist() == ["same transaction"]
    assert _h(10, "bsc") not in set(trail["tx_hash"])  # the same key on another chain
    back = account.trace_transfers(ledger, _h(9), direction="backward", hops=1)
    assert _h(6) in set(back["tx_hash"])
    s = crossing.swap_summary(ledger, _h(9))
    assert (s["trader"], s["gave"], s["got"], s["n_transfers"]) == (DEST, {"USDT": 200.0},
                                                                    {"RUBX": 18_000.0}, 6)  # fmt: skip
    assert s["route"] == [ROUTER, PA, PB]
    assert crossing.transaction_legs(ledger, _h(9))["log_index"].tolist() == list(range(6))


def _prices():
    days = ["2024-03-01", "2024-03-02", "2024-03-03"]
    return pd.DataFrame({"date": days, "usdt_usd": [1.0, 1.0, 1.0], "eth_usd": [3_000.0] * 3,
                         "uah_per_usd": [38.0, 38.5, 38.5], "eur_per_usd": [0.9] * 3,
                         "rub_per_usd": [90.0] * 3})  # fmt: skip


def test_swap_candidates_match_by_value_and_time_and_say_it_is_an_inference(ledger):
    prices = _prices()
    ledger = ledger.assign(time=ledger["time"] + 1_709_251_200)  # 2024-03-01
    found = crossing.swap_candidates(ledger, _h(11, "tron"), [SERVICE], prices)
    assert found["tx_hash"].tolist() == [_h(12)]
    assert found.loc[0, "kept"] == pytest.approx(0.016)  # 98.40 USD paid for 100
    assert "inference" in found.loc[0, "evidence"]
    assert crossing.swap_candidates(ledger, _h(11, "tron"), [SERVICE], prices, within=60).empty


def test_value_in_uah_eur_and_exact_units():
    prices = _prices()
    assert money.value(100, "USDT", "2024-03-02", "UAH", prices) == pytest.approx(3_850.0)
    assert money.value(
        10**18, "ETH", dt.date(2024, 3, 1), "EUR", prices, decimals=18
    ) == pytest.approx(2_700.0)
    exact = money.value(1, "USDT", 1_709_251_200, "UAH", prices, decimals=6, exact=True)
    assert exact * 10**6 == 38
    with pytest.raises(MoneyError, match="covers 2024-03-01 to 2024-03-03"):
        money.value(1, "USDT", "2024-04-01", "UAH", prices)
    with pytest.raises(MoneyError, match="no prices for 'DOGE'"):
        money.value(1, "DOGE", "2024-03-01", "USD", prices)
    with pytest.raises(MoneyError, match="currency 'GBP'"):
        money.value(1, "USDT", "2024-03-01", "GBP", prices)
    with pytest.raises(MoneyError, match="not a date"):
        money.value(1, "USDT", "yesterday", "USD", prices)
    assert issubclass(MoneyError, chaintrace.ChaintraceError)


def test_official_uah_rate_holds_over_the_weekend():
    p = money.load_prices()
    p["weekday"] = pd.to_datetime(p["date"]).dt.weekday
    rates = p.dropna(subset=["uah_per_usd"]).reset_index(drop=True)
    for i in range(1, len(rates)):
        if rates.loc[i, "weekday"] >= 5:  # Saturday, Sunday: Friday's rate
            assert rates.loc[i, "uah_per_usd"] == rates.loc[i - 1, "uah_per_usd"]
    assert rates["uah_per_usd"].between(30, 50).all()


def test_freeze_points_read_decimals_and_who_can_blacklist(ledger):
    held = account.freeze_points(ledger, [USER], at=950)
    by = {(r["chain"], r["asset"]): r for r in held.to_dict("records")}
    bsc = by[("bsc", "USDT")]
    assert bsc["balance"] == 500.0 and bsc["decimals"] == 18 and not bsc["issuer_can_freeze"]
    assert "no blacklist" in bsc["note"]
    eth = by[("ethereum", "USDT")]
    assert eth["issuer"] == "Tether" and eth["issuer_can_freeze"] and eth["balance"] == 498.0
    # the transferFrom-style row the relayer sent: its fee is the relayer's, not the user's
    fees = account.freeze_points(ledger, [USER], at=950)
    assert ("bsc", "BNB") not in {(r["chain"], r["asset"]) for r in fees.to_dict("records")}


def test_freezable_sums_custodians_and_issuers_per_holder(ledger):
    prices = _prices()
    ledger = ledger.assign(time=ledger["time"] + 1_709_251_200)
    at = 1_709_251_200 + 950
    table = account.freezable(ledger, [USER, VAULT_T], at=at, prices=prices,
                              custodians={VAULT_T: "Arcway"})  # fmt: skip
    totals = account.freezable_by_holder(table).set_index("holder")
    assert totals.loc["Tether", "usd"] == 498.0 and totals.loc["Tether", "uah"] == 498.0 * 38
    assert totals.loc["Arcway", "usd"] == 1_000.0  # what the custodian was paid up to `at`
    assert "bsc" not in set(table["chain"])  # no blacklist: nobody can freeze it on chain


def test_where_the_money_came_from_reads_in_the_readers_language(ledger):
    """``funds_from`` is a sentence a trainee reads: Ukrainian under ``uk``, the addresses and
    chain names as the ledger has them; English under ``en``."""
    from chaintrace.messages import use

    legs = {"lock": _h(1, "tron"), "burn": _h(4, "bsc"), "intent": _h(5, "bsc")}
    with use("en"):
        english = {k: crossing.follow_crossing(ledger, h).funds_from for k, h in legs.items()}
    with use("uk"):
        shown = {k: crossing.follow_crossing(ledger, h).funds_from for k, h in legs.items()}
    assert english["burn"] == "newly minted (from the zero address)"
    assert shown["burn"] == "щойно випущено (з нульової адреси)"
    assert VAULT_E in shown["lock"] and shown["lock"].startswith("сховище моста в мережі ")
    assert shown["intent"].startswith("власні кошти релеєра (")
    assert shown["intent"].split("(")[1] == english["intent"].split("(")[1]  # the same address
