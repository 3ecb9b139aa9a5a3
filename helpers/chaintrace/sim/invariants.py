"""Case invariants, checked on the finished ledger before anything is written.

A case is only worth teaching if the chain really tells its story: the ransom's peel chain ends
at an exchange deposit, the CoinJoin really would merge clusters of different owners, the
sanctions flow really passes through the nested service, every stolen satoshi is accounted
for... :func:`finalise_case` reads one case's answers from the ledger (following the real
spends) and raises :class:`CaseError` when its story does not hold. The builder then reruns that
case with its own next stream, and fails loudly if no attempt works: a broken case is never
emitted. Each twin (``-02``) also checks its point: the lesson's method, applied naively, gives
another answer than the truth (a naive peel follower stops before the deposit, the 5 %
commission misstates the payout, the paying address is on no list...).

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(14, 3_000, cases=["darknet-01", "darknet-02"]).run()
>>> failures(eco)
{}
>>> eco.cases["darknet-02"]["truth"]["commission"] != 0.05
True
"""

from ..errors import ChaintraceError
from .briefs import (
    CLUSTER_BRIEF,
    CLUSTER_TITLE,
    COINJOIN_BRIEF,
    COINJOIN_TITLE,
    DARKNET_BRIEF,
    DARKNET_TITLE,
    RANSOM_BRIEF,
    RANSOM_TITLE,
    SANCTIONS_BRIEF,
    SANCTIONS_TITLE,
    THEFT_BRIEF,
    THEFT_TITLE,
)
from .calendar import START_HEIGHT, date_text
from .cases import output_of, variant
from .extras import unnamed
from .writer import addr_ref, tx_ref


def _registered() -> tuple[str, ...]:
    from .cases import REGISTRY

    return tuple(REGISTRY)


CASES = _registered()  # every Bitcoin case (the account-chain cases are checked where made)


class CaseError(ChaintraceError, RuntimeError):
    """A case's story does not hold on the generated chain (the builder retries)."""


def require(ok: bool, case: str, what: str) -> None:
    """Raise :class:`CaseError` saying which case broke and how.

    >>> require(False, "x-01", "no payment")
    Traceback (most recent call last):
    ...
    chaintrace.sim.invariants.CaseError: case x-01 is broken: no payment
    """
    if not ok:
        raise CaseError(f"case {case} is broken: {what}")


# ---------------------------------------------------------------------------- clustering
class UnionFind:
    """Union-find over address ids (path halving), enough for naive co-spend clustering.

    >>> uf = UnionFind()
    >>> uf.union(1, 2); uf.union(3, 4); uf.find(2) == uf.find(1), uf.find(1) == uf.find(3)
    (True, False)
    """

    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        p = self.parent
        p.setdefault(x, x)
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def cospend(eco, skip=()) -> UnionFind:
    """Naive common-input clustering of the whole ledger (minus transactions in ``skip``)."""
    led, uf = eco.ledger, UnionFind()
    skip = set(skip)
    for t, ins in enumerate(led.t_inputs):
        if len(ins) > 1 and t not in skip:
            first = led.o_addr[ins[0]]
            for o in ins[1:]:
                uf.union(first, led.o_addr[o])
    return uf


# ---------------------------------------------------------------------------- helpers
def _state(eco, case: str) -> dict:
    require(case in eco.cases, case, "its script never started (not enough coins or time)")
    return eco.cases[case].get("state", eco.cases[case])


def _kind(eco, addr: int) -> str:
    return eco.entities[eco.book.entity[addr]].kind


def _outs(eco, tx: int) -> list[tuple[int, int, int]]:
    """``(output id, address id, value)`` of each output of ``tx``."""
    led = eco.ledger
    return [(o, led.o_addr[o], led.o_value[o]) for o in led.t_outputs[tx]]


def _usd(eco, sats: int, day: int) -> float:
    return round(sats / 1e8 * eco.prices[day], 2)


def _case(case_id, title, typology, text, reported, truth) -> dict:
    brief = {"case_id": case_id, "title": title, "typology": typology, "brief": text}
    return {"brief": {**brief, "reported": reported}, "truth": truth}


