"""Case scripts ``darknet-0x`` (a market's proceeds) and ``sanctions-0x`` (a nested service).

The scripts set things in motion; the answers are read back from the finished ledger by
:mod:`chaintrace.sim.invariants`, which follows the real spends, so an answer can never describe
a transaction that did not happen. Each script runs apart from the background
(:mod:`chaintrace.sim.casework`): the market's settlement round, the exchanges' sweeps and the
nested settlement it needs are the case's own transactions on the services' real addresses.

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(14, 3_000, cases=["darknet-01", "sanctions-01"]).run()
>>> sorted(eco.case_runs)
['darknet-01', 'sanctions-01']
"""

from . import casework
from .cases import add_entity, output_of, variant
from .extras import unnamed
from .illicit import MARKET_COMMISSION
from .wallets import PROFILES

VENDOR_HANDLES = ("NordicLeaf", "GreyHarbor", "VelvetMoth", "KoltsoPharm", "SilentBirch")
CASHOUT_EXCHANGES = ("Kupolex", "Bystrobit")


# ---------------------------------------------------------------------------- darknet
def darknet_plan(eco, case_id: str) -> dict:
    """A buyer's order among a few others, one settlement round of the market, a cash-out."""
    rng, n = eco.rng, eco.n_blocks
    twin = variant(case_id) > 1
    handles = list(VENDOR_HANDLES)
    if twin:
        handles.remove("NordicLeaf")
        rng.shuffle(handles)
        handles = handles[:3]
    else:
        handles = ["NordicLeaf", "GreyHarbor", "VelvetMoth"]
    suffix = "" if not twin else f" ({case_id})"
    vendors = [
        add_entity(eco, f"darknet_vendor-{h}{suffix}", "darknet_vendor", PROFILES["core"])
        for h in handles
    ]
    for v, h in zip(vendors, handles, strict=True):
        v.data["handle"] = h
    buyer = add_entity(eco, f"Buyer (seized phone){suffix}", "individual", PROFILES["mobile"])
    st = {
        "buyer": buyer,
        "vendor": vendors[0],
        "vendors": vendors,
        "usd": rng.lognormvariate(6.0, 0.4),
        # the twin's market round pays another commission, drawn per variant
        "commission": MARKET_COMMISSION if not twin else rng.choice((0.03, 0.04, 0.06, 0.07, 0.08)),
        "funder": "Harbourline" if not twin else rng.choice(("Harbourline", "Kestrel Markets")),
        "cashout": "Kupolex" if not twin else rng.choice(CASHOUT_EXCHANGES),
        "others": [],
    }
    at = int(n * (0.28 if not twin else rng.uniform(0.25, 0.45)))
    eco.schedule(eco.height + at, buyer_fund, st)
    return st


def buyer_fund(eco, st) -> None:
    """The buyer buys coins at a KYC exchange; other buyers hold coins already."""
    sats = eco.usd_to_sats(st["usd"] * 1.3)
    ex = eco.by_name[st["funder"]]
    pays = [(casework.hot_address(eco, ex), int(sats * eco.rng.uniform(1.5, 3.0)))]
    st["receive"] = eco.receive_address(st["buyer"])
    for k in range(eco.rng.randrange(4, 8)):
        other = add_entity(
            eco, f"market buyer {k + 1} ({eco.case_run.case_id})", "individual", PROFILES["core"]
        )
        usd = eco.rng.lognormvariate(5.0, 0.8)
        pays.append((eco.receive_address(other), int(eco.usd_to_sats(usd) * 1.4)))
        st["others"].append((other, usd))
    casework.endow_many(eco, pays)
    eco.schedule(eco.height + 2, buyer_withdraw, st, ex, sats)


def buyer_withdraw(eco, st, ex, sats) -> None:
    eco.spend(
        ex, [(st["receive"], sats)], pocket="hot", typology="exchange_withdrawal", change_role="hot"
    )
    eco.schedule(eco.height + eco.rng.randrange(6, 20), buyer_order, st)


def _order(eco, buyer, vendor, usd) -> int | None:
    market = eco.by_name["Tundra Market"]
    escrow = eco.new_address(market, "escrow", "p2wpkh", beneficiary=vendor.id)
    return eco.spend(buyer, [(escrow, eco.usd_to_sats(usd))], typology="darknet_order")


def buyer_order(eco, st) -> None:
    tx = _order(eco, st["buyer"], st["vendor"], st["usd"])
    st.update(order_tx=tx, time=eco.time, day=eco.day)
    led = eco.ledger
    st["escrow_out"] = next(
        o for o in led.t_outputs[tx] if eco.book.role[led.o_addr[o]] == "escrow"
    )
    for other, usd in st["others"]:  # other orders of the same settlement round
        _order(eco, other, eco.rng.choice(st["vendors"]), usd)
    eco.schedule(eco.height + eco.rng.randrange(20, 60), market_settle, st)


