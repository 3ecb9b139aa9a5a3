"""Scenario cases: scripted crimes woven into the everyday economy, with their answers.

Each script schedules its steps as block events, so the crime happens among ordinary traffic
and its transactions look like everyone else's (same fee market, same wallet fingerprints).
A script records two things: the *brief* (what a victim or partner agency would report) and the
*truth* (what a complete trace must find). Identifiers are :class:`~chaintrace.sim.writer.Ref`
placeholders until the writer knows the txids.

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(11, 3_000).run()
>>> eco.cases["ransom-01"]["truth"]["n_hops"] >= 4
True
"""

from .entities import Entity
from .services import deposit_address, refill_hot
from .wallets import PROFILES, SEQ_RBF, estimate_vsize, visible
from .writer import addr_ref, tx_ref


def plan(eco) -> None:
    """Schedule every case script at its place on the calendar."""
    from . import case_laundering, case_market

    ransom_plan(eco)
    case_market.plan(eco)
    case_laundering.plan(eco)


# ---------------------------------------------------------------------------- helpers
def fan_out(eco, entity, coins: list[int], shares: list[tuple[int, float]], typology: str) -> int:
    """Spend ``coins`` entirely to ``(address, share)`` pairs (shares of what is left after fee)."""
    led, book = eco.ledger, eco.book
    total = sum(led.o_value[c] for c in coins)
    types = [book.true_type[led.o_addr[c]] for c in coins]
    fee = int(eco.fee_rate() * estimate_vsize(types, [book.visible_type(a) for a, _ in shares]))
    rest = total - fee
    values = [int(rest * s) for _, s in shares[:-1]]
    values.append(rest - sum(values))
    prof = entity.profile
    return led.add(
        eco.height,
        coins,
        [(a, v) for (a, _), v in zip(shares, values, strict=True)],
        entity=entity.id,
        typology=typology,
        version=prof.version,
        locktime=eco.locktime(prof),
        sequence=SEQ_RBF if prof.rbf else 0xFFFFFFFF,
    )


def output_of(eco, tx: int, addr: int) -> int:
    """Output id of the first output of ``tx`` paying ``addr``."""
    led = eco.ledger
    return next(o for o in led.t_outputs[tx] if led.o_addr[o] == addr)


def vout_of(eco, tx: int, addr: int) -> int:
    return eco.ledger.o_vout[output_of(eco, tx, addr)]


def add_entity(eco, name: str, kind: str, profile) -> Entity:
    """A case actor outside the everyday population (it only does what its script says)."""
    ent = Entity(len(eco.entities), name, kind, profile, {"scripted": True})
    eco.entities.append(ent)
    eco.by_name[name] = ent
    return ent


# ---------------------------------------------------------------------------- ransom-01
def ransom_plan(eco) -> None:
    """A company pays NightCrane; the affiliate's 80 % goes down a peel chain to an exchange."""
    victim = add_entity(eco, "Hollis Freight Ltd (victim)", "company", PROFILES["core"])
    at = eco.height + int(eco.n_blocks * 0.4)
    st = {"victim": victim, "case": "ransom-01", "usd": eco.rng.lognormvariate(11.9, 0.35)}
    eco.schedule(at - 30, ransom_fund, st)


def ransom_fund(eco, st) -> None:
    """The victim buys the ransom at a KYC exchange (Kestrel Markets, or the one that can pay)."""
    victim = st["victim"]
    st.setdefault("sats", eco.usd_to_sats(st["usd"]))
    want = st["sats"] + 300_000
    st["receive"] = eco.new_address(victim, "receive")
    kyc = [e for e in eco.by_kind["exchange"] if e.data.get("kyc")]
    ex = eco.by_name["Kestrel Markets"]
    if eco.ledger.balance(ex.id, "hot") <= want * 1.2:
        ex = max(kyc, key=lambda e: eco.ledger.balance(e.id, "hot"))
    tx = None
    if eco.ledger.balance(ex.id, "hot") > want * 1.2:
        tx = eco.spend(
            ex,
            [(st["receive"], want)],
            pocket="hot",
            typology="exchange_withdrawal",
            change_role="hot",
        )
    if tx is None:
        for e in kyc:
            refill_hot(eco, e)
        eco.schedule(eco.height + 1, ransom_fund, st)
        return
    st["funding_tx"], st["funding_exchange"] = tx, ex.name
    eco.schedule(eco.height + eco.rng.randrange(8, 30), ransom_pay, st)


def ransom_pay(eco, st) -> None:
    group = eco.by_name["NightCrane"]
    pay_addr = eco.new_address(group, "held", "p2wpkh")
    victim = st["victim"]
    tx = eco.spend(victim, [(pay_addr, st["sats"])], typology="ransom_payment")
    st.update(pay_tx=tx, pay_addr=pay_addr, date_height=eco.height, time=eco.time, day=eco.day)
    eco.schedule(eco.height + eco.rng.randrange(3, 10), ransom_split, st)


