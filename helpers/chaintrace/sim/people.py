"""Everyday actions of individuals, merchants and miners, and the weights that mix them.

Each action returns the id of the transaction it made, or None when the chosen actor could not
act (no coins yet); the block-filling loop then simply draws again.

>>> names = [a.__name__ for a in ACTIONS[0]]
>>> "p2p_payment" in names and "withdraw" in names
True
"""

import math

from . import illicit, privacy, services

# USD medians and spread of everyday payments (lognormal)
P2P_USD, P2P_SIGMA = 150.0, 1.4
SHOP_USD, SHOP_SIGMA = 60.0, 1.1
BIG_SHARE = 0.85  # payments that take most of a multi-coin wallet (Möser & Narayanan: 61 % of
# ground-truth 2-output txs have several inputs)


def pick_payer(eco, kind: str = "individual", tries: int = 4):
    """An actor of ``kind`` with coins, preferring those who just received some."""
    ents, led = eco.by_kind[kind], eco.ledger
    for _ in range(tries):
        if kind == "individual" and eco.recent and eco.rng.random() < 0.8:
            ent = eco.entities[eco.rng.choice(eco.recent)]
        else:
            ent = eco.rng.choice(ents)
        # case actors only do what their script says (their coins must be there for it)
        if led.pocket(ent.id, "main") and not ent.data.get("scripted"):
            return ent
    return None


def amount(eco, payer, usd_median: float, sigma: float) -> int | None:
    """A payment the payer can afford, rounded in BTC by habit; None when it can't pay."""
    rng = eco.rng
    balance = eco.ledger.balance(payer.id)
    sats = eco.usd_to_sats(rng.lognormvariate(math.log(usd_median), sigma))
    if sats > balance * 0.9:
        sats = int(balance * rng.uniform(0.1, 0.8))
    elif rng.random() < BIG_SHARE:
        sats = _several_coins(eco, payer) or sats
    if rng.random() < payer.profile.round_share:
        digits = rng.choices((3, 4, 5, 6, 7, 8), (25, 30, 25, 12, 6, 2))[0]
        sats = (sats // 10**digits) * 10**digits
    return sats if sats >= 5_000 else None


def _several_coins(eco, payer) -> int | None:
    """An amount that needs the payer's k largest coins (k = 2-6), leaving a change smaller
    than each of them: the multi-input payments "optimal change" feeds on."""
    led, rng = eco.ledger, eco.rng
    coins = list(led.pocket(payer.id, "main"))
    if len(coins) < 2:
        return None
    values = sorted((led.o_value[c] for c in coins[:400]), reverse=True)
    k = min(len(values), rng.choice((2, 2, 2, 3, 3, 4, 5, 6)))
    top = values[:k]
    return int(sum(top) - top[-1] * rng.uniform(0.05, 0.9))


def _pay(eco, payer, to_addr, sats, typology, **kw):
    if payer is None or sats is None:
        return None
    tx = eco.spend(payer, [(to_addr, sats)], typology=typology, **kw)
    if tx is not None:
        recv = eco.entities[eco.book.entity[to_addr]]
        if recv.kind == "individual":
            eco.recent.append(recv.id)
        if payer.kind == "individual" and eco.rng.random() < 0.5:
            eco.recent.append(payer.id)  # people often spend again soon (and their change)
    return tx


def p2p_payment(eco):
    payer = pick_payer(eco)
    if payer is None:
        return None
    payee = eco.rng.choice(eco.by_kind["individual"])
    if payee is payer:
        return None
    sats = amount(eco, payer, P2P_USD, P2P_SIGMA)
    return _pay(eco, payer, eco.receive_address(payee), sats, "payment")


def merchant_payment(eco):
    payer = pick_payer(eco)
    if payer is None:
        return None
    merchant = eco.rng.choice(eco.by_kind["merchant"])
    sats = amount(eco, payer, SHOP_USD, SHOP_SIGMA)
    if sats is None:
        return None
    if eco.rng.random() < 0.3:  # checkout through the payment processor: a fresh invoice address
        proc = eco.by_kind["payment_processor"][0]
        addr = eco.new_address(proc, "invoice", beneficiary=merchant.id)
        return _pay(eco, payer, addr, sats, "merchant_payment")
    return _pay(eco, payer, eco.receive_address(merchant), sats, "merchant_payment")


def deposit(eco):
    payer = pick_payer(eco)
    if payer is None:
        return None
    addr = services.deposit_address(eco, payer)
    if eco.rng.random() < 0.05:
        return _pay(eco, payer, addr, 0, "exchange_deposit", send_all=True, max_inputs=8)
    sats = amount(eco, payer, 800.0, 1.3)
    return _pay(eco, payer, addr, sats, "exchange_deposit")


def withdraw(eco):
    return services.withdraw(eco)


def gamble(eco):
    payer = pick_payer(eco)
    if payer is None:
        return None
    casino = eco.by_kind["gambling"][0]
    addr = services.deposit_address(eco, payer, casino)
    return _pay(eco, payer, addr, amount(eco, payer, 80.0, 1.0), "gambling_deposit")


def casino_payout(eco):
    return services.casino_payout(eco)


def consolidate(eco):
    payer = pick_payer(eco)
    if payer is None or len(eco.ledger.pocket(payer.id)) < 3:
        return None
    to = eco.new_address(payer, "receive")
    return eco.spend(payer, [(to, 0)], typology="consolidation", send_all=True, max_inputs=20)


def merchant_cashout(eco):
    merchant = pick_payer(eco, "merchant", tries=2)
    if merchant is None:
        return None
    addr = services.deposit_address(eco, merchant)
    return _pay(eco, merchant, addr, 0, "exchange_deposit", send_all=True, max_inputs=30)


def miner_sell(eco):
    miner = pick_payer(eco, "miner", tries=2)
    if miner is None:
        return None
    addr = services.deposit_address(eco, miner)
    if eco.rng.random() < 0.2:
        return _pay(eco, miner, addr, 0, "exchange_deposit", send_all=True, max_inputs=30)
    return _pay(eco, miner, addr, amount(eco, miner, 5_000.0, 1.0), "exchange_deposit")


def data_payment(eco):
    """A payment that also carries an OP_RETURN (a token protocol or a timestamp)."""
    payer = pick_payer(eco)
    if payer is None:
        return None
    payee = eco.rng.choice(eco.by_kind["individual"])
    sats = amount(eco, payer, P2P_USD, P2P_SIGMA)
    if sats is None:
        return None
    data = b"\x6a" + bytes([20]) + eco.rng.randbytes(20)
    return eco.spend(payer, [(eco.receive_address(payee), sats), (data, 0)], typology="payment")


ACTIONS = (
    [
        p2p_payment,
        merchant_payment,
        deposit,
        withdraw,
        gamble,
        casino_payout,
        consolidate,
        merchant_cashout,
        miner_sell,
        data_payment,
        illicit.darknet_order,
        illicit.vendor_cashout,
        illicit.nested_deposit,
        illicit.nested_withdrawal,
        illicit.otc_buy,
        illicit.scam_payment,
        privacy.use_mixer,
        privacy.postmix_spend,
    ],
    [22, 12, 16, 24, 4, 3, 7, 3, 3, 1, 2, 0.5, 1, 1, 0.3, 0.6, 0.4, 0.8],
)
