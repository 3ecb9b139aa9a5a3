"""Case invariants, checked on the finished ledger before anything is written.

A case is only worth teaching if the chain really tells its story: the ransom's peel chain ends
at an exchange deposit, the CoinJoin really would merge clusters of different owners, the
sanctions flow really passes through the nested service, every stolen satoshi is accounted
for... :func:`finalise` reads each case's answers from the ledger (following the real spends)
and :func:`check` raises :class:`CaseError` when a story does not hold. The builder then retries
with a derived seed, and fails loudly if no attempt works: a broken case is never emitted.

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(14, 3_000).run()
>>> finalise(eco)
>>> sorted(eco.cases)
['cluster-01', 'coinjoin-01', 'darknet-01', 'ransom-01', 'sanctions-01', 'theft-01']
"""

from ..errors import ChaintraceError
from .calendar import START_HEIGHT, date_text
from .writer import addr_ref, tx_ref

CASES = ("ransom-01", "darknet-01", "sanctions-01", "coinjoin-01", "theft-01", "cluster-01")


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
def check_ransom(eco) -> None:
    case = "ransom-01"
    require(case in eco.cases and "truth" in eco.cases[case], case, "the peel chain never ended")
    led, t = eco.ledger, eco.cases[case]["truth"]
    pay = t["payment_txid"].idx
    require(
        len(led.t_inputs[pay]) == 1 and len(led.t_outputs[pay]) == 2, case, "payment not 1-in-2-out"
    )
    ransom_out = led.t_outputs[pay][t["payment_vout"]]
    require(
        led.o_spent[ransom_out] == t["split_txid"].idx, case, "ransom output not spent by the split"
    )
    prev = t["split_txid"].idx
    for hop in t["peel_txids"]:
        hop = hop.idx
        require(any(led.o_tx[o] == prev for o in led.t_inputs[hop]), case, "peel chain not linked")
        prev = hop
    (_, addr, value), *rest = _outs(eco, prev)
    require(
        not rest and _kind(eco, addr) == "exchange", case, "last hop is not one exchange output"
    )
    require(eco.book.role[addr] == "deposit", case, "the chain does not end at a deposit address")
    require(value == t["deposit_sats"], case, "deposit amount disagrees")


def finalise_darknet(eco) -> None:
    case, led, book = "darknet-01", eco.ledger, eco.book
    st = _state(eco, case)
    require(st.get("cashout_tx") is not None, case, "the vendor never cashed out")
    esc = st["escrow_out"]
    sweep = led.o_spent[esc]
    require(
        sweep >= 0 and led.t_typology[sweep] == "darknet_escrow_sweep", case, "escrow not swept"
    )
    ((_, hot, _),) = _outs(eco, sweep)
    payout = next(p for s, p in eco.by_name["Tundra Market"].data["payouts"] if s == sweep)
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
    eco.cases[case] = _case(
        case,
        "A darknet market order",
        "darknet_market",
        "Police seized a buyer's phone. Its wallet app shows one order paid on the darknet market "
        "Tundra Market to the vendor 'NordicLeaf'. Markets hold buyers' coins in escrow, pool them "
        "in a market wallet and pay vendors their share in batches. Follow the order to the "
        "market's wallet and to the vendor, and find where the vendor turned the coins into money.",
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
            "commission": 0.05,
            "vendor_entity": st["vendor"].name,
            "market_entity": market.name,
            "cashout_txid": tx_ref(cash),
            "cashout_deposit_address": addr_ref(dep),
            "cashout_sats": dep_sats,
            "cashout_exchange": eco.entities[book.entity[dep]].name,
        },
    )


def finalise_sanctions(eco, listed: set[int]) -> None:
    case, led, book = "sanctions-01", eco.ledger, eco.book
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
    require(kup_in in listed, case, "the Kupolex address on the path is not on the sanctions list")
    host_sweep = led.o_spent[out]
    require(host_sweep >= 0, case, "the host never swept the nested deposit")
    origin = led.o_addr[led.t_inputs[st["cashout_tx"]][0]]
    require(_kind(eco, origin) == "darknet_market", case, "the flow does not start at the market")
    path = [st["cashout_tx"], st["sweep_tx"], settle, host_sweep]
    for a, b in zip(path, path[1:], strict=False):
        require(any(led.o_tx[o] == a for o in led.t_inputs[b]), case, "path not linked")
    host_in = sum(
        led.o_value[o]
        for t in range(len(led.t_inputs))
        if led.t_typology[t] == "nested_settlement"
        for o in led.t_outputs[t]
        if led.o_addr[o] in ferrum.data["deposits"]
    )
    sats = led.o_value[out]
    eco.cases[case] = _case(
        case,
        "A nested exchange at a large exchange",
        "sanctions_evasion",
        "Northmint, a large regulated exchange, filed a suspicious activity report on its corporate "
        "customer Ferrum Trade LLC, registered as a 'payment agent', whose deposit addresses receive "
        "large sums at all hours. The FIU passes on one deposit. Find where the money came from, "
        "screen every counterparty on the way against the training sanctions list, and explain what "
        "Ferrum Trade really is.",
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
            "sanctioned_address": addr_ref(kup_in),
            "sanctioned_party": "KUPOLEX OU",
            "kupolex_deposit_address": addr_ref(st["kupolex_deposit"]),
            "origin_entity": "Tundra Market",
            "origin_address": addr_ref(origin),
            "path_txids": [tx_ref(t) for t in path],
            "hops_from_sanctioned": 1,
            "hops_from_origin": 3,
            "host_sweep_txid": tx_ref(host_sweep),
            "kupolex_to_nested_sats": host_in,
        },
    )


