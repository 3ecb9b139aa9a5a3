"""Illicit and grey services acting in the everyday economy.

- ``Tundra Market`` (darknet market with escrow): each order is paid to a fresh escrow address
  issued for the vendor; twice a day the market sweeps finished escrows into its hot wallet and,
  a block later, pays every vendor its takings minus a 5 % commission in one batch. Its admins
  cash the commission out now and then, through the OTC desk or a no-KYC exchange.
- Vendors cash their payouts out to no-KYC exchanges or through the custodial mixer.
- ``Ferrum Trade`` (nested exchange) has no wallet of its own: it holds a few deposit addresses
  at its host ``Northmint``; its clients deposit there and Northmint pays their withdrawals.
  ``Kupolex`` settles with it by paying those deposit addresses (the Suex/Garantex pattern).
- ``Meridian OTC`` buys coins from anyone (a reused address) and sells them on at Northmint.
- ``Quantum Yield Club`` (scam) takes victims' payments on reused P2PKH addresses and cashes out
  to a no-KYC exchange; its two wallets are what the ``cluster-01`` case is about.

>>> MARKET_COMMISSION
0.05
"""

from . import privacy, services

MARKET_COMMISSION = 0.05


def setup(eco) -> None:
    """Standing addresses and recurring jobs of the grey economy."""
    market = eco.by_name["Tundra Market"]
    market.data["hot_addrs"] = [eco.new_address(market, "hot") for _ in range(3)]
    ferrum, host = eco.by_name["Ferrum Trade"], eco.by_name["Northmint"]
    ferrum.data["deposits"] = [
        eco.new_address(host, "deposit", beneficiary=ferrum.id) for _ in range(4)
    ]
    otc = eco.by_name["Meridian OTC"]
    otc.data["addr"] = eco.new_address(otc, "receive")
    scam = eco.by_name["Quantum Yield Club"]
    scam.data["wallet_a"] = [eco.new_address(scam, "receive", "p2pkh") for _ in range(3)]
    scam.data["wallet_b"] = [eco.new_address(scam, "wallet_b", "p2pkh") for _ in range(3)]
    scam.data["current"] = "wallet_a"
    start, rng = eco.height + 105, eco.rng
    eco.schedule(start + rng.randrange(72), market_settle)
    eco.schedule(start + rng.randrange(300, 700), market_cashout)
    eco.schedule(start + rng.randrange(200, 400), nested_settlement)
    eco.schedule(start + rng.randrange(100), otc_sell)
    eco.schedule(start + rng.randrange(150, 250), scam_cashout)


def _deposit_of(eco, who, exchange_name: str) -> int:
    return services.deposit_address(eco, who, eco.by_name[exchange_name])


# ---------------------------------------------------------------------------- darknet market
def darknet_order(eco, buyer=None, vendor=None, usd: float | None = None):
    """A buyer pays an order into a fresh escrow address issued for the vendor."""
    from .people import amount, pick_payer

    buyer = buyer or pick_payer(eco)
    if buyer is None:
        return None
    vendor = vendor or eco.rng.choice(eco.by_kind["darknet_vendor"])
    sats = eco.usd_to_sats(usd) if usd else amount(eco, buyer, 120.0, 1.0)
    if not sats:
        return None
    market = eco.by_name["Tundra Market"]
    escrow = eco.new_address(market, "escrow", "p2wpkh", beneficiary=vendor.id)
    return eco.spend(buyer, [(escrow, sats)], typology="darknet_order")


def market_settle(eco) -> None:
    """Sweep released escrows into the hot wallet; pay vendors one block later."""
    market, led, book = eco.by_name["Tundra Market"], eco.ledger, eco.book
    coins = list(led.pocket(market.id, "deposit"))[:150]
    if coins:
        owed: dict[int, int] = {}
        for c in coins:
            vendor = book.beneficiary[led.o_addr[c]]
            owed[vendor] = owed.get(vendor, 0) + int(led.o_value[c] * (1 - MARKET_COMMISSION))
        hot = eco.rng.choice(market.data["hot_addrs"])
        tx = eco.spend(
            market,
            [(hot, 0)],
            coins=coins,
            send_all=True,
            typology="darknet_escrow_sweep",
            fee_rate=max(1.0, eco.fee_rate() * 0.6),
        )
        if tx is not None:
            eco.schedule(eco.height + 1, market_payout, owed, tx)
    eco.schedule(eco.height + eco.rng.randrange(60, 84), market_settle)


def market_payout(eco, owed: dict[int, int], sweep_tx: int) -> None:
    """One batch paying each vendor its share (vendors reuse their payout address)."""
    market = eco.by_name["Tundra Market"]
    pays = [(_vendor_address(eco, eco.entities[v]), s) for v, s in sorted(owed.items())]
    pays = [p for p in pays if p[1] > 5_000]
    if not pays:
        return
    tx = eco.spend(
        market,
        pays,
        pocket="hot",
        typology="darknet_vendor_payout",
        change_addr=eco.rng.choice(market.data["hot_addrs"]),
    )
    if tx is None:
        eco.schedule(eco.height + 1, market_payout, owed, sweep_tx)
        return
    market.data.setdefault("payouts", []).append((sweep_tx, tx))


def _vendor_address(eco, vendor) -> int:
    if "payout_addr" not in vendor.data:
        vendor.data["payout_addr"] = eco.new_address(vendor, "receive")
    return vendor.data["payout_addr"]


