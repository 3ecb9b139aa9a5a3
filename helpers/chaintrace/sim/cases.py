"""Scenario cases: scripted crimes woven into the everyday economy, with their answers.

Each script schedules its steps as block events, so the crime happens among ordinary traffic
and its transactions look like everyone else's (same fee market, same wallet fingerprints).
A script records two things: the *brief* (what a victim or partner agency would report) and the
*truth* (what a complete trace must find). Identifiers are :class:`~chaintrace.sim.writer.Ref`
placeholders until the writer knows the txids.

Each case runs apart from the background (:mod:`chaintrace.sim.casework`); :data:`REGISTRY`
lists them with the endowment slots each alone uses.

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(11, 3_000, cases=["ransom-01"]).run()
>>> len(eco.cases["ransom-01"]["state"]["hops"]) >= 4
True
"""

from dataclasses import dataclass

from . import casework
from .entities import Entity
from .wallets import PROFILES, SEQ_RBF, estimate_vsize, visible
from .writer import addr_ref, tx_ref


@dataclass(frozen=True)
class Spec:
    """A registered Bitcoin case: its module, its endowment slots, how it starts."""

    module: str
    slots: tuple[int, ...]  # endowment slots (casework.SLOTS): fixed, never shared
    plan: object  # its script's start: "module:function" in chaintrace.sim, or a callable


# Every Bitcoin case, with the endowment slots it alone uses (0-49; 47-49 are free: pick from them for a new
# case). Order does not matter: a case's chain depends on its id, the seed and its slots only.
REGISTRY = {
    "ransom-01": Spec("03", (0, 1, 34, 35), "cases:ransom_plan"),
    "ransom-02": Spec("03", (2, 3, 36, 37), "cases:ransom_plan"),
    "coinjoin-01": Spec("07", (4, 5, 6, 7), "case_laundering:coinjoin_plan"),
    "coinjoin-02": Spec("07", (8, 9, 10, 11), "case_laundering:coinjoin_plan"),
    "theft-01": Spec("08", (12, 13, 14, 15, 16, 17, 38, 39), "case_laundering:theft_plan"),
    "theft-02": Spec("08", (18, 19, 20, 21, 22, 23, 40, 41), "case_laundering:theft_plan"),
    "cluster-01": Spec("04", (24, 44), "case_laundering:cluster_plan"),
    "cluster-02": Spec("04", (25, 26, 27), "case_laundering:cluster_plan"),
    "darknet-01": Spec("10", (28, 42), "case_market:darknet_plan"),
    "darknet-02": Spec("10", (29, 43), "case_market:darknet_plan"),
    "sanctions-01": Spec("06", (30, 31), "case_market:sanctions_plan"),
    "sanctions-02": Spec("06", (32, 33), "case_market:sanctions_plan"),
    "capstone-01": Spec("13", (45, 46), "case_capstone:capstone_plan"),
}


def plan(eco, only=None) -> None:
    """Register and start every case (or those in ``only``), each in its own scope."""
    import importlib

    for case_id, spec in REGISTRY.items():
        if only is not None and case_id not in only:
            continue
        eco.add_case(case_id, spec.slots)
        start = spec.plan
        if isinstance(start, str):
            mod, fn = start.split(":")
            start = getattr(importlib.import_module(f"chaintrace.sim.{mod}"), fn)
        with eco.in_case(case_id):
            eco.cases[case_id] = {"state": start(eco, case_id)}


def variant(case_id: str) -> int:
    """The twin number of a case id (``ransom-02`` -> 2).

    >>> variant("ransom-02")
    2
    """
    return int(case_id.rsplit("-", 1)[1])


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


def visible_type(true_type: str) -> str:
    """Alias kept for case scripts: the on-chain type of a true type.

    >>> visible_type("p2sh-p2wpkh")
    'p2sh'
    """
    return visible(true_type)


