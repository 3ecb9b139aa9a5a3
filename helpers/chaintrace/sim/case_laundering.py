"""Case scripts ``coinjoin-01`` (CoinJoins and a mixer), ``theft-01`` (a large theft laundered in
many small steps) and ``cluster-01`` (a scam's two wallets merged by one careless transaction).

As in :mod:`chaintrace.sim.case_market`, the answers are read from the finished ledger by
:mod:`chaintrace.sim.invariants`.

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(12, 3_000).run()
>>> sorted(k for k in eco.cases if k in ("coinjoin-01", "theft-01", "cluster-01"))
['cluster-01', 'coinjoin-01', 'theft-01']
"""

from . import illicit, privacy, services
from .cases import add_entity, fan_out, output_of
from .wallets import PROFILES

WHIRL_POOL = 5_000_000


def plan(eco) -> None:
    n, h = eco.n_blocks, eco.height
    subject = add_entity(eco, "Orrin Vale (suspect)", "individual", PROFILES["wasabi"])
    eco.schedule(h + int(n * 0.42), cj_fund, {"subject": subject})
    thief = eco.by_name["Lazurite Group"]
    eco.schedule(h + int(n * 0.3), theft, {"thief": thief})
    scam = eco.by_name["Quantum Yield Club"]
    victim = add_entity(eco, "Scam victim (complainant)", "individual", PROFILES["core"])
    st = {"scam": scam, "victim": victim}
    eco.schedule(h + int(n * 0.40), scam_victim_fund, st)
    eco.schedule(h + int(n * 0.45), scam_switch, st)
    eco.schedule(h + int(n * 0.62), scam_second_payment, st)
    eco.schedule(h + int(n * 0.65), scam_merge, st)


# ---------------------------------------------------------------------------- coinjoin-01
def cj_fund(eco, st) -> None:
    subject = st["subject"]
    sats = int(eco.usd_to_sats(eco.rng.uniform(90_000, 140_000)))
    st["receive"] = eco.new_address(subject, "receive")
    ex = eco.by_name["Bystrobit"]
    if eco.ledger.balance(ex.id, "hot") < sats * 1.2:
        ex = eco.by_name["Baltica Exchange"]
    tx = eco.spend(
        ex, [(st["receive"], sats)], pocket="hot", typology="exchange_withdrawal", change_role="hot"
    )
    if tx is None:
        eco.schedule(eco.height + 3, cj_fund, st)
        return
    st.update(received_tx=tx, time=eco.time, day=eco.day, sats=sats)
    eco.cases["coinjoin-01"] = {"state": st}
    # others get ready for the same Wasabi round and the same Whirlpool pool
    st["people"] = eco.rng.sample(eco.privacy_users["wasabi"], 24)
    for u in st["people"]:
        if eco.ledger.balance(u.id) < privacy.WASABI_DENOM * 1.3:
            privacy.fund(eco, u, int(privacy.WASABI_DENOM * eco.rng.uniform(1.3, 3.0)))
    for u in eco.rng.sample(eco.privacy_users["samourai"], 8):
        privacy.fund(eco, u, WHIRL_POOL * 5)
        eco.schedule(eco.height + 14, privacy.tx0, u, WHIRL_POOL, 4)
    eco.schedule(eco.height + eco.rng.randrange(3, 8), cj_split, st)


def cj_split(eco, st) -> None:
    """The suspect splits the coins three ways: Wasabi, Whirlpool and the custodial mixer."""
    subject = st["subject"]
    coin = output_of(eco, st["received_tx"], st["receive"])
    addrs = [eco.new_address(subject, "receive") for _ in range(3)]
    st["split_tx"] = fan_out(
        eco, subject, [coin], list(zip(addrs, (0.25, 0.2, 0.55), strict=True)), "self_transfer"
    )
    st["legs"] = [output_of(eco, st["split_tx"], a) for a in addrs]
    eco.schedule(eco.height + 20, cj_wasabi, st, 0)
    eco.schedule(eco.height + 4, cj_tx0, st)
    eco.schedule(eco.height + 6, cj_mixer, st)


