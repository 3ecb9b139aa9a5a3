"""Case scripts ``coinjoin-0x`` (CoinJoins and a mixer), ``theft-0x`` (a large theft laundered in
many small steps) and ``cluster-0x`` (a scam's wallets and what joins them into one cluster).

As in :mod:`chaintrace.sim.case_market`, the answers are read from the finished ledger by
:mod:`chaintrace.sim.invariants`. Each script runs apart from the background
(:mod:`chaintrace.sim.casework`): the CoinJoin rounds and mixes it needs are the case's own, with
other participants the case makes, on the coordinators' real fee addresses.

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(12, 3_000, cases=["coinjoin-01", "theft-01", "cluster-01"]).run()
>>> sorted(eco.case_runs)
['cluster-01', 'coinjoin-01', 'theft-01']
"""

from types import SimpleNamespace

from . import casework, privacy
from .cases import add_entity, fan_out, output_of, variant
from .wallets import PROFILES

WHIRL_POOL = 5_000_000
THEFT_EXCHANGES = ("Kupolex", "Bystrobit", "Ostrava Coin", "Harbourline", "Baltica Exchange")
THEFT_VICTIMS = ("Northmint", "Baltica Exchange", "Ostrava Coin", "Harbourline")


# ---------------------------------------------------------------------------- shared pieces
def buy(eco, exchange, person, sats: int, then, *args) -> None:
    """``person`` buys ``sats`` at ``exchange`` (its float there bought from a pool), then
    ``then(eco, *args, withdrawal tx)`` runs."""
    casework.endow(eco, casework.hot_address(eco, exchange), int(sats * eco.rng.uniform(1.3, 2.0)))
    addr = eco.new_address(person, "receive")
    eco.schedule(eco.height + 1, _withdraw, exchange, addr, sats, then, args)


def _withdraw(eco, exchange, addr, sats, then, args) -> None:
    tx = eco.spend(
        exchange, [(addr, sats)], pocket="hot", typology="exchange_withdrawal", change_role="hot"
    )
    then(eco, *args, tx, addr)


def crowd(eco, kind: str, n: int, sats_each, coins_each: int = 1) -> list:
    """``n`` privacy-wallet users made for this case, each holding its own P2WPKH coins."""
    people, pays = [], []
    case_id = eco.case_run.case_id
    for k in range(n):
        ent = add_entity(
            eco, f"individual-{kind}-{case_id}-{k + 1:02d}", "individual", PROFILES[kind]
        )
        ent.data["privacy"] = kind
        pays += [
            (eco.new_address(ent, "receive", "p2wpkh"), sats_each()) for _ in range(coins_each)
        ]
        people.append(ent)
    casework.endow_many(eco, pays)
    return people


def wasabi_round(eco, people, extra=()) -> int | None:
    """A Wasabi-like round of the case's own participants (plus ``extra`` pairs)."""
    led = eco.ledger
    parts = list(extra)
    for u in people:
        coins = [c for c in led.pocket(u.id) if eco.book.true_type[led.o_addr[c]] == "p2wpkh"]
        if sum(led.o_value[c] for c in coins[:3]) > privacy.WASABI_DENOM * 1.05:
            parts.append((u, coins[:3]))
    denom = privacy.WASABI_DENOM + eco.rng.randrange(0, 1_000_000, 1_000)
    return privacy.coinjoin(eco, eco.by_name["Zephyr Coordinator"], parts, denom, max_each=3)