def market_settle(eco, st) -> None:
    """The market sweeps the round's escrows into a hot address (its settlement)."""
    market, led, book = eco.by_name["Tundra Market"], eco.ledger, eco.book
    coins = list(led.pocket(market.id, "deposit"))
    owed: dict[int, int] = {}
    for c in coins:
        vendor = book.beneficiary[led.o_addr[c]]
        owed[vendor] = owed.get(vendor, 0) + int(led.o_value[c] * (1 - st["commission"]))
    hot = eco.rng.choice(market.data["hot_addrs"])
    st["sweep_tx"] = eco.spend(
        market,
        [(hot, 0)],
        coins=coins,
        send_all=True,
        typology="darknet_escrow_sweep",
        fee_rate=max(1.0, eco.fee_rate() * 0.6),
    )
    st["owed"] = owed
    eco.schedule(eco.height + 1, market_payout, st)


def market_payout(eco, st) -> None:
    """One batch paying each vendor its takings minus the commission."""
    market = eco.by_name["Tundra Market"]
    pays = []
    for v, sats in sorted(st["owed"].items()):
        vendor = eco.entities[v]
        if "payout_addr" not in vendor.data:
            vendor.data["payout_addr"] = eco.new_address(vendor, "receive")
        pays.append((vendor.data["payout_addr"], sats))
    st["payout_tx"] = eco.spend(
        market,
        pays,
        pocket="hot",
        typology="darknet_vendor_payout",
        change_addr=eco.rng.choice(market.data["hot_addrs"]),
    )
    eco.schedule(eco.height + eco.rng.randrange(12, 60), vendor_cashout, st)


def vendor_cashout(eco, st) -> None:
    """The vendor empties its wallet to a no-KYC exchange."""
    vendor = st["vendor"]
    ex = eco.by_name[st["cashout"]]
    dest = casework.deposit(eco, vendor, ex)
    st["cashout_tx"] = eco.spend(
        vendor, [(dest, 0)], send_all=True, typology="darknet_vendor_cashout", max_inputs=60
    )
    casework.sweep_soon(eco, ex)


# ---------------------------------------------------------------------------- sanctions
# sanctions-01: market admins -> Kupolex deposit -> Kupolex sweep (into a listed hot address)
# -> Kupolex pays a deposit address of the nested service Ferrum Trade at Northmint.
# sanctions-02 (the twin): Kupolex sweeps into a fresh address of its own that is on no list, that
# no tag source names (:data:`chaintrace.sim.extras.UNNAMED`), and pays Ferrum from there, so
# screening the deposit's direct counterparty (and its common-input cluster) finds nothing and its
# cluster carries no label: the listed address, and the names, are one hop further back.
def sanctions_plan(eco, case_id: str) -> dict:
    rng, n = eco.rng, eco.n_blocks
    twin = variant(case_id) > 1
    st = {"fresh": twin, "usd": rng.lognormvariate(10.8, 0.4), "share": rng.uniform(0.55, 0.8)}
    at = int(n * (0.5 if not twin else rng.uniform(0.45, 0.7)))
    eco.schedule(eco.height + at, sanctions_start, st)
    return st


def sanctions_start(eco, st) -> None:
    """The market's admins hold coins on a hot address; Kupolex holds a float."""
    market = eco.by_name["Tundra Market"]
    hot = eco.rng.choice(market.data["hot_addrs"])
    casework.endow(eco, hot, eco.usd_to_sats(st["usd"]) + 200_000)
    casework.ensure_float(eco, eco.by_name["Kupolex"])
    eco.schedule(eco.height + 2, sanctions_cashout, st)


def sanctions_cashout(eco, st) -> None:
    """The admins cash out to their deposit address at Kupolex (a sanctioned no-KYC exchange)."""
    market, kup = eco.by_name["Tundra Market"], eco.by_name["Kupolex"]
    dep = casework.deposit(eco, market, kup)
    tx = eco.spend(
        market,
        [(dep, eco.usd_to_sats(st["usd"]))],
        pocket="hot",
        typology="darknet_admin_cashout",
        change_addr=market.data["hot_addrs"][0],
    )
    st.update(cashout_tx=tx, kupolex_deposit=dep, out=output_of(eco, tx, dep))
    eco.schedule(eco.height + eco.rng.randrange(8, 40), sanctions_sweep, st)


def sanctions_sweep(eco, st) -> None:
    """Kupolex sweeps the deposit with its float (the twin: into a fresh, unlisted address)."""
    kup = eco.by_name["Kupolex"]
    to = None
    if st["fresh"]:
        to = eco.new_address(kup, "hot")
        unnamed(eco).add(to)
    st["sweep_tx"] = casework.sweep(eco, kup, to=to, recycle=False)  # the coin goes to Ferrum
    eco.schedule(eco.height + eco.rng.randrange(1, 6), sanctions_settle, st)


def sanctions_settle(eco, st) -> None:
    """Kupolex pays part of the swept coin to a Ferrum Trade deposit address at Northmint."""
    led = eco.ledger
    kup, ferrum = eco.by_name["Kupolex"], eco.by_name["Ferrum Trade"]
    coin = led.t_outputs[st["sweep_tx"]][0]
    sats = int(led.o_value[coin] * st["share"])
    # the agent's first deposit address, the one the host's report names (every case of this
    # typology reports the same one: another case's brief must not give this one's answers)
    addr = ferrum.data["deposits"][0]
    st["settle_tx"] = eco.spend(
        kup,
        [(addr, sats)],
        coins=[coin],
        typology="nested_settlement",
        change_addr=casework.hot_address(eco, kup) if st["fresh"] else None,
    )
    casework.sweep_soon(eco, eco.by_name["Northmint"])