# ---------------------------------------------------------------------------- the checks
def naive_peel_end(eco, coin: int) -> int:
    """Where a naive peel-chain follower stops: the lesson's rule, followed blindly.

    From output ``coin``, follow the largest output of each spending transaction; stop at an
    unspent output, at a transaction with other inputs (the funds mix), or at an output of a
    service. Returns the last output id reached.
    """
    led = eco.ledger
    while True:
        t = led.o_spent[coin]
        if t < 0 or len(led.t_inputs[t]) > 1 or _kind(eco, led.o_addr[coin]) in SERVICE_KINDS:
            return coin
        coin = max(led.t_outputs[t], key=lambda o: (led.o_value[o], -o))


SERVICE_KINDS = {"exchange", "gambling", "mixer", "darknet_market", "nested_exchange"}


def finalise_ransom(eco, case: str) -> None:
    st = _state(eco, case)
    require(st.get("last_tx") is not None, case, "the peel chain never ended")
    led, book = eco.ledger, eco.book
    pay, last_tx, dep, ex = st["pay_tx"], st["last_tx"], st["deposit"], st["exchange"]
    require(
        len(led.t_inputs[pay]) == 1 and len(led.t_outputs[pay]) == 2, case, "payment not 1-in-2-out"
    )
    ransom_out = output_of(eco, pay, st["pay_addr"])
    require(led.o_spent[ransom_out] == st["split_tx"], case, "ransom output not spent by the split")
    prev = st["split_tx"]
    for hop in st["hops"]:
        require(any(led.o_tx[o] == prev for o in led.t_inputs[hop]), case, "peel chain not linked")
        prev = hop
    (_, addr, value), *rest = _outs(eco, prev)
    require(
        not rest and _kind(eco, addr) == "exchange", case, "last hop is not one exchange output"
    )
    require(book.role[addr] == "deposit", case, "the chain does not end at a deposit address")
    require(
        led.o_spent[led.t_outputs[last_tx][0]] >= 0, case, "the exchange never swept the deposit"
    )
    aff_out = output_of(eco, st["split_tx"], st["aff_addr"])
    share = led.o_value[aff_out] / sum(v for _, _, v in _outs(eco, st["split_tx"]))
    require(abs(share - st["share"]) < 0.01, case, "the split is not the affiliate's share")
    truth = {
        "payment_txid": tx_ref(pay),
        "payment_vout": led.o_vout[ransom_out],
        "victim_change_vout": led.t_change[pay],
        "amount_sats": st["sats"],
        "funding_txid": tx_ref(st["funding_tx"]),
        "funding_exchange": st["funding_exchange"],
        "split_txid": tx_ref(st["split_tx"]),
        "affiliate_address": addr_ref(st["aff_addr"]),
        "affiliate_share": st["share"],
        "developer_address": addr_ref(st["dev_addr"]),
        "peel_txids": [tx_ref(t) for t in st["hops"]],
        "n_hops": len(st["hops"]),
        "peels": st["peels"],
        "deposit_address": addr_ref(dep),
        "deposit_sats": value,
        "exchange": ex.name,
        "exchange_kyc": bool(ex.data.get("kyc")),
        "affiliate_entity": st["affiliate"].name,
        "group_entity": st["group"].name,
    }
    if st["detour"] is not None:
        # the twin's point: the lesson's recipe, followed blindly, gives wrong answers
        require(abs(st["share"] - 0.8) >= 0.05, case, "the split is the lesson's 80/20")
        require(ex.name != "Ostrava Coin", case, "the chain ends at the lesson's exchange")
        naive = naive_peel_end(eco, aff_out)
        require(led.o_addr[naive] != dep, case, "a naive peel follower reaches the deposit")
        detour = st["detour_tx"]
        other = [o for o in led.t_inputs[detour] if led.o_tx[o] != st["hops"][st["detour"] - 1]]
        truth.update(
            detour_txid=tx_ref(detour),
            detour_merged_address=addr_ref(led.o_addr[other[0]]),
            detour_merged_sats=led.o_value[other[0]],
            naive_peel_end_txid=tx_ref(led.o_tx[naive]),
        )
    victim_in = led.o_addr[led.t_inputs[pay][0]]
    text = RANSOM_BRIEF[variant(case)].format(
        victim=st["victim"].name.removesuffix(" (victim)"), group=st["group"].name
    )
    title = RANSOM_TITLE[variant(case)]
    eco.cases[case] = _case(
        case,
        title,
        "ransomware",
        text,
        {
            "payment_txid": tx_ref(pay),
            "victim_address": addr_ref(victim_in),
            "ransom_address": addr_ref(st["pay_addr"]),
            "date": date_text(st["time"]),
            "amount_btc": st["sats"] / 1e8,
            "amount_usd": _usd(eco, st["sats"], st["day"]),
        },
        truth,
    )


