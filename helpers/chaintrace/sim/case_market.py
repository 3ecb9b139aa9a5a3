"""Case scripts ``darknet-01`` (a market's proceeds) and ``sanctions-01`` (a nested service).

The scripts set things in motion; the answers are read back from the finished ledger by
:func:`chaintrace.sim.invariants.finalise`, which follows the real spends, so an answer can
never describe a transaction that did not happen.

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(14, 3_000).run()
>>> sorted(k for k in eco.cases if k in ("darknet-01", "sanctions-01"))
['darknet-01', 'sanctions-01']
"""

from . import illicit, services
from .cases import add_entity, output_of
from .wallets import PROFILES


def plan(eco) -> None:
    n = eco.n_blocks
    vendor = eco.by_kind["darknet_vendor"][0]
    vendor.data.update(scripted=True, handle="NordicLeaf")
    buyer = add_entity(eco, "Buyer (seized phone)", "individual", PROFILES["mobile"])
    st = {"buyer": buyer, "vendor": vendor, "usd": eco.rng.lognormvariate(6.0, 0.4)}
    eco.schedule(eco.height + int(n * 0.28), buyer_fund, st)
    eco.schedule(eco.height + int(n * 0.3), market_hold)
    eco.schedule(eco.height + int(n * 0.5), sanctions_start, {})


def market_hold(eco) -> None:
    """From here the admins stop routine cash-outs: the commission piles up for sanctions-01."""
    eco.by_name["Tundra Market"].data["scripted"] = True


# ---------------------------------------------------------------------------- darknet-01
def buyer_fund(eco, st) -> None:
    """The buyer buys coins at a KYC exchange (retrying until its hot wallet can pay)."""
    sats = eco.usd_to_sats(st["usd"] * 1.3)
    tx = services.withdraw(eco, eco.by_name["Harbourline"], st["buyer"], sats)
    if tx is None:
        eco.schedule(eco.height + 2, buyer_fund, st)
        return
    eco.schedule(eco.height + eco.rng.randrange(6, 20), buyer_order, st)


def buyer_order(eco, st) -> None:
    tx = illicit.darknet_order(eco, st["buyer"], st["vendor"], st["usd"])
    if tx is None:
        eco.schedule(eco.height + 1, buyer_order, st)
        return
    st.update(order_tx=tx, time=eco.time, day=eco.day)
    st["escrow_out"] = next(
        o for o in eco.ledger.t_outputs[tx] if eco.book.role[eco.ledger.o_addr[o]] == "escrow"
    )
    eco.cases["darknet-01"] = {"state": st}
    eco.schedule(eco.height + 12, vendor_wait, st)


def vendor_wait(eco, st) -> None:
    """Once the market has paid the vendor for this order, the vendor cashes out."""
    led, market = eco.ledger, eco.by_name["Tundra Market"]
    sweep = led.o_spent[st["escrow_out"]]
    payout = next((p for s, p in market.data.get("payouts", []) if s == sweep), None)
    if payout is None or led.t_height[payout] >= eco.height:
        eco.schedule(eco.height + 6, vendor_wait, st)
        return
    vendor = st["vendor"]
    dest = services.deposit_address(eco, vendor, eco.by_name["Kupolex"])
    st["cashout_tx"] = eco.spend(
        vendor, [(dest, 0)], send_all=True, typology="darknet_vendor_cashout", max_inputs=60
    )


# ---------------------------------------------------------------------------- sanctions-01
def sanctions_start(eco, st) -> None:
    """The market's admins cash out to Kupolex (a sanctioned no-KYC exchange)."""
    market = eco.by_name["Tundra Market"]
    tx = None
    if eco.ledger.balance(market.id, "hot") > 100_000:
        market.data["scripted"] = False
        tx = illicit.market_cashout(eco, to_exchange=True)
    if tx is None:
        eco.schedule(eco.height + 10, sanctions_start, st)
        return
    dep = services.deposit_address(eco, market, eco.by_name["Kupolex"])
    st.update(cashout_tx=tx, kupolex_deposit=dep, out=output_of(eco, tx, dep))
    eco.cases["sanctions-01"] = {"state": st}
    eco.schedule(eco.height + 1, sanctions_follow, st)


def sanctions_follow(eco, st) -> None:
    """When Kupolex has swept the deposit, it pays the swept coin on to Ferrum Trade."""
    led = eco.ledger
    sweep = led.o_spent[st["out"]]
    if sweep == -1 or led.t_height[sweep] >= eco.height:
        eco.schedule(eco.height + 1, sanctions_follow, st)
        return
    coin = led.t_outputs[sweep][0]
    if led.o_spent[coin] != -1:  # Kupolex already spent it on something else: case broken
        return
    sats = int(led.o_value[coin] * eco.rng.uniform(0.55, 0.8))
    st["sweep_tx"] = sweep
    st["settle_tx"] = illicit.nested_settlement(eco, coins=[coin], sats=sats)