def cj_wasabi(eco, st, tries: int) -> None:
    extra = [(st["subject"], [st["legs"][0]])]
    tx = privacy.wasabi_round(eco, st["people"], extra)
    if tx is None and tries < 20:
        eco.schedule(eco.height + 3, cj_wasabi, st, tries + 1)
    st["wasabi_tx"] = tx


def cj_tx0(eco, st) -> None:
    st["tx0"] = privacy.tx0(eco, st["subject"], WHIRL_POOL, 4, coins=[st["legs"][1]])
    st["mixes"] = []
    if st["tx0"] is not None:
        led = eco.ledger
        for o in led.t_outputs[st["tx0"]]:
            if eco.book.role[led.o_addr[o]] == "premix":
                eco.schedule(eco.height + 12 + len(st["mixes"]) * 2, cj_mix, st, o, 0)
                st["mixes"].append(None)


def cj_mix(eco, st, coin: int, tries: int) -> None:
    eddy, led = eco.by_name["Eddy Pool"], eco.ledger
    if led.o_spent[coin] != -1:  # an ordinary mix already took it in: that is its mix
        st["mixes"][st["mixes"].index(None)] = led.o_spent[coin]
        return
    tx = privacy.whirlpool_mix(eco, eddy, WHIRL_POOL, force=(st["subject"], coin))
    if tx is None and tries < 30:
        eco.schedule(eco.height + 2, cj_mix, st, coin, tries + 1)
    elif tx is not None:
        st["mixes"][st["mixes"].index(None)] = tx


def cj_mixer(eco, st) -> None:
    st["mixer_tx"] = privacy.mixer_deposit(eco, st["subject"], coins=[st["legs"][2]], n_out=3)
    eco.schedule(eco.height + 120, cj_exit, st)


def cj_exit(eco, st) -> None:
    """Careless: the suspect consolidates mixed coins and deposits them at a KYC exchange."""
    order = st["subject"].data.get("mixer_orders", [{}])[0]
    if "payout_tx" not in order or eco.ledger.t_height[order["payout_tx"]] >= eco.height:
        eco.schedule(eco.height + 6, cj_exit, st)
        return
    dest = services.deposit_address(eco, st["subject"], eco.by_name["Northmint"])
    st["exit_tx"] = eco.spend(
        st["subject"], [(dest, 0)], send_all=True, typology="exchange_deposit", max_inputs=40
    )


# ---------------------------------------------------------------------------- theft-01
def theft(eco, st) -> None:
    """Drain most of the biggest KYC exchange hot wallet."""
    thief, led = st["thief"], eco.ledger
    kyc = [e for e in eco.by_kind["exchange"] if e.data.get("kyc") and e.name != "Kestrel Markets"]
    victim = max(kyc, key=lambda e: led.balance(e.id, "hot"))
    coins = sorted(led.pocket(victim.id, "hot"), key=led.o_value.__getitem__, reverse=True)[:12]
    if sum(led.o_value[c] for c in coins) < 20 * 100_000_000:
        eco.schedule(eco.height + 6, theft, st)
        return
    st["drop"] = eco.new_address(thief, "held")
    st.update(victim=victim, time=eco.time, day=eco.day)
    st["theft_tx"] = fan_out(eco, thief, coins, [(st["drop"], 1.0)], "theft")
    st["stolen"] = led.o_value[led.t_outputs[st["theft_tx"]][0]]
    eco.cases["theft-01"] = {"state": st}
    eco.schedule(eco.height + eco.rng.randrange(3, 10), theft_split, st)