def finalise_darknet(eco, case: str) -> None:
    led, book = eco.ledger, eco.book
    st = _state(eco, case)
    require(st.get("cashout_tx") is not None, case, "the vendor never cashed out")
    esc = st["escrow_out"]
    sweep = led.o_spent[esc]
    require(
        sweep >= 0 and led.t_typology[sweep] == "darknet_escrow_sweep", case, "escrow not swept"
    )
    ((_, hot, _),) = _outs(eco, sweep)
    require(sweep == st.get("sweep_tx"), case, "the escrow was swept by another transaction")
    payout = st.get("payout_tx")
    require(payout is not None, case, "the market never paid the vendors")
    require(
        led.o_spent[led.t_outputs[sweep][0]] == payout, case, "the payout does not spend the sweep"
    )
    vaddr = st["vendor"].data["payout_addr"]
    pay_out = next(o for o, a, _ in _outs(eco, payout) if a == vaddr)
    cash = st["cashout_tx"]
    require(led.o_spent[pay_out] == cash, case, "the vendor's cash-out does not spend the payout")
    ((_, dep, dep_sats),) = _outs(eco, cash)
    require(
        _kind(eco, dep) == "exchange" and book.role[dep] == "deposit",
        case,
        "cash-out not a deposit",
    )
    require(
        book.beneficiary[esc_addr := led.o_addr[esc]] == st["vendor"].id,
        case,
        "escrow not the vendor's",
    )
    order = st["order_tx"]
    amount = led.o_value[esc]
    market = eco.by_name["Tundra Market"]
    vendors_paid = len(_outs(eco, payout)) - (1 if led.t_change[payout] >= 0 else 0)
    require(vendors_paid >= 2, case, "the batch payout pays only one vendor")
    vendor_in = sum(
        led.o_value[o]
        for o in led.t_inputs[sweep]
        if book.beneficiary[led.o_addr[o]] == st["vendor"].id
    )
    got = led.o_value[pay_out]
    require(
        got == int(vendor_in * (1 - st["commission"]))
        or abs(got - vendor_in * (1 - st["commission"])) <= len(led.t_inputs[sweep]),
        case,
        "the vendor's payout is not its takings minus the commission",
    )
    if variant(case) > 1:  # the twin's point: the lesson's 5 % gives a wrong payout
        require(st["commission"] != 0.05, case, "the commission is the lesson's 5 %")
        require(abs(got - int(vendor_in * 0.95)) > 1_000, case, "5 % commission gives the payout")
    eco.cases[case] = _case(
        case,
        DARKNET_TITLE[variant(case)],
        "darknet_market",
        DARKNET_BRIEF.format(vendor=st["vendor"].data["handle"]),
        {
            "order_txid": tx_ref(order),
            "escrow_address": addr_ref(esc_addr),
            "date": date_text(st["time"]),
            "amount_btc": amount / 1e8,
            "amount_usd": _usd(eco, amount, st["day"]),
            "market": market.name,
            "vendor_handle": st["vendor"].data["handle"],
        },
        {
            "order_txid": tx_ref(order),
            "order_vout": led.o_vout[esc],
            "escrow_address": addr_ref(esc_addr),
            "amount_sats": amount,
            "escrow_sweep_txid": tx_ref(sweep),
            "escrow_sweep_inputs": len(led.t_inputs[sweep]),
            "market_hot_address": addr_ref(hot),
            "market_hot_addresses": [addr_ref(a) for a in market.data["hot_addrs"]],
            "payout_txid": tx_ref(payout),
            "payout_outputs": len(led.t_outputs[payout]),
            "vendor_payout_address": addr_ref(vaddr),
            "vendor_payout_vout": led.o_vout[pay_out],
            "vendor_payout_sats": led.o_value[pay_out],
            "commission": st["commission"],
            "vendor_escrow_sats": vendor_in,
            "vendors_paid": vendors_paid,
            "vendor_entity": st["vendor"].name,
            "market_entity": market.name,
            "cashout_txid": tx_ref(cash),
            "cashout_deposit_address": addr_ref(dep),
            "cashout_sats": dep_sats,
            "cashout_exchange": eco.entities[book.entity[dep]].name,
        },
    )