def tx0(eco, user, pool: int, n: int, coins) -> int | None:
    """A Whirlpool Tx0 kept to the case: premix outputs, the pool fee, a toxic change."""
    eddy = eco.by_name["Eddy Pool"]
    premix = [
        (eco.new_address(user, "premix", "p2wpkh"), privacy.premix_value(pool)) for _ in range(n)
    ]
    return eco.spend(
        user, premix + [(eddy.data["fee_addr"], pool // 20)], coins=coins, typology="whirlpool_tx0"
    )


def mixer_deposit(eco, user, coins) -> int | None:
    """``user`` pays all of ``coins`` to a fresh deposit address of the custodial mixer."""
    mixer = eco.by_name["Fogbank"]
    addr = eco.new_address(mixer, "mix_in", beneficiary=user.id)
    tx = eco.spend(user, [(addr, 0)], coins=coins, send_all=True, typology="mixer_deposit")
    eco.schedule(eco.height + eco.rng.randrange(6, 18), mixer_sweep)
    return tx


def mixer_sweep(eco) -> None:
    """The mixer moves the case's deposits into a fresh reserve address."""
    mixer = eco.by_name["Fogbank"]
    coins = [o for o in eco.ledger.pocket(mixer.id, "deposit")]
    if coins:
        eco.spend(
            mixer,
            [(eco.new_address(mixer, "hot"), 0)],
            coins=coins,
            send_all=True,
            typology="mixer_sweep",
        )


# ---------------------------------------------------------------------------- coinjoin
# coinjoin-01: Wasabi round, Whirlpool Tx0 + mixes (0.05 BTC pool), custodial mixer, then the
# mixer's payout consolidated into a KYC deposit at Northmint.
# coinjoin-02 (the twin): the pool, the split and the exits differ per variant; the careless
# exit is not the mixer's payout but Whirlpool postmix coins spent together with the Wasabi
# round's change, to an exchange drawn per variant; the mixer's payout stays unspent.
def coinjoin_plan(eco, case_id: str) -> dict:
    rng, n = eco.rng, eco.n_blocks
    twin = variant(case_id) > 1
    name = "Orrin Vale (suspect)" if not twin else "Dara Kell (suspect)"
    subject = add_entity(eco, name, "individual", PROFILES["wasabi"])
    st = {
        "case": case_id,
        "subject": subject,
        "twin": twin,
        "usd": rng.uniform(90_000, 140_000),
        "funder": "Bystrobit" if not twin else rng.choice(("Bystrobit", "Baltica Exchange")),
        "shares": (0.25, 0.2, 0.55) if not twin else _three_shares(rng),
        "pool": WHIRL_POOL if not twin else rng.choice((1_000_000, 5_000_000)),
        "n_premix": 4 if not twin else rng.randrange(3, 6),
        "exit": "Northmint"
        if not twin
        else rng.choice(("Harbourline", "Kestrel Markets", "Ostrava Coin")),
        "mixer_n_out": 3 if not twin else rng.randrange(2, 5),
    }
    at = int(n * (0.42 if not twin else rng.uniform(0.3, 0.5)))
    eco.schedule(eco.height + at, cj_fund, st)
    return st


def _three_shares(rng) -> tuple[float, float, float]:
    w = [rng.uniform(0.2, 0.5), rng.uniform(0.15, 0.35), rng.uniform(0.2, 0.5)]
    s = sum(w)
    return tuple(round(x / s, 2) for x in w[:2]) + (
        round(1 - sum(round(x / s, 2) for x in w[:2]), 2),
    )


def cj_fund(eco, st) -> None:
    sats = int(eco.usd_to_sats(st["usd"]))
    buy(eco, eco.by_name[st["funder"]], st["subject"], sats, cj_received, st)
    # the others in the same Wasabi round and the same Whirlpool pool
    denom = privacy.WASABI_DENOM
    st["people"] = crowd(
        eco, "wasabi", eco.rng.randrange(14, 26), lambda: int(denom * eco.rng.uniform(1.3, 3.0))
    )
    pool = st["pool"]
    st["remixers"] = crowd(
        eco, "samourai", 7, lambda: int(pool * eco.rng.uniform(2.4, 3.5)) + 60_000
    )
    eco.schedule(eco.height + 2, cj_others_tx0, st)


def cj_others_tx0(eco, st) -> None:
    """The others in the Whirlpool pool make their own Tx0s (two premix coins each)."""
    led, st["pre"], st["post"] = eco.ledger, [], []
    for u in st["remixers"]:
        tx = tx0(eco, u, st["pool"], 2, coins=list(led.pocket(u.id))[:1])
        st["pre"] += [(u, o) for o in led.t_outputs[tx] if eco.book.role[led.o_addr[o]] == "premix"]


def cj_received(eco, st, tx, addr) -> None:
    st.update(
        received_tx=tx,
        receive=addr,
        time=eco.time,
        day=eco.day,
        sats=eco.ledger.o_value[output_of(eco, tx, addr)],
    )
    eco.schedule(eco.height + eco.rng.randrange(3, 8), cj_split, st)


def cj_split(eco, st) -> None:
    """The suspect splits the coins three ways: Wasabi, Whirlpool and the custodial mixer."""
    subject = st["subject"]
    coin = output_of(eco, st["received_tx"], st["receive"])
    addrs = [eco.new_address(subject, "receive", "p2wpkh") for _ in range(3)]
    st["split_tx"] = fan_out(
        eco, subject, [coin], list(zip(addrs, st["shares"], strict=True)), "self_transfer"
    )
    st["legs"] = [output_of(eco, st["split_tx"], a) for a in addrs]
    eco.schedule(eco.height + 20, cj_wasabi, st)
    eco.schedule(eco.height + 4, cj_tx0, st)
    eco.schedule(eco.height + 6, cj_mixer, st)


def cj_wasabi(eco, st) -> None:
    st["wasabi_tx"] = wasabi_round(eco, st["people"], [(st["subject"], [st["legs"][0]])])


def cj_tx0(eco, st) -> None:
    st["tx0"] = tx0(eco, st["subject"], st["pool"], st["n_premix"], coins=[st["legs"][1]])
    st["mixes"] = []
    led = eco.ledger
    premix = [o for o in led.t_outputs[st["tx0"]] if eco.book.role[led.o_addr[o]] == "premix"]
    for k, o in enumerate(premix):
        # one mix per case block at most: a remixer's coin must be a block old to mix again
        eco.schedule(eco.height + 12 + 5 * k, cj_mix, st, o)


def cj_mix(eco, st, coin: int) -> None:
    """One Whirlpool-like mix: the suspect's premix coin with the case's remixers."""
    led = eco.ledger
    eddy = eco.by_name["Eddy Pool"]
    pool = st["pool"]
    pre = [(u, o) for u, o in st["pre"] if led.o_spent[o] == -1]
    post = [(u, o) for u, o in st["post"] if led.o_spent[o] == -1]
    # the pool as the case sees it: the others' premix and postmix coins, never the background's
    view = SimpleNamespace(id=eddy.id, data={"premix": {pool: pre}, "postmix": {pool: post}})
    tx = privacy.whirlpool_mix(eco, view, pool, force=(st["subject"], coin))
    st["pre"] = view.data["premix"][pool]
    st["post"] = [p for p in view.data["postmix"][pool] if p[0] is not st["subject"]]
    st["mixes"].append(tx)


def cj_mixer(eco, st) -> None:
    st["mixer_tx"] = mixer_deposit(eco, st["subject"], coins=[st["legs"][2]])
    mixer = eco.by_name["Fogbank"]
    st["reserve_addr"] = eco.new_address(mixer, "hot")  # the mixer's reserve (other coins)
    casework.endow(eco, st["reserve_addr"], int(eco.ledger.o_value[st["legs"][2]] * 1.2))
    eco.schedule(eco.height + eco.rng.randrange(6, 72), cj_mixer_payout, st)


def cj_mixer_payout(eco, st) -> None:
    """The mixer pays the suspect from its reserve (other coins), minus its fee."""
    mixer, rng, led = eco.by_name["Fogbank"], eco.rng, eco.ledger
    got = led.o_value[led.t_outputs[st["mixer_tx"]][0]]
    net = int(got * (1 - privacy.MIXER_FEE - rng.uniform(0, 0.01)))
    cuts = sorted(rng.uniform(0.15, 0.85) for _ in range(st["mixer_n_out"] - 1))
    shares = [b - a for a, b in zip([0.0, *cuts], [*cuts, 1.0], strict=True)]
    pays = [(eco.new_address(st["subject"], "receive"), int(net * s)) for s in shares]
    reserve = [o for o in led.pocket(mixer.id, "hot") if led.o_addr[o] == st["reserve_addr"]]
    st["mixer_payout_tx"] = eco.spend(
        mixer,
        pays,
        coins=reserve[:1],
        typology="mixer_payout",
        change_addr=eco.new_address(mixer, "hot"),
    )
    eco.schedule(eco.height + 100, cj_exit, st)


def cj_exit(eco, st) -> None:
    """Careless: coins the suspect thinks are clean go into a KYC deposit."""
    subject, led = st["subject"], eco.ledger
    ex = eco.by_name[st["exit"]]
    dest = casework.deposit(eco, subject, ex)
    if not st["twin"]:  # everything the suspect holds, the mixer's payout with it
        coins = list(led.pocket(subject.id))[:40]
    else:  # postmix coins of the Whirlpool leg, with the Wasabi round's change
        change = [
            o
            for o in led.t_outputs[st["wasabi_tx"]]
            if eco.book.entity[led.o_addr[o]] == subject.id
            and eco.book.role[led.o_addr[o]] == "change"
        ]
        postmix = [o for o in led.pocket(subject.id, "postmix")]
        coins = postmix[:2] + change
    st["exit_tx"] = eco.spend(
        subject, [(dest, 0)], coins=coins, send_all=True, typology="exchange_deposit"
    )
    casework.sweep_soon(eco, ex)


# ---------------------------------------------------------------------------- theft
# theft-01: a KYC exchange's hot wallet drained, split over 10-14 addresses, peel chains to
# exchanges, two legs into the mixer, one dormant.
# theft-02 (the twin): another exchange, fewer legs, and two legs merged with the thief's own
# clean coins before they peel (so poison, haircut, FIFO and TIHO disagree differently).
def theft_plan(eco, case_id: str) -> dict:
    rng, n = eco.rng, eco.n_blocks
    twin = variant(case_id) > 1
    thief = (
        eco.by_name["Lazurite Group"]
        if not twin
        else add_entity(eco, "Cobalt Wolves", "thief", PROFILES["core"])
    )
    st = {
        "case": case_id,
        "thief": thief,
        "twin": twin,
        "victim": eco.by_name[rng.choice(THEFT_VICTIMS)],
        "btc": rng.uniform(22, 30) if not twin else rng.uniform(12, 26),
    }
    at = int(n * (0.3 if not twin else rng.uniform(0.25, 0.45)))
    eco.schedule(eco.height + at, theft_prepare, st)
    return st


def theft_prepare(eco, st) -> None:
    """The victim's hot wallet holds coins the case owns (bought from pools over time)."""
    ex = st["victim"]
    total, k = int(st["btc"] * 1e8), eco.rng.randrange(6, 11)
    weights = [eco.rng.uniform(0.5, 1.5) for _ in range(k)]  # unequal: no CoinJoin look-alike
    pays = [(casework.hot_address(eco, ex), int(total * w / sum(weights))) for w in weights]
    if st["twin"]:  # the thief's own clean savings, merged in later
        st["clean_addrs"] = [eco.new_address(st["thief"], "held") for _ in range(2)]
        pays += [(a, int(eco.rng.uniform(0.5, 3.0) * 1e8)) for a in st["clean_addrs"]]
    casework.endow_many(eco, pays)
    eco.schedule(eco.height + eco.rng.randrange(2, 20), theft, st)


def theft(eco, st) -> None:
    """Drain the victim's hot wallet in one transaction."""
    thief, led, victim = st["thief"], eco.ledger, st["victim"]
    coins = sorted(led.pocket(victim.id, "hot"), key=led.o_value.__getitem__, reverse=True)[:12]
    st["drop"] = eco.new_address(thief, "held")
    st.update(time=eco.time, day=eco.day)
    st["theft_tx"] = fan_out(eco, thief, coins, [(st["drop"], 1.0)], "theft")
    st["stolen"] = led.o_value[led.t_outputs[st["theft_tx"]][0]]
    eco.schedule(eco.height + eco.rng.randrange(3, 10), theft_split, st)


def theft_split(eco, st) -> None:
    """Split the loot over many fresh addresses, then walk each down a peel chain."""
    rng, thief = eco.rng, st["thief"]
    k = rng.randrange(10, 15) if not st["twin"] else rng.randrange(6, 10)
    weights = [rng.uniform(0.5, 1.5) for _ in range(k)]
    addrs = [eco.new_address(thief, "held") for _ in range(k)]
    shares = [(a, w / sum(weights)) for a, w in zip(addrs, weights, strict=True)]
    coin = eco.ledger.t_outputs[st["theft_tx"]][0]
    st["split_tx"] = fan_out(eco, thief, [coin], shares, "theft_split")
    if not st["twin"]:
        ends = ["mixer", "mixer", "dormant"] + ["exchange"] * (k - 3)
    else:
        ends = ["mixer", "dormant", "dormant", "merged", "merged"] + ["exchange"] * (k - 5)
    rng.shuffle(ends)
    st["legs"] = []
    for addr, end in zip(addrs, ends, strict=True):
        leg = {"end": end, "hops": [], "coin": output_of(eco, st["split_tx"], addr)}
        leg["n"] = rng.randrange(3, 7)
        st["legs"].append(leg)
        eco.schedule(eco.height + rng.randrange(2, 40), theft_hop, st, leg)


def theft_hop(eco, st, leg) -> None:
    rng, thief, led = eco.rng, st["thief"], eco.ledger
    coin = leg["coin"]
    if leg["end"] == "merged" and not leg["hops"]:
        # first hop of a merged leg: the loot and a clean coin of the thief go to one address
        clean = next(o for o in led.pocket(thief.id, "held") if led.o_addr[o] in st["clean_addrs"])
        keep = eco.new_address(thief, "held")
        tx = eco.spend(
            thief, [(keep, 0)], coins=[coin, clean], send_all=True, typology="consolidation"
        )
        leg["hops"].append(tx)
        leg["clean"] = clean
        leg["coin"] = output_of(eco, tx, keep)
        eco.schedule(eco.height + rng.randrange(1, 12), theft_hop, st, leg)
        return
    if len(leg["hops"]) >= leg["n"]:
        if leg["end"] in ("exchange", "merged"):
            ex = eco.by_name[rng.choice(THEFT_EXCHANGES[:3])]
            dep = casework.deposit(eco, thief, ex)
            tx = eco.spend(thief, [(dep, 0)], coins=[coin], send_all=True, typology="theft_cashout")
            leg["hops"].append(tx)
            casework.sweep_soon(eco, ex)
        elif leg["end"] == "mixer":
            leg["hops"].append(mixer_deposit(eco, thief, coins=[coin]))
        return
    ex = eco.by_name[rng.choice(THEFT_EXCHANGES)]
    dest = casework.deposit(eco, thief, ex)
    keep = eco.new_address(thief, "held")
    peel = int(led.o_value[coin] * rng.uniform(0.04, 0.15))
    tx = eco.spend(thief, [(dest, peel)], coins=[coin], change_addr=keep, typology="peel_chain")
    leg["hops"].append(tx)
    casework.sweep_soon(eco, ex)
    leg["coin"] = output_of(eco, tx, keep)
    eco.schedule(eco.height + rng.randrange(1, 12), theft_hop, st, leg)


# ---------------------------------------------------------------------------- cluster
# cluster-01: Quantum Yield Club's old wallet and new wallet (P2PKH), joined by one careless
# transaction of the club's own.
# cluster-02 (the twin): another scam (P2WPKH); besides its own merge, one of its coins went
# through a Wasabi-like round, so naive common-input clustering (CoinJoins not excluded) joins it
# with strangers; the wallet sizes and the round's size vary per variant.
def cluster_plan(eco, case_id: str) -> dict:
    rng, n, h = eco.rng, eco.n_blocks, eco.height
    twin = variant(case_id) > 1
    if twin:
        scam = add_entity(eco, "Silverline Capital", "scam", PROFILES["core"])
        kind, sizes = "p2wpkh", (rng.randrange(2, 6), rng.randrange(2, 6))
    else:
        scam, kind, sizes = eco.by_name["Quantum Yield Club"], "p2pkh", (3, 3)
    suffix = "" if not twin else f" ({case_id})"
    victim = add_entity(eco, f"Scam victim (complainant){suffix}", "individual", PROFILES["core"])
    st = {
        "case": case_id,
        "scam": scam,
        "twin": twin,
        "victim": victim,
        "wallet_a": [eco.new_address(scam, "receive", kind) for _ in range(sizes[0])],
        "wallet_b": [eco.new_address(scam, "wallet_b", kind) for _ in range(sizes[1])],
        "others": [],
    }
    for k in range(sum(sizes) + rng.randrange(0, 4)):
        other = add_entity(
            eco, f"scam victim {k + 1}{suffix or ' (cluster-01)'}", "individual", PROFILES["core"]
        )
        st["others"].append(other)
    shift = 0.0 if not twin else rng.uniform(-0.1, 0.1)
    eco.schedule(h + int(n * (0.30 + shift)), scam_others_fund, st)
    eco.schedule(h + int(n * (0.40 + shift)), scam_victim_fund, st)
    eco.schedule(h + int(n * (0.45 + shift)), scam_switch, st)
    eco.schedule(h + int(n * (0.55 + shift)), scam_wallet_b, st)
    eco.schedule(h + int(n * (0.65 + shift)), scam_merge, st)
    return st


def scam_others_fund(eco, st) -> None:
    casework.endow_many(
        eco,
        [
            (eco.receive_address(o), eco.usd_to_sats(eco.rng.uniform(1_000, 4_000)))
            for o in st["others"]
        ],
    )
    eco.schedule(eco.height + eco.rng.randrange(6, 30), scam_others_pay, st, "wallet_a")


def scam_others_pay(eco, st, wallet: str) -> None:
    """Other victims pay the scam's current wallet (reused addresses, as the club hands out)."""
    cut = len(st["wallet_a"]) + (len(st["others"]) - len(st["wallet_a"]) - len(st["wallet_b"])) // 2
    payers = st["others"][:cut] if wallet == "wallet_a" else st["others"][cut:]
    for k, other in enumerate(payers):
        usd = eco.rng.uniform(300, 900)
        # the club hands its few addresses out in turn: each receives, so the wallet's
        # consolidation co-spends every one of them
        to = st[wallet][k % len(st[wallet])]
        eco.spend(other, [(to, eco.usd_to_sats(usd))], typology="scam_payment")


def scam_victim_fund(eco, st) -> None:
    sats = eco.usd_to_sats(eco.rng.uniform(2_500, 9_000))
    buy(eco, eco.by_name["Ostrava Coin"], st["victim"], sats, lambda eco, tx, addr: None)


def scam_switch(eco, st) -> None:
    """The complainant pays an address of the old wallet; the old wallet consolidates; the
    scam then moves to a new wallet."""
    suspect = eco.rng.choice(st["wallet_a"])
    st["pay_tx"] = eco.spend(
        st["victim"],
        [(suspect, eco.usd_to_sats(eco.rng.uniform(1_500, 2_200)))],
        typology="scam_payment",
    )
    st.update(suspect_address=suspect, time=eco.time, day=eco.day)
    eco.schedule(eco.height + 6, scam_consolidate, st, "main")
    if st["twin"]:
        eco.schedule(eco.height + 10, scam_coinjoin, st)


def scam_consolidate(eco, st, pocket: str) -> None:
    """The scam co-spends coins of one wallet into an address of the same wallet."""
    scam, led = st["scam"], eco.ledger
    coins = list(led.pocket(scam.id, pocket))
    if len(coins) < 2:
        return
    wallet = st["wallet_a"] if pocket == "main" else st["wallet_b"]
    eco.spend(
        scam, [(wallet[0], 0)], coins=coins[:20], send_all=True, typology="scam_consolidation"
    )


def scam_coinjoin(eco, st) -> None:
    """cluster-02: a large victim payment to the old wallet goes through a Wasabi-like round."""
    big = add_entity(eco, f"scam victim big ({st['case']})", "individual", PROFILES["core"])
    casework.endow(
        eco, eco.receive_address(big), int(privacy.WASABI_DENOM * eco.rng.uniform(1.5, 2.5))
    )
    st["big_victim"] = big
    st["cj_people"] = crowd(
        eco,
        "wasabi",
        eco.rng.randrange(12, 22),
        lambda: int(privacy.WASABI_DENOM * eco.rng.uniform(1.3, 3.0)),
    )
    eco.schedule(eco.height + 2, scam_big_payment, st)


def scam_big_payment(eco, st) -> None:
    big = st["big_victim"]
    st["big_tx"] = eco.spend(
        big, [(st["wallet_a"][-1], int(privacy.WASABI_DENOM * 1.4))], typology="scam_payment"
    )
    eco.schedule(eco.height + eco.rng.randrange(3, 12), scam_round, st)


def scam_round(eco, st) -> None:
    coin = output_of(eco, st["big_tx"], st["wallet_a"][-1])
    st["coinjoin_tx"] = wasabi_round(eco, st["cj_people"], [(st["scam"], [coin])])


def scam_wallet_b(eco, st) -> None:
    """The scam hands out its new wallet: later victims pay it."""
    scam_others_pay(eco, st, "wallet_b")
    eco.schedule(eco.height + eco.rng.randrange(6, 20), scam_consolidate, st, "b")


def scam_merge(eco, st) -> None:
    """One transaction spends coins of both wallets: the two clusters become one."""
    led, scam = eco.ledger, st["scam"]
    a = [o for o in led.pocket(scam.id, "main") if led.o_addr[o] in st["wallet_a"]]
    b = list(led.pocket(scam.id, "b"))
    if not a or not b:
        eco.schedule(eco.height + 3, scam_merge, st)
        return
    to = eco.new_address(scam, "wallet_b", eco.book.true_type[st["wallet_b"][0]])
    st["wallet_b"].append(to)
    st["merge_tx"] = eco.spend(
        scam, [(to, 0)], coins=a[:10] + b[:10], send_all=True, typology="scam_consolidation"
    )