# ---------------------------------------------------------------------------- ransom-01/-02
# ransom-01: NightCrane, 80 % to the affiliate, a straight peel chain ending at Ostrava Coin.
# ransom-02 (the assignment twin): another group, an affiliate share drawn per variant, a peel
# chain with a detour (the remainder is merged with another coin of the affiliate, which stops
# a naive peel-chain follower), ending at an exchange drawn per variant.
RANSOM_02_EXCHANGES = ("Harbourline", "Baltica Exchange", "Northmint", "Kestrel Markets")
RANSOM_FUNDERS = ("Kestrel Markets", "Northmint", "Baltica Exchange", "Harbourline")


def ransom_plan(eco, case_id: str) -> dict:
    """A company pays the group; the affiliate's share goes down a peel chain to an exchange."""
    rng, n = eco.rng, eco.n_blocks
    if variant(case_id) == 1:
        victim = add_entity(eco, "Hollis Freight Ltd (victim)", "company", PROFILES["core"])
        group, affiliate = eco.by_name["NightCrane"], eco.by_kind["ransomware_affiliate"][0]
        st = {"share": 0.8, "funder": "Kestrel Markets", "end": "Ostrava Coin", "detour": None}
        at = int(n * 0.4)
    else:
        victim = add_entity(eco, "Marlow Dental Group (victim)", "company", PROFILES["mobile"])
        group = add_entity(eco, "Ashfall", "ransomware", PROFILES["core"])
        affiliate = add_entity(
            eco, "ransomware_affiliate-ashfall", "ransomware_affiliate", PROFILES["core"]
        )
        st = {
            "share": round(rng.uniform(0.55, 0.72), 2),
            "funder": rng.choice(RANSOM_FUNDERS),
            "end": rng.choice(RANSOM_02_EXCHANGES),
            "detour": rng.randrange(1, 3),  # the hop after which the remainder is merged
        }
        at = int(n * rng.uniform(0.3, 0.5))
    st.update(
        case=case_id,
        victim=victim,
        group=group,
        affiliate=affiliate,
        usd=rng.lognormvariate(11.9, 0.35),
    )
    eco.schedule(eco.height + at - 30, ransom_fund, st)
    return st


def ransom_fund(eco, st) -> None:
    """The victim buys the ransom at a KYC exchange (its float there bought from a pool)."""
    victim = st["victim"]
    st["sats"] = eco.usd_to_sats(st["usd"])
    want = st["sats"] + 300_000
    st["receive"] = eco.new_address(victim, "receive")
    ex = eco.by_name[st["funder"]]
    casework.endow(eco, casework.hot_address(eco, ex), int(want * eco.rng.uniform(1.3, 2.0)))
    st["funding_exchange"] = ex.name
    eco.schedule(eco.height + 2, ransom_withdraw, st)


def ransom_withdraw(eco, st) -> None:
    ex = eco.by_name[st["funder"]]
    want = st["sats"] + 300_000
    st["funding_tx"] = eco.spend(
        ex,
        [(st["receive"], want)],
        pocket="hot",
        typology="exchange_withdrawal",
        change_role="hot",
    )
    eco.schedule(eco.height + eco.rng.randrange(8, 30), ransom_pay, st)


def ransom_pay(eco, st) -> None:
    pay_addr = eco.new_address(st["group"], "held", "p2wpkh")
    victim = st["victim"]
    tx = eco.spend(victim, [(pay_addr, st["sats"])], typology="ransom_payment")
    st.update(pay_tx=tx, pay_addr=pay_addr, date_height=eco.height, time=eco.time, day=eco.day)
    eco.schedule(eco.height + eco.rng.randrange(3, 10), ransom_split, st)