def finalise_sanctions(eco, case: str) -> None:
    led, book = eco.ledger, eco.book
    listed = _listed(eco)
    st = _state(eco, case)
    settle = st.get("settle_tx")
    require(settle is not None, case, "Kupolex never paid the nested service")
    ferrum = eco.by_name["Ferrum Trade"]
    out = next((o for o, a, _ in _outs(eco, settle) if a in ferrum.data["deposits"]), None)
    require(out is not None, case, "the settlement does not pay a Ferrum deposit address")
    dep = led.o_addr[out]
    require(
        eco.entities[book.entity[dep]].name == "Northmint", case, "nested deposit not at the host"
    )
    require(book.beneficiary[dep] == ferrum.id, case, "deposit address not issued to Ferrum")
    kup_in = led.o_addr[led.t_inputs[settle][0]]
    require(_kind(eco, kup_in) == "exchange", case, "the settlement is not paid by Kupolex")
    swept_from = [led.o_addr[o] for o in led.t_inputs[st["sweep_tx"]]]
    listed_on_path = [a for a in [kup_in, *swept_from] if a in listed]
    require(listed_on_path, case, "no Kupolex address on the path is on the sanctions list")
    if variant(case) == 1:
        require(kup_in in listed, case, "the paying Kupolex address is not on the list")
        sanctioned, hops = kup_in, 1
    else:  # the twin's point: screening the direct counterparty and its cluster finds nothing,
        # and no tag names that cluster: the payer is named only one step back (or off the chain)
        require(kup_in not in listed, case, "the paying Kupolex address is on the list")
        members = cluster_members(eco, kup_in)
        require(
            not any(a in listed for a in members),
            case,
            "the payer's common-input cluster holds a listed address",
        )
        require(
            members <= unnamed(eco),
            case,
            "the payer's common-input cluster holds an address a tag may name",
        )
        sanctioned, hops = listed_on_path[0], 2
    host_sweep = led.o_spent[out]
    require(host_sweep >= 0, case, "the host never swept the nested deposit")
    origin = led.o_addr[led.t_inputs[st["cashout_tx"]][0]]
    require(_kind(eco, origin) == "darknet_market", case, "the flow does not start at the market")
    path = [st["cashout_tx"], st["sweep_tx"], settle, host_sweep]
    for a, b in zip(path, path[1:], strict=False):
        require(any(led.o_tx[o] == a for o in led.t_inputs[b]), case, "path not linked")
    host_in = sum(  # everything Kupolex paid Ferrum: the background's and this case's
        led.o_value[o]
        for t in range(len(led.t_inputs))
        if led.t_typology[t] == "nested_settlement" and led.t_case.get(t) in (None, case)
        for o in led.t_outputs[t]
        if led.o_addr[o] in ferrum.data["deposits"]
    )
    sats = led.o_value[out]
    eco.cases[case] = _case(
        case,
        SANCTIONS_TITLE[variant(case)],
        "sanctions_evasion",
        SANCTIONS_BRIEF,
        {
            "exchange": "Northmint",
            "customer": "Ferrum Trade LLC",
            "deposit_address": addr_ref(dep),
            "deposit_txid": tx_ref(settle),
            "date": date_text(eco.times[led.t_height[settle] - START_HEIGHT]),
            "amount_btc": sats / 1e8,
        },
        {
            "deposit_txid": tx_ref(settle),
            "deposit_address": addr_ref(dep),
            "deposit_sats": sats,
            "nested_service": ferrum.name,
            "host_exchange": "Northmint",
            "nested_deposit_addresses": [addr_ref(a) for a in ferrum.data["deposits"]],
            "no_kyc_exchange": "Kupolex",
            "sanctioned_address": addr_ref(sanctioned),
            "paying_address": addr_ref(kup_in),
            "paying_address_listed": kup_in in listed,
            "sanctioned_party": "KUPOLEX OU",
            "kupolex_deposit_address": addr_ref(st["kupolex_deposit"]),
            "origin_entity": "Tundra Market",
            "origin_address": addr_ref(origin),
            "path_txids": [tx_ref(t) for t in path],
            "hops_from_sanctioned": hops,
            "hops_from_origin": 3,
            "host_sweep_txid": tx_ref(host_sweep),
            "kupolex_to_nested_sats": host_in,
        },
    )