def finalise_coinjoin(eco, uf_plain) -> None:
    case, led, book = "coinjoin-01", eco.ledger, eco.book
    st = _state(eco, case)
    subject = st["subject"]
    for key in ("wasabi_tx", "tx0", "mixer_tx", "exit_tx"):
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
        require(all(v == 5_000_000 for _, _, v in mouts), case, "a mix output is not the pool size")
    order = subject.data["mixer_orders"][0]
    pay = order["payout_tx"]
    require(st["legs"][2] not in led.t_inputs[pay], case, "the mixer paid back the same coin")
    ((_, exit_dep, _),) = _outs(eco, st["exit_tx"])
    mixer_dep = next(a for _, a, _ in _outs(eco, st["mixer_tx"]) if book.role[a] == "mix_in")
    mine = [(led.o_vout[o], v) for o, a, v in outs if book.entity[a] == subject.id]
    eco.cases[case] = _case(
        case,
        "Coins that went through CoinJoins and a mixer",
        "obfuscation",
        "A partner agency seized a suspect's wallet backup. One address received a large payment "
        "from an exchange; the suspect says the coins are 'long gone'. Find what privacy tools the "
        "coins went through, which outputs after them may still be the suspect's, what common-input "
        "clustering gets wrong here, and whether any of it reached an exchange that knows its customers.",
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
            "whirlpool_pool_sats": 5_000_000,
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


def finalise_theft(eco) -> None:
    case, led, book = "theft-01", eco.ledger, eco.book
    st = _state(eco, case)
    require("legs" in st, case, "the loot was never split")
    legs, deposits, mixed, dormant, fees = [], [], [], [], 0
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
        if leg["end"] == "dormant":
            require(led.o_spent[leg["coin"]] == -1, case, "the dormant coin was spent")
            a = led.o_addr[leg["coin"]]
            dormant.append({"address": addr_ref(a), "sats": led.o_value[leg["coin"]]})
        legs.append({"end": leg["end"], "txids": [tx_ref(t) for t in hops]})
    ends = sum(d["sats"] for d in deposits) + sum(m["sats"] for m in mixed)
    ends += sum(d["sats"] for d in dormant)
    require(ends + fees == st["stolen"], case, "stolen value not accounted for")
    victim = st["victim"]
    eco.cases[case] = _case(
        case,
        "An exchange hot wallet drained",
        "theft",
        f"{victim.name}, an exchange, reports that its hot wallet was drained in one transaction. "
        "The thieves are known to split loot over many addresses and move it in small steps. "
        "Trace every part of the loot: which exchanges received it (and so can be asked who holds "
        "the accounts), how much went into a mixer, and what is still sitting on the chain.",
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
        },
    )


def finalise_cluster(eco, uf_all) -> None:
    case, led, book = "cluster-01", eco.ledger, eco.book
    st = _state(eco, case)
    scam = st["scam"]
    require(
        st.get("pay_tx") is not None and st.get("merge_tx") is not None, case, "no payment/merge"
    )
    suspect = st["suspect_address"]
    root = uf_all.find(suspect)
    cluster = sorted(a for a in uf_all.parent if uf_all.find(a) == root)
    require(all(book.entity[a] == scam.id for a in cluster), case, "the cluster is not pure")
    merge = _first_merge(eco, scam.data["wallet_a"], scam.data["wallet_b"])
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
    eco.cases[case] = _case(
        case,
        "An investment scam's wallet",
        "scam",
        "A complainant paid an online 'investment club' (Quantum Yield Club) and never saw the "
        "money again. Other victims paid other addresses. Find every address that common-input "
        "clustering puts with the one the complainant paid, and the transaction that first joined "
        "the club's old and new wallets into one cluster.",
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
        },
    )


def _first_merge(eco, side_a, side_b) -> int:
    """The first transaction after which an address of ``side_a`` and one of ``side_b`` cluster.

    Only transactions spending one of the owner's addresses can join the owner's clusters (the
    purity check guarantees no one else co-spends them), so only those are examined.
    """
    led, book, uf = eco.ledger, eco.book, UnionFind()
    owner = book.entity[side_a[0]]
    for t, ins in enumerate(led.t_inputs):
        if len(ins) < 2:
            continue
        for o in ins[1:]:
            uf.union(led.o_addr[ins[0]], led.o_addr[o])
        if any(book.entity[led.o_addr[o]] == owner for o in ins):
            roots_a = {uf.find(a) for a in side_a}
            if any(uf.find(b) in roots_a for b in side_b):
                return t
    return -1


def finalise(eco) -> None:
    """Read every case's answers from the ledger and check its story; raise CaseError if broken."""
    from .extras import listed_bitcoin_addresses

    check_ransom(eco)
    finalise_darknet(eco)
    finalise_sanctions(eco, listed_bitcoin_addresses(eco))
    coinjoins = [t for t, k in enumerate(eco.ledger.t_typology) if k == "coinjoin"]
    finalise_coinjoin(eco, cospend(eco, skip=coinjoins))
    finalise_theft(eco)
    finalise_cluster(eco, cospend(eco))
    for c in CASES:
        require("brief" in eco.cases[c] and "truth" in eco.cases[c], c, "no brief or answers")