def theft_split(eco, st) -> None:
    """Split the loot over many fresh addresses, then walk each down a peel chain."""
    rng, thief = eco.rng, st["thief"]
    k = rng.randrange(10, 15)
    weights = [rng.uniform(0.5, 1.5) for _ in range(k)]
    addrs = [eco.new_address(thief, "held") for _ in range(k)]
    shares = [(a, w / sum(weights)) for a, w in zip(addrs, weights, strict=True)]
    coin = eco.ledger.t_outputs[st["theft_tx"]][0]
    st["split_tx"] = fan_out(eco, thief, [coin], shares, "theft_split")
    ends = ["mixer", "mixer", "dormant"] + ["exchange"] * (k - 3)
    rng.shuffle(ends)
    st["legs"] = []
    for addr, end in zip(addrs, ends, strict=True):
        leg = {"end": end, "hops": [], "coin": output_of(eco, st["split_tx"], addr), "n": 0}
        leg["n"] = rng.randrange(3, 7)
        st["legs"].append(leg)
        eco.schedule(eco.height + rng.randrange(2, 40), theft_hop, st, leg)


def theft_hop(eco, st, leg) -> None:
    rng, thief, led = eco.rng, st["thief"], eco.ledger
    coin = leg["coin"]
    exchanges = ["Kupolex", "Bystrobit", "Ostrava Coin", "Harbourline", "Baltica Exchange"]
    if len(leg["hops"]) >= leg["n"]:
        if leg["end"] == "exchange":
            ex = eco.by_name[rng.choice(exchanges[:3])]
            dep = services.deposit_address(eco, thief, ex)
            tx = eco.spend(thief, [(dep, 0)], coins=[coin], send_all=True, typology="theft_cashout")
            leg["hops"].append(tx)
        elif leg["end"] == "mixer":
            leg["hops"].append(privacy.mixer_deposit(eco, thief, coins=[coin]))
        return
    ex = eco.by_name[rng.choice(exchanges)]
    dest = services.deposit_address(eco, thief, ex)
    keep = eco.new_address(thief, "held")
    peel = int(led.o_value[coin] * rng.uniform(0.04, 0.15))
    tx = eco.spend(thief, [(dest, peel)], coins=[coin], change_addr=keep, typology="peel_chain")
    leg["hops"].append(tx)
    leg["coin"] = output_of(eco, tx, keep)
    eco.schedule(eco.height + rng.randrange(1, 12), theft_hop, st, leg)


# ---------------------------------------------------------------------------- cluster-01
def scam_victim_fund(eco, st) -> None:
    sats = eco.usd_to_sats(eco.rng.uniform(2_500, 9_000))
    if services.withdraw(eco, eco.by_name["Ostrava Coin"], st["victim"], sats) is None:
        eco.schedule(eco.height + 2, scam_victim_fund, st)


def scam_switch(eco, st) -> None:
    """The complainant pays an address of the old wallet; then the scam moves to a new one."""
    st["pay_tx"] = illicit.scam_payment(eco, st["victim"], usd=eco.rng.uniform(1_500, 2_200))
    st["scam"].data["current"] = "wallet_b"
    st["suspect_address"] = st["scam"].data["wallet_a"][0]
    if st["pay_tx"] is not None:  # the victim paid the first address of the old wallet
        out = eco.ledger.t_outputs[st["pay_tx"]]
        st["suspect_address"] = next(
            eco.ledger.o_addr[o] for o in out if eco.ledger.o_addr[o] in st["scam"].data["wallet_a"]
        )
    st.update(time=eco.time, day=eco.day)
    eco.cases["cluster-01"] = {"state": st}


def scam_second_payment(eco, st) -> None:
    st["scam"].data["hold"] = True
    illicit.scam_payment(eco, st["victim"], usd=600.0)


def scam_merge(eco, st) -> None:
    """One transaction spends coins of both wallets: the two clusters become one."""
    led, scam = eco.ledger, st["scam"]
    a, b = list(led.pocket(scam.id, "main")), list(led.pocket(scam.id, "b"))
    if not a or not b:
        eco.schedule(eco.height + 3, scam_merge, st)
        return
    to = eco.new_address(scam, "wallet_b", "p2pkh")
    scam.data["wallet_b"].append(to)
    st["merge_tx"] = eco.spend(
        scam, [(to, 0)], coins=a[:10] + b[:10], send_all=True, typology="scam_consolidation"
    )
    scam.data["hold"] = False