def finalise_coinjoin(eco, case: str, uf_plain=None) -> None:
    led, book = eco.ledger, eco.book
    uf_plain = uf_plain or cospend(eco, skip=_coinjoins(eco))
    st = _state(eco, case)
    subject = st["subject"]
    for key in ("wasabi_tx", "tx0", "mixer_tx", "mixer_payout_tx", "exit_tx"):
        require(st.get(key) is not None, case, f"step {key} never happened")
    require(st["mixes"] and None not in st["mixes"], case, "a premix coin never entered a mix")
    w = st["wasabi_tx"]
    outs = _outs(eco, w)
    vals = [v for _, _, v in outs]
    denom = max(set(vals), key=vals.count)
    require(vals.count(denom) >= 10, case, "the Wasabi round has fewer than 10 equal outputs")
    owners = {book.entity[led.o_addr[o]] for o in led.t_inputs[w]}
    comps = {uf_plain.find(led.o_addr[o]) for o in led.t_inputs[w]}
    require(len(owners) >= 2 and len(comps) >= 2, case, "the round would not merge clusters")
    for m in set(st["mixes"]):
        owners_m = [book.entity[led.o_addr[o]] for o in led.t_inputs[m]]
        require(len(set(owners_m)) == len(owners_m), case, "a mix joins two coins of one wallet")
        n_in, mouts = len(led.t_inputs[m]), _outs(eco, m)
        require(5 <= n_in == len(mouts) <= 8, case, "a Whirlpool mix is not 5x5..8x8")
        require(
            all(v == st["pool"] for _, _, v in mouts), case, "a mix output is not the pool size"
        )
    pay = st["mixer_payout_tx"]
    deposit_coin = led.t_outputs[st["mixer_tx"]][0]
    require(deposit_coin not in led.t_inputs[pay], case, "the mixer paid back the same coin")
    require(
        led.o_spent[deposit_coin] >= 0
        and all(led.o_tx[o] != led.o_spent[deposit_coin] for o in led.t_inputs[pay]),
        case,
        "the mixer paid out of the suspect's own deposit",
    )
    exit_ins = led.t_inputs[st["exit_tx"]]
    exit_from = {led.o_tx[o] for o in exit_ins}
    if st["twin"]:  # the careless exit is the postmix coins with the round's change
        require(exit_from & set(st["mixes"]), case, "the exit spends no postmix coin")
        require(st["wasabi_tx"] in exit_from, case, "the exit does not spend the round's change")
        require(
            all(led.o_spent[o] == -1 for o in led.t_outputs[pay]),
            case,
            "the mixer's payout was spent (the twin leaves it)",
        )
    else:
        require(pay in exit_from, case, "the exit does not spend the mixer's payout")
    ((_, exit_dep, _),) = _outs(eco, st["exit_tx"])
    mixer_dep = next(a for _, a, _ in _outs(eco, st["mixer_tx"]) if book.role[a] == "mix_in")
    mine = [(led.o_vout[o], v) for o, a, v in outs if book.entity[a] == subject.id]
    eco.cases[case] = _case(
        case,
        COINJOIN_TITLE[2 if st["twin"] else 1],
        "obfuscation",
        COINJOIN_BRIEF,
        {
            "address": addr_ref(st["receive"]),
            "received_txid": tx_ref(st["received_tx"]),
            "date": date_text(st["time"]),
            "amount_btc": st["sats"] / 1e8,
        },
        {
            "subject_address": addr_ref(st["receive"]),
            "received_txid": tx_ref(st["received_tx"]),
            "split_txid": tx_ref(st["split_tx"]),
            "wasabi_round_txid": tx_ref(w),
            "wasabi_denomination_sats": denom,
            "wasabi_n_inputs": len(led.t_inputs[w]),
            "wasabi_n_equal_outputs": vals.count(denom),
            "subject_wasabi_outputs": [{"vout": v, "sats": s} for v, s in mine],
            "whirlpool_tx0_txid": tx_ref(st["tx0"]),
            "whirlpool_pool_sats": st["pool"],
            "whirlpool_n_premix": st["n_premix"],
            "split_shares": list(st["shares"]),
            "funding_exchange": st["funder"],
            "mixer_payout_outputs": len(led.t_outputs[pay]),
            "exit_spends": sorted(
                {"wasabi": "wasabi_round", "pay": "mixer_payout", "mix": "whirlpool_mix"}[k]
                for k, txs in (("wasabi", {w}), ("pay", {pay}), ("mix", set(st["mixes"])))
                if exit_from & txs
            ),
            "whirlpool_mix_txids": [tx_ref(m) for m in sorted(set(st["mixes"]))],
            "mixer_entity": "Fogbank",
            "mixer_deposit_txid": tx_ref(st["mixer_tx"]),
            "mixer_deposit_address": addr_ref(mixer_dep),
            "mixer_payout_txid": tx_ref(pay),
            "false_merge_txid": tx_ref(w),
            "false_merge_owners": len(owners),
            "exit_txid": tx_ref(st["exit_tx"]),
            "exit_deposit_address": addr_ref(exit_dep),
            "exit_exchange": eco.entities[book.entity[exit_dep]].name,
        },
    )