def ransom_split(eco, st) -> None:
    group, affiliate = st["group"], st["affiliate"]
    aff = eco.new_address(affiliate, "held", "p2wpkh")
    dev = eco.new_address(group, "held", "p2wpkh")
    coin = output_of(eco, st["pay_tx"], st["pay_addr"])
    share = st["share"]
    tx = fan_out(eco, group, [coin], [(aff, share), (dev, 1 - share)], "ransomware_split")
    st.update(split_tx=tx, aff_addr=aff, dev_addr=dev, hops=[], peels=[])
    st["current"] = output_of(eco, tx, aff)
    st["n_hops"] = eco.rng.randrange(5, 9)
    if st["detour"] is not None:  # an older coin of the affiliate, merged in on the way
        st["detour_coin_addr"] = eco.new_address(affiliate, "held", "p2wpkh")
        value = int(eco.ledger.o_value[st["current"]] * eco.rng.uniform(0.15, 0.4))
        casework.endow(eco, st["detour_coin_addr"], value)
    eco.schedule(eco.height + eco.rng.randrange(2, 12), peel_hop, st)
    eco.schedule(eco.height + eco.rng.randrange(30, 90), dev_cashout, st, dev)


def peel_hop(eco, st) -> None:
    """One hop: peel 3-12 % to a service, keep the rest on a fresh address (the change)."""
    affiliate = st["affiliate"]
    led, rng = eco.ledger, eco.rng
    coin = st["current"]
    if len(st["hops"]) + 1 >= st["n_hops"]:
        ex = eco.by_name[st["end"]]
        dep = casework.deposit(eco, affiliate, ex)
        tx = eco.spend(affiliate, [(dep, 0)], coins=[coin], send_all=True, typology="peel_chain")
        st["hops"].append(tx)
        st.update(last_tx=tx, deposit=dep, exchange=ex)
        casework.sweep_soon(eco, ex)
        return
    if st["detour"] is not None and len(st["hops"]) == st["detour"]:
        # the detour: the remainder and an older coin of the affiliate go to one fresh address
        old = next(
            (
                o
                for o in led.pocket(affiliate.id, "held")
                if led.o_addr[o] == st["detour_coin_addr"]
            ),
            None,
        )
        if old is None:  # the older coin is not confirmed yet
            eco.schedule(eco.height + 1, peel_hop, st)
            return
        keep = eco.new_address(affiliate, "held", "p2wpkh")
        tx = eco.spend(
            affiliate, [(keep, 0)], coins=[coin, old], send_all=True, typology="peel_chain"
        )
        st["hops"].append(tx)
        st["detour_tx"] = tx
        st["current"] = output_of(eco, tx, keep)
        eco.schedule(eco.height + rng.randrange(1, 7), peel_hop, st)
        return
    dest_service = rng.choice(
        [eco.by_name["Kupolex"], eco.by_name["Bystrobit"], eco.by_kind["gambling"][0]]
    )
    dest = casework.deposit(eco, affiliate, dest_service)
    peel = int(led.o_value[coin] * rng.uniform(0.03, 0.12))
    keep = eco.new_address(affiliate, "held", "p2wpkh")
    tx = eco.spend(affiliate, [(dest, peel)], coins=[coin], change_addr=keep, typology="peel_chain")
    st["hops"].append(tx)
    st["peels"].append(
        {"txid": tx_ref(tx), "address": addr_ref(dest), "sats": peel, "service": dest_service.name}
    )
    casework.sweep_soon(eco, dest_service)
    st["current"] = output_of(eco, tx, keep)
    eco.schedule(eco.height + rng.randrange(1, 7), peel_hop, st)


def dev_cashout(eco, st, dev_addr) -> None:
    group = st["group"]
    kupolex = eco.by_name["Kupolex"]
    dep = casework.deposit(eco, group, kupolex)
    coin = output_of(eco, st["split_tx"], dev_addr)
    st["dev_tx"] = eco.spend(
        group, [(dep, 0)], coins=[coin], send_all=True, typology="ransomware_cashout"
    )
    st["dev_deposit"] = dep
    casework.sweep_soon(eco, kupolex)