def ransom_split(eco, st) -> None:
    group, affiliate = eco.by_name["NightCrane"], eco.by_kind["ransomware_affiliate"][0]
    aff = eco.new_address(affiliate, "held", "p2wpkh")
    dev = eco.new_address(group, "held", "p2wpkh")
    coin = output_of(eco, st["pay_tx"], st["pay_addr"])
    tx = fan_out(eco, group, [coin], [(aff, 0.8), (dev, 0.2)], "ransomware_split")
    st.update(split_tx=tx, aff_addr=aff, dev_addr=dev, hops=[], peels=[])
    st["current"] = output_of(eco, tx, aff)
    st["n_hops"] = eco.rng.randrange(5, 9)
    eco.schedule(eco.height + eco.rng.randrange(2, 12), peel_hop, st)
    eco.schedule(eco.height + eco.rng.randrange(30, 90), dev_cashout, st, dev)


def peel_hop(eco, st) -> None:
    """One hop: peel 3-12 % to a service, keep the rest on a fresh address (the change)."""
    affiliate = eco.by_kind["ransomware_affiliate"][0]
    led, rng = eco.ledger, eco.rng
    coin = st["current"]
    if len(st["hops"]) + 1 >= st["n_hops"]:
        ex = eco.by_name["Ostrava Coin"]
        dep = deposit_address(eco, affiliate, ex)
        tx = eco.spend(affiliate, [(dep, 0)], coins=[coin], send_all=True, typology="peel_chain")
        st["hops"].append(tx)
        _ransom_truth(eco, st, tx, dep, ex)
        return
    dest_service = rng.choice(
        [eco.by_name["Kupolex"], eco.by_name["Bystrobit"], eco.by_kind["gambling"][0]]
    )
    dest = deposit_address(eco, affiliate, dest_service)
    peel = int(led.o_value[coin] * rng.uniform(0.03, 0.12))
    keep = eco.new_address(affiliate, "held", "p2wpkh")
    tx = eco.spend(affiliate, [(dest, peel)], coins=[coin], change_addr=keep, typology="peel_chain")
    st["hops"].append(tx)
    st["peels"].append(
        {"txid": tx_ref(tx), "address": addr_ref(dest), "sats": peel, "service": dest_service.name}
    )
    st["current"] = output_of(eco, tx, keep)
    eco.schedule(eco.height + rng.randrange(1, 7), peel_hop, st)


def dev_cashout(eco, st, dev_addr) -> None:
    group = eco.by_name["NightCrane"]
    dep = deposit_address(eco, group, eco.by_name["Kupolex"])
    coin = output_of(eco, st["split_tx"], dev_addr)
    st["dev_tx"] = eco.spend(
        group, [(dep, 0)], coins=[coin], send_all=True, typology="ransomware_cashout"
    )
    st["dev_deposit"] = dep


def _ransom_truth(eco, st, last_tx, dep, ex) -> None:
    from .calendar import date_text

    led = eco.ledger
    pay_tx = st["pay_tx"]
    usd = round(st["sats"] / 1e8 * eco.prices[st["day"]], 2)
    victim_in = led.o_addr[led.t_inputs[pay_tx][0]]
    eco.cases["ransom-01"] = {
        "brief": {
            "case_id": "ransom-01",
            "title": "Ransom paid by a freight company",
            "typology": "ransomware",
            "brief": (
                "Hollis Freight Ltd, a logistics firm, was hit by ransomware calling itself "
                "NightCrane and paid the ransom in bitcoin after buying it at an exchange. The "
                "company reports the payment below. Follow the money from the payment to the "
                "first service where an account holder can be identified, and say which "
                "exchange should receive a production order for which deposit address."
            ),
            "reported": {
                "payment_txid": tx_ref(pay_tx),
                "victim_address": addr_ref(victim_in),
                "ransom_address": addr_ref(st["pay_addr"]),
                "date": date_text(st["time"]),
                "amount_btc": st["sats"] / 1e8,
                "amount_usd": usd,
            },
            "module": "03",
        },
        "truth": {
            "payment_txid": tx_ref(pay_tx),
            "payment_vout": vout_of(eco, pay_tx, st["pay_addr"]),
            "victim_change_vout": led.t_change[pay_tx],
            "amount_sats": st["sats"],
            "funding_txid": tx_ref(st["funding_tx"]),
            "funding_exchange": st["funding_exchange"],
            "split_txid": tx_ref(st["split_tx"]),
            "affiliate_address": addr_ref(st["aff_addr"]),
            "affiliate_share": 0.8,
            "developer_address": addr_ref(st["dev_addr"]),
            "peel_txids": [tx_ref(t) for t in st["hops"]],
            "n_hops": len(st["hops"]),
            "peels": st["peels"],
            "deposit_address": addr_ref(dep),
            "deposit_sats": led.o_value[led.t_outputs[last_tx][0]],
            "exchange": ex.name,
            "exchange_kyc": bool(ex.data.get("kyc")),
            "affiliate_entity": eco.by_kind["ransomware_affiliate"][0].name,
            "group_entity": "NightCrane",
        },
    }


def visible_type(true_type: str) -> str:
    """Alias kept for case scripts: the on-chain type of a true type.

    >>> visible_type("p2sh-p2wpkh")
    'p2sh'
    """
    return visible(true_type)