def finalise_theft(eco, case: str) -> None:
    led, book = eco.ledger, eco.book
    st = _state(eco, case)
    require("legs" in st, case, "the loot was never split")
    legs, deposits, mixed, dormant, fees, clean = [], [], [], [], 0, 0
    fees += led.t_fee[st["split_tx"]]
    for leg in st["legs"]:
        hops = leg["hops"]
        require(None not in hops and len(hops) >= leg["n"], case, "a peel chain stopped early")
        for t in hops:
            fees += led.t_fee[t]
            for _o, a, v in _outs(eco, t):
                role, kind = book.role[a], _kind(eco, a)
                row = {"txid": tx_ref(t), "address": addr_ref(a), "sats": v}
                if kind == "exchange" and role == "deposit":
                    deposits.append({**row, "exchange": eco.entities[book.entity[a]].name})
                elif kind == "mixer":
                    mixed.append(row)
                else:
                    require(kind == "thief", case, f"loot paid to an unexpected {kind} {role}")
        if leg["end"] == "merged":
            require(len(led.t_inputs[hops[0]]) == 2, case, "a merged leg was not merged")
            clean += led.o_value[leg["clean"]]
        if leg["end"] == "dormant":
            require(led.o_spent[leg["coin"]] == -1, case, "the dormant coin was spent")
            a = led.o_addr[leg["coin"]]
            dormant.append({"address": addr_ref(a), "sats": led.o_value[leg["coin"]]})
        row = {"end": leg["end"], "txids": [tx_ref(t) for t in hops]}
        if leg["end"] == "merged":
            row["clean_sats"] = led.o_value[leg["clean"]]
        legs.append(row)
    ends = sum(d["sats"] for d in deposits) + sum(m["sats"] for m in mixed)
    ends += sum(d["sats"] for d in dormant)
    require(ends + fees == st["stolen"] + clean, case, "stolen value not accounted for")
    if st["twin"]:  # the twin's point: clean coins mixed in, so the taint models part ways
        require(clean > 0, case, "no clean coins were merged into the loot")
    victim = st["victim"]
    eco.cases[case] = _case(
        case,
        THEFT_TITLE[2 if st["twin"] else 1],
        "theft",
        THEFT_BRIEF.format(victim=victim.name),
        {
            "theft_txid": tx_ref(st["theft_tx"]),
            "thief_address": addr_ref(st["drop"]),
            "victim_exchange": victim.name,
            "date": date_text(st["time"]),
            "amount_btc": st["stolen"] / 1e8,
            "amount_usd": _usd(eco, st["stolen"], st["day"]),
        },
        {
            "theft_txid": tx_ref(st["theft_tx"]),
            "stolen_sats": st["stolen"],
            "split_txid": tx_ref(st["split_tx"]),
            "n_legs": len(legs),
            "legs": legs,
            "exchange_deposits": deposits,
            "to_exchanges_sats": sum(d["sats"] for d in deposits),
            "mixer_deposits": mixed,
            "to_mixer_sats": sum(m["sats"] for m in mixed),
            "dormant": dormant,
            "dormant_sats": sum(d["sats"] for d in dormant),
            "fees_sats": fees,
            "thief_entity": st["thief"].name,
            "victim_exchange": victim.name,
            "clean_merged_sats": clean,
        },
    )