def vendor_cashout(eco, vendor=None):
    """A vendor empties its wallet to a no-KYC exchange, or through the mixer."""
    vendor = vendor or eco.rng.choice(eco.by_kind["darknet_vendor"])
    if vendor.data.get("scripted") or not eco.ledger.pocket(vendor.id):
        return None
    r = eco.rng.random()
    if r < 0.2:
        return privacy.mixer_deposit(eco, vendor)
    dest = _deposit_of(eco, vendor, "Kupolex" if r < 0.7 else "Bystrobit")
    return eco.spend(
        vendor, [(dest, 0)], send_all=True, typology="darknet_vendor_cashout", max_inputs=30
    )


def market_cashout(eco, to_exchange: bool | None = None) -> int | None:
    """The admins move part of the hot wallet out: to the OTC desk or to Kupolex."""
    market = eco.by_name["Tundra Market"]
    if not eco.ledger.pocket(market.id, "hot") or market.data.get("scripted"):
        eco.schedule(eco.height + eco.rng.randrange(500, 900), market_cashout)
        return None
    bal = eco.ledger.balance(market.id, "hot")
    to_exchange = eco.rng.random() < 0.5 if to_exchange is None else to_exchange
    dest = (
        _deposit_of(eco, market, "Kupolex")
        if to_exchange
        else eco.by_name["Meridian OTC"].data["addr"]
    )
    tx = eco.spend(
        market,
        [(dest, int(bal * 0.6))],
        pocket="hot",
        typology="darknet_admin_cashout",
        change_addr=market.data["hot_addrs"][0],
    )
    eco.schedule(eco.height + eco.rng.randrange(500, 900), market_cashout)
    return tx


# ---------------------------------------------------------------------------- nested exchange
def nested_deposit(eco):
    """A client of the nested exchange pays one of its deposit addresses at the host."""
    from .people import amount, pick_payer

    client = pick_payer(eco)
    if client is None:
        return None
    sats = amount(eco, client, 1_500.0, 1.1)
    addr = eco.rng.choice(eco.by_name["Ferrum Trade"].data["deposits"])
    return None if not sats else eco.spend(client, [(addr, sats)], typology="nested_deposit")


def nested_withdrawal(eco):
    """The host exchange pays out a withdrawal a client requested from the nested exchange."""
    return services.withdraw(eco, eco.by_name["Northmint"], typology="nested_withdrawal")


def nested_settlement(eco, coins=None, sats: int | None = None) -> int | None:
    """Kupolex pays the nested exchange's deposit addresses at its host (a settlement)."""
    kup, ferrum = eco.by_name["Kupolex"], eco.by_name["Ferrum Trade"]
    hot = eco.ledger.balance(kup.id, "hot")
    sats = sats or int(min(hot * 0.3, eco.usd_to_sats(eco.rng.lognormvariate(10.5, 0.6))))
    tx = None
    if coins or 1_000_000 < sats < hot:
        addr = eco.rng.choice(ferrum.data["deposits"])
        tx = eco.spend(kup, [(addr, sats)], pocket="hot", coins=coins, typology="nested_settlement")
    if coins is None:
        eco.schedule(eco.height + eco.rng.randrange(200, 500), nested_settlement)
    return tx


# ---------------------------------------------------------------------------- OTC desk, scam
def otc_sell(eco) -> None:
    """The OTC desk sells what it bought at Northmint (all of it, one deposit)."""
    otc = eco.by_name["Meridian OTC"]
    if eco.ledger.pocket(otc.id):
        dest = _deposit_of(eco, otc, "Northmint")
        eco.spend(otc, [(dest, 0)], send_all=True, typology="otc_sale")
    eco.schedule(eco.height + eco.rng.randrange(80, 160), otc_sell)


def otc_buy(eco):
    """Someone sells coins to the OTC desk for cash (the desk's address is reused)."""
    from .people import amount, pick_payer

    seller = pick_payer(eco)
    sats = amount(eco, seller, 3_000.0, 0.8) if seller else None
    otc = eco.by_name["Meridian OTC"]
    return None if not sats else eco.spend(seller, [(otc.data["addr"], sats)], typology="otc_trade")


def scam_payment(eco, victim=None, usd: float | None = None):
    """A victim 'invests' in the scam: pays one of the current wallet's reused addresses."""
    from .people import amount, pick_payer

    victim = victim or pick_payer(eco)
    if victim is None:
        return None
    scam = eco.by_name["Quantum Yield Club"]
    sats = eco.usd_to_sats(usd) if usd else amount(eco, victim, 700.0, 1.0)
    addr = eco.rng.choice(scam.data[scam.data["current"]])
    return None if not sats else eco.spend(victim, [(addr, sats)], typology="scam_payment")


def scam_cashout(eco) -> None:
    """The scam empties its current wallet to a no-KYC exchange (co-spending its addresses)."""
    scam = eco.by_name["Quantum Yield Club"]
    pocket = "main" if scam.data["current"] == "wallet_a" else "b"
    coins = list(eco.ledger.pocket(scam.id, pocket))
    if len(coins) >= 2 and not scam.data.get("hold"):
        dest = _deposit_of(eco, scam, "Kupolex")
        eco.spend(scam, [(dest, 0)], coins=coins[:40], send_all=True, typology="scam_cashout")
    eco.schedule(eco.height + eco.rng.randrange(150, 250), scam_cashout)