def finalise_cluster(eco, case: str) -> None:
    led, book = eco.ledger, eco.book
    uf_all = _cached(eco, "uf_plain", lambda: cospend(eco, skip=_coinjoins(eco)))
    st = _state(eco, case)
    scam = st["scam"]
    require(
        st.get("pay_tx") is not None and st.get("merge_tx") is not None, case, "no payment/merge"
    )
    suspect = st["suspect_address"]
    root = uf_all.find(suspect)
    cluster = sorted(a for a in uf_all.parent if uf_all.find(a) == root)
    require(all(book.entity[a] == scam.id for a in cluster), case, "the cluster is not pure")
    merge = _first_merge(eco, st["wallet_a"], st["wallet_b"], skip=set(_coinjoins(eco)))
    require(merge == st["merge_tx"], case, "the wallets were merged by another transaction")
    before = UnionFind()
    for t in range(merge):
        ins = led.t_inputs[t]
        for o in ins[1:]:
            before.union(led.o_addr[ins[0]], led.o_addr[o])
    sides = {before.find(led.o_addr[o]) for o in led.t_inputs[merge]}
    parts = [sorted(a for a in cluster if before.find(a) == r) for r in sorted(sides)]
    require(len(parts) >= 2 and all(len(p) >= 1 for p in parts), case, "merge joined one cluster")
    pay = st["pay_tx"]
    sats = next(v for _, a, v in _outs(eco, pay) if a == suspect)
    extra = {}
    if st["twin"]:  # the twin's point: naive clustering (CoinJoins kept) joins strangers
        cj = st.get("coinjoin_tx")
        require(cj is not None, case, "the scam's coin never went through the round")
        naive = _cached(eco, "uf_naive", lambda: cospend(eco))
        nroot = naive.find(suspect)
        naive_cluster = [a for a in naive.parent if naive.find(a) == nroot]
        owners = {book.entity[a] for a in naive_cluster}
        require(len(owners) >= 3, case, "naive clustering does not join the scam with strangers")
        extra = {
            "false_merge_txid": tx_ref(cj),
            "false_merge_type": "wasabi",
            "naive_cluster_size": len(naive_cluster),
            "naive_cluster_owners": len(owners),
        }
    eco.cases[case] = _case(
        case,
        CLUSTER_TITLE[2 if st["twin"] else 1],
        "scam",
        CLUSTER_BRIEF.format(scam=scam.name),
        {
            "suspect_address": addr_ref(suspect),
            "payment_txid": tx_ref(pay),
            "date": date_text(st["time"]),
            "amount_btc": sats / 1e8,
            "amount_usd": _usd(eco, sats, st["day"]),
        },
        {
            "suspect_address": addr_ref(suspect),
            "payment_txid": tx_ref(pay),
            "cluster_addresses": [addr_ref(a) for a in cluster],
            "cluster_size": len(cluster),
            "merge_txid": tx_ref(merge),
            "clusters_before_merge": [[addr_ref(a) for a in p] for p in parts],
            "merge_is_same_owner": True,
            "entity": scam.name,
            "wallet_sizes": [len(p) for p in parts],
            **extra,
        },
    )


def _first_merge(eco, side_a, side_b, skip=frozenset()) -> int:
    """The first transaction after which an address of ``side_a`` and one of ``side_b`` cluster.

    Only transactions spending one of the owner's addresses can join the owner's clusters (the
    purity check guarantees no one else co-spends them), so only those are examined.
    """
    led, book, uf = eco.ledger, eco.book, UnionFind()
    owner = book.entity[side_a[0]]
    for t, ins in enumerate(led.t_inputs):
        if len(ins) < 2 or t in skip:
            continue
        for o in ins[1:]:
            uf.union(led.o_addr[ins[0]], led.o_addr[o])
        if any(book.entity[led.o_addr[o]] == owner for o in ins):
            roots_a = {uf.find(a) for a in side_a}
            if any(uf.find(b) in roots_a for b in side_b):
                return t
    return -1


def _cached(eco, key, make):
    store = eco.notes.setdefault("invariants", {})
    if key not in store:
        store[key] = make()
    return store[key]


def clusters(eco) -> UnionFind:
    """Common-input clustering of the finished ledger, CoinJoins left out (as the toolkit's
    default ``cluster_addresses``), computed once per economy."""
    return _cached(eco, "clusters", lambda: cospend(eco, skip=_coinjoins(eco)))


def cluster_members(eco, addr: int) -> set[int]:
    """Every address id in the common-input cluster of ``addr`` (:func:`clusters`)."""
    uf = clusters(eco)
    by_root = _cached(eco, "cluster_members", dict)
    if not by_root:
        for a in range(len(eco.book)):
            by_root.setdefault(uf.find(a), set()).add(a)
    return by_root.get(uf.find(addr), {addr})


def _coinjoins(eco) -> list[int]:
    return _cached(
        eco,
        "coinjoins",
        lambda: [t for t, k in enumerate(eco.ledger.t_typology) if k == "coinjoin"],
    )


def _listed(eco) -> set[int]:
    from .extras import listed_bitcoin_addresses

    return _cached(eco, "listed", lambda: listed_bitcoin_addresses(eco))


FINALISERS = {
    "ransom": finalise_ransom,
    "darknet": finalise_darknet,
    "sanctions": finalise_sanctions,
    "coinjoin": finalise_coinjoin,
    "theft": finalise_theft,
    "cluster": finalise_cluster,
    "capstone": lambda eco, case: __import__(
        "chaintrace.sim.case_capstone", fromlist=["finalise"]
    ).finalise(eco, case),
}


def finalise_case(eco, case: str) -> None:
    """Read one case's answers from the ledger and check its story (CaseError if broken)."""
    run = eco.case_runs.get(case)
    if run is not None and run.broken:
        raise CaseError(run.broken)
    FINALISERS[case.rsplit("-", 1)[0]](eco, case)
    require("brief" in eco.cases[case] and "truth" in eco.cases[case], case, "no brief or answers")


def failures(eco) -> dict[str, str]:
    """Finalise every scripted case; return case id -> what broke, for those that did."""
    broken = {}
    for case in sorted(eco.case_runs):
        try:
            finalise_case(eco, case)
        except CaseError as exc:
            broken[case] = str(exc)
    return broken


def finalise(eco) -> None:
    """Read every case's answers from the ledger and check its story; raise CaseError if broken."""
    broken = failures(eco)
    if broken:
        raise CaseError("; ".join(broken[c] for c in sorted(broken)))
