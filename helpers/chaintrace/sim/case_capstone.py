"""``capstone-01``: one investigation from a victim's report to a court-ready file.

A victim (a company paying a ransom, or an investor paying a fake trading platform) pays
bitcoin to the suspect. The suspect splits the proceeds: one part is hidden (paid to the
custodial mixer Fogbank, or put into a Wasabi-style CoinJoin round with other users), the rest
goes down a short peel chain (peels to services); the remainder is then co-spent with an older
coin of the suspect's (one an exchange paid out to the suspect's own account: the transaction
that joins the suspect's cluster) and sent to an instant-swap service's Bitcoin deposit address
(Swapline or Flowswap, each with its own published fee and payout delay,
:data:`SWAP_SERVICES`). The service pays USDT on TRON from its hot wallet within its delay, and
pays other customers around the same time (:func:`decoys`: sooner, nearer in value, inside the
fee but outside the delay, in other coins), so that neither time alone nor size alone finds the
payout: only the service's published terms do, and only its order records confirm it (the
weakest link of the chain of evidence). The suspect bridges the USDT once more (lock-and-release
or burn-and-mint, to Ethereum or BNB Smart Chain), pays part to the listed wallet of a
sanctioned exchange's successor, and cashes the rest out at a large exchange: through money
mules ("drops"), each paying its own deposit address, or through a nested exchange (an OTC
desk) whose one deposit address there the suspect pays, as the desk's other clients do; one
payment in comes only after the report time.

The Bitcoin half is a case of the Bitcoin economy (:data:`chaintrace.sim.cases.REGISTRY`, its
own streams and endowment slots); the account half is written with the account chains
(:func:`account_leg`, its own stream ``chaintrace-xchain-<seed>/capstone-01/<attempt>``; the
other customers' orders ``.../capstone-01/decoys/<k>``; a service outside the economy's own,
``.../capstone-01/<service>``), from the Bitcoin half's deposit time and amount, so neither
moves any other case.

Truth fields (``groundtruth/<name>/cases/capstone-01.json``): ``typology``, ``victim``,
``payment_txids``, ``paid_sats``, ``split_txid``, ``obfuscation`` (``mixer`` or ``coinjoin``)
with ``mixer`` (``service``, ``deposit_address``, ``txid``, ``sats``) or ``coinjoin``
(``coordinator``, ``txid``, ``sats``, ``input_address``, ``outputs``), ``peels`` (``txid``,
``address``, ``sats``, ``service``), ``suspect_cluster`` (addresses), ``join_txid``,
``join_address`` (the older coin's address), ``kyc_exchange`` and ``kyc_withdrawal_txid`` (where
the older coin came from), ``swap`` (``service``, ``btc_deposit_txid``, ``btc_deposit_address``,
``btc_sats``, ``btc_usd``, ``btc_uah``, ``payout_tx_hash``, ``payout_chain``,
``payout_address``, ``usdt_base_units``, ``usdt_decimals``, ``usdt_usd``, ``usdt_uah``,
``day``, ``uah_per_usd``, ``evidence``, ``terms`` (``rate``, ``fee``,
``pays_within_minutes``), ``kept``, ``decoys`` (the other customers' payouts: ``why``,
``tx_hash``, ``chain``, ``asset``, ``time``, ``to``, ``base_units``, ``kept``,
``deposit_tx_hash``), ``naive_picks`` (:func:`naive_picks`)), ``weakest_link`` (the swap: its
identifier and why), ``bridge`` (as the evasion cases' bridges), ``services_reached``,
``sanctions_hits`` (``chain``, ``address``, ``entity``, ``list``, ``listed``, ``delisted``,
``tx_hash``, ``base_units``), ``cashout`` (``kind``: ``drops`` or ``nested``; ``exchange``;
for ``nested``: ``desk``, ``deposit_address``, ``others``), ``drops`` (empty for ``nested``),
``drop_exchange``, ``report_time``, ``report_date``, ``freezable_at_report`` (per holder:
``usd``, ``uah``, ``items``), ``freezable_usd``, ``freezable_uah``, ``not_freezable_at_report``,
``moved_after_report_tx_hash``.

The design of the case (the victim's story, the bridge, the exchange, the swap service, the
hiding and the cash-out) is not left to the case's stream: :func:`design` takes it from a hash
of the seed, one row of :data:`DESIGNS` (every combination once, so each choice and each pair
of choices is equally often), so that the cohorts' variants spread over every design and the
bundled case says nothing of a variant's.

>>> sorted(TYPOLOGIES)
['investment_fraud', 'ransomware']
>>> design(20240301)["typology"], design(20240301)["bridge"], design(20240301)["exchange"]
('investment_fraud', ('lock-and-release', 'ethereum'), 'Altamira')
"""

import hashlib
from decimal import Decimal

from . import casework
from .briefs import CAPSTONE_BRIEF, CAPSTONE_TITLE
from .calendar import date_text
from .cases import add_entity, output_of
from .invariants import _case, _kind, _state, require
from .wallets import PROFILES
from .writer import addr_ref, tx_ref

CASE = "capstone-01"
TYPOLOGIES = {  # the stories: victim (with what the brief says of it) and suspect
    "ransomware": (
        ("Velmora Logistics (victim)", "a logistics company", "Greyfen"),
        ("Brannock Foods (victim)", "a food wholesaler", "Nightjar"),
        ("Ostwind Clinics (victim)", "a chain of private clinics", "Coldhook"),
    ),  # fmt: skip
    "investment_fraud": (
        ("a retired engineer (victim)", "", "Auronex Capital"),
        ("a schoolteacher (victim)", "", "Veltrix Markets"),
        ("a small-business owner (victim)", "", "Brightwell FX"),
    ),  # fmt: skip
}
BRIDGES = (
    ("lock-and-release", "ethereum"),
    ("burn-and-mint", "ethereum"),
    ("burn-and-mint", "bsc"),
)
DROP_EXCHANGES = ("Northmint", "Altamira")
# The instant-swap services the suspect can use, with the terms each publishes on its website
# (what a customer is told, and what the investigator reads there): the rate type, the share of
# the deposit's value the service keeps (its fee and spread, on the day's prices) and how long
# after the deposit it pays. Modelled on real services' published terms (ChangeNOW: most orders
# in 5 to 20 minutes, a fixed-rate mode priced higher; FixedFloat: fixed and floating rates,
# the fixed one dearer), see the datasheet.
SWAP_SERVICES = {
    "Swapline": {"rate": "floating", "fee": (0.005, 0.01), "pays_within": (4 * 60, 35 * 60)},
    "Flowswap": {"rate": "fixed", "fee": (0.015, 0.025), "pays_within": (25 * 60, 90 * 60)},
}
# Where the part that is not peeled is hidden: the custodial mixer (Fogbank: a deposit address,
# swept into its reserve) or a Wasabi-style CoinJoin round (Zephyr Coordinator) with other users.
OBFUSCATIONS = ("mixer", "coinjoin")
# How the bridged money is cashed out at the large exchange: money mules ("drops"), each paying
# its own deposit address, or a nested exchange (an OTC desk) whose one deposit address at the
# exchange the suspect pays, as the desk's other clients do.
CASHOUTS = ("drops", "nested")
NESTED_DESKS = ("Granit OTC", "Borei Desk")
# every typology x bridge x exchange x swap service x obfuscation x cash-out once: a uniform
# draw from it is balanced on each of them, and on each pair
DESIGNS = [(typology, bridge, exchange, swap, hide, cashout) for typology in sorted(TYPOLOGIES)
           for bridge in BRIDGES for exchange in DROP_EXCHANGES for swap in SWAP_SERVICES
           for hide in OBFUSCATIONS for cashout in CASHOUTS]  # fmt: skip
DESIGN_FIELDS = ("typology", "bridge", "exchange", "swap", "obfuscation", "cashout")
# Rotations that give the bundled data (seed 20240301) the case it was published with; any
# other seed's design is as uniform as the hash.
_ROTATE_DESIGN, _ROTATE_STORY = 74, 1
FUNDERS = ("Kestrel Markets", "Northmint", "Baltica Exchange", "Harbourline")
KYC_EXCHANGES = ("Northmint", "Kestrel Markets", "Baltica Exchange", "Ostrava Coin")
PEEL_SERVICES = ("Bystrobit", "Kupolex", "LuckyOrbit Casino")
SWAPLINE = "Swapline"


def design(seed: int) -> dict:
    """The variant's design of the case: ``typology``, ``victim``, ``sector`` (what the brief
    says of a company victim), ``suspect``, ``bridge`` (design, destination chain),
    ``exchange`` (where the money is cashed out), ``swap`` (the instant-swap service),
    ``obfuscation`` (:data:`OBFUSCATIONS`) and ``cashout`` (:data:`CASHOUTS`), from a hash of
    the seed.

    Drawn apart from the case's stream so that each choice is uniform over the variants
    whatever the stream does, and so that no variant's design follows from another's.

    >>> from collections import Counter
    >>> drawn = Counter(design(seed)["bridge"] for seed in range(1_200))
    >>> [round(drawn[bridge] / 1_200, 2) for bridge in BRIDGES]  # a third each
    [0.34, 0.32, 0.34]
    >>> [sorted(Counter(design(seed)[k] for seed in range(1_200)).values())
    ...  for k in ("swap", "obfuscation", "cashout")]  # a half each
    [[591, 609], [591, 609], [596, 604]]
    """
    digest = hashlib.sha256(f"chaintrace-capstone-design-{seed}".encode()).digest()
    h = int.from_bytes(digest[:8], "big")
    typology, bridge, exchange, swap, hide, cashout = DESIGNS[(h + _ROTATE_DESIGN) % len(DESIGNS)]
    stories = TYPOLOGIES[typology]
    victim, sector, suspect = stories[(h // len(DESIGNS) + _ROTATE_STORY) % len(stories)]
    return {"typology": typology, "victim": victim, "sector": sector, "suspect": suspect,
            "bridge": bridge, "exchange": exchange, "swap": swap, "obfuscation": hide,
            "cashout": cashout}  # fmt: skip


def design_key(found: dict) -> tuple:
    """The row of :data:`DESIGNS` a design (:func:`design`) is.

    >>> design_key(design(20240301))
    ('investment_fraud', ('lock-and-release', 'ethereum'), 'Altamira', 'Swapline', 'mixer', 'drops')
    """
    return tuple(found[k] for k in DESIGN_FIELDS)


# ---------------------------------------------------------------------------- Bitcoin half
def capstone_plan(eco, case_id: str) -> dict:
    """Start the story of the variant's design (:func:`design`), with amounts, exchanges and
    timing from the case's stream."""
    rng, n = eco.rng, eco.n_blocks
    rng.choice(sorted(TYPOLOGIES))  # the draw that once chose the story: kept, so that every
    # later draw of the stream (and the bundled data) stays as it was
    plan = design(eco.seed)
    typology, victim_name, suspect_name = plan["typology"], plan["victim"], plan["suspect"]
    st = {
        "case": case_id,
        "typology": typology,
        "sector": plan["sector"],
        "victim": add_entity(eco, victim_name, "company", PROFILES["mobile"]),
        "suspect": add_entity(eco, suspect_name, "scam", PROFILES["core"]),
        "swap_name": plan["swap"],
        "obfuscation": plan["obfuscation"],
        "swapline": add_entity(eco, plan["swap"], "exchange", PROFILES["core"]),
        "funder": (funder := rng.choice(FUNDERS)),
        "kyc": rng.choice([x for x in KYC_EXCHANGES if x != funder]),  # two exchanges' floats
        "usd": rng.lognormvariate(11.6, 0.3),
        "n_pay": 1 if typology == "ransomware" else rng.randrange(2, 4),
        "mix_share": round(rng.uniform(0.12, 0.3), 3),
        "n_peels": rng.randrange(2, 5),
    }
    eco.schedule(eco.height + int(n * rng.uniform(0.55, 0.7)), _fund, st)
    return st


def _fund(eco, st) -> None:
    """The victim buys the bitcoin at an exchange; the suspect's older coin arrives from
    another exchange (a withdrawal to the suspect's own, identified account)."""
    victim, suspect = st["victim"], st["suspect"]
    st["sats"] = eco.usd_to_sats(st["usd"])
    st["receive"] = eco.new_address(victim, "receive")
    st["pay_addr"] = eco.new_address(suspect, "held", "p2wpkh")
    st["old_addr"] = eco.new_address(suspect, "held", "p2wpkh")
    for name, want in ((st["funder"], st["sats"] + 400_000), (st["kyc"], st["sats"])):
        casework.endow(eco, casework.hot_address(eco, eco.by_name[name]), int(want * 1.6))
    if st["obfuscation"] == "coinjoin":  # the round's other users, with coins of their own
        from .case_laundering import crowd
        from .privacy import WASABI_DENOM

        casework.flush(eco)
        st["people"] = crowd(eco, "wasabi", eco.rng.randrange(12, 18),
                             lambda: int(WASABI_DENOM * eco.rng.uniform(1.3, 2.6)))  # fmt: skip
    eco.schedule(eco.height + 2, _withdraw, st)


def _withdraw(eco, st) -> None:
    ex, kyc = eco.by_name[st["funder"]], eco.by_name[st["kyc"]]
    st["funding_tx"] = eco.spend(ex, [(st["receive"], st["sats"] + 400_000)], pocket="hot",
                                 typology="exchange_withdrawal", change_role="hot")  # fmt: skip
    old = int(st["sats"] * eco.rng.uniform(0.1, 0.35))
    st["kyc_tx"] = eco.spend(kyc, [(st["old_addr"], old)], pocket="hot",
                             typology="exchange_withdrawal", change_role="hot")  # fmt: skip
    require(None not in (st["funding_tx"], st["kyc_tx"]), st["case"], "an exchange could not pay")
    st["pay_txs"], st["paid"] = [], 0
    eco.schedule(eco.height + eco.rng.randrange(6, 20), _pay, st)


def _pay(eco, st) -> None:
    """One payment (a ransom) or several (deposits to the fake platform), to one address."""
    left = st["n_pay"] - len(st["pay_txs"])
    sats = st["sats"] - st["paid"] if left == 1 else int(st["sats"] * eco.rng.uniform(0.2, 0.45))
    tx = eco.spend(st["victim"], [(st["pay_addr"], sats)], typology="scam_payment"
                   if st["typology"] == "investment_fraud" else "ransom_payment")  # fmt: skip
    st["pay_txs"].append(tx)
    st["paid"] += sats
    st.setdefault("first_time", eco.time)
    if left > 1:
        eco.schedule(eco.height + eco.rng.randrange(20, 60), _pay, st)
    else:
        eco.schedule(eco.height + eco.rng.randrange(4, 12), _split, st)


def _split(eco, st) -> None:
    """All payments into two: a part for the mixer and a part for the peel chain."""
    from .cases import fan_out

    suspect = st["suspect"]
    coins = [output_of(eco, t, st["pay_addr"]) for t in st["pay_txs"]]
    st["mix_addr"] = eco.new_address(suspect, "held", "p2wpkh")
    st["peel_addr"] = eco.new_address(suspect, "held", "p2wpkh")
    share = st["mix_share"]
    tx = fan_out(eco, suspect, coins, [(st["mix_addr"], share), (st["peel_addr"], 1 - share)],
                 "scam_split")  # fmt: skip
    st.update(split_tx=tx, hops=[], peels=[], cluster=[st["pay_addr"], st["peel_addr"]])
    st["current"] = output_of(eco, tx, st["peel_addr"])
    eco.schedule(eco.height + eco.rng.randrange(2, 10), _mix, st)
    eco.schedule(eco.height + eco.rng.randrange(4, 14), _peel, st)


def _mix(eco, st) -> None:
    """The part not peeled: to the custodial mixer, or into a CoinJoin round with others."""
    if st["obfuscation"] == "coinjoin":
        from .case_laundering import wasabi_round

        coin = output_of(eco, st["split_tx"], st["mix_addr"])
        st["cj_coin"] = coin
        st["cj_tx"] = wasabi_round(eco, st["people"], [(st["suspect"], [coin])])
        st["cluster"].append(st["mix_addr"])
        return
    mixer = eco.by_name["Fogbank"]
    dep = casework.deposit(eco, st["suspect"], mixer)
    coin = output_of(eco, st["split_tx"], st["mix_addr"])
    st["mix_tx"] = eco.spend(st["suspect"], [(dep, 0)], coins=[coin], send_all=True,
                             typology="mixer_deposit")  # fmt: skip
    st["mix_deposit"] = dep
    st["cluster"].append(st["mix_addr"])
    reserve = eco.new_address(mixer, "hot")  # a fresh reserve address, as its own sweeps use
    eco.schedule(eco.height + eco.rng.randrange(6, 30),
                 lambda e: casework.sweep(e, mixer, to=reserve, recycle=False))  # fmt: skip


def _peel(eco, st) -> None:
    """A peel to a service, the rest to a fresh address; then the join and the swap."""
    led, rng, suspect = eco.ledger, eco.rng, st["suspect"]
    coin = st["current"]
    if len(st["hops"]) >= st["n_peels"]:
        _join_and_swap(eco, st, coin)
        return
    service = eco.by_name[rng.choice(PEEL_SERVICES)]
    dest = casework.deposit(eco, suspect, service)
    peel = int(led.o_value[coin] * rng.uniform(0.04, 0.12))
    keep = eco.new_address(suspect, "held", "p2wpkh")
    tx = eco.spend(suspect, [(dest, peel)], coins=[coin], change_addr=keep, typology="peel_chain")
    st["hops"].append(tx)
    st["peels"].append(
        {"txid": tx_ref(tx), "address": addr_ref(dest), "sats": peel, "service": service.name}
    )
    st["cluster"].append(keep)
    casework.sweep_soon(eco, service)
    st["current"] = output_of(eco, tx, keep)
    eco.schedule(eco.height + rng.randrange(1, 6), _peel, st)


def _join_and_swap(eco, st, coin) -> None:
    """The remainder and the suspect's older coin, together, to the swap service's deposit
    address."""
    led, suspect, swap = eco.ledger, st["suspect"], st["swapline"]
    old = output_of(eco, st["kyc_tx"], st["old_addr"])
    dep = eco.new_address(swap, "deposit", "p2wpkh", beneficiary=suspect.id)
    tx = eco.spend(suspect, [(dep, 0)], coins=[coin, old], send_all=True, typology="swap_deposit")
    st.update(join_tx=tx, swap_deposit=dep, swap_time=eco.time, swap_day=eco.day)
    st["swap_sats"] = led.o_value[output_of(eco, tx, dep)]
    st["cluster"].append(st["old_addr"])
    hot = eco.new_address(swap, "hot", "p2wpkh")
    swap.data["published"] = [hot]  # the service lists its hot wallet on its website
    eco.schedule(eco.height + eco.rng.randrange(3, 12), _swap_sweep, st, hot)


def _swap_sweep(eco, st, hot) -> None:
    coin = output_of(eco, st["join_tx"], st["swap_deposit"])
    st["swap_sweep_tx"] = eco.spend(st["swapline"], [(hot, 0)], coins=[coin], send_all=True,
                                    typology="deposit_sweep")  # fmt: skip


def finalise(eco, case: str) -> None:
    """Check the Bitcoin half's story and record its brief and answers (with Refs)."""
    st = _state(eco, case)
    require(st.get("swap_sweep_tx") is not None, case, "the swap deposit was never swept")
    led, book = eco.ledger, eco.book
    join = st["join_tx"]
    ins = {led.o_addr[o] for o in led.t_inputs[join]}
    require(st["old_addr"] in ins and len(ins) == 2, case, "the join does not co-spend two coins")
    if st["obfuscation"] == "coinjoin":
        cj = st.get("cj_tx")
        require(cj is not None and st["cj_coin"] in led.t_inputs[cj], case,
                "the suspect's part never entered the CoinJoin round")  # fmt: skip
        users = {book.entity[led.o_addr[o]] for o in led.t_inputs[cj]}
        require(len(users) >= 10, case, "the CoinJoin round has fewer than ten users")
    else:
        require(st.get("mix_tx") is not None, case, "nothing went to the mixer")
        require(led.o_spent[output_of(eco, st["mix_tx"], st["mix_deposit"])] >= 0, case,
                "the mixer never swept the deposit")  # fmt: skip
        require(_kind(eco, st["mix_deposit"]) == "mixer", case,
                "the mixer deposit is not the mixer's")  # fmt: skip
    for a in st["cluster"]:
        require(book.entity[a] == st["suspect"].id, case, "a cluster address is not the suspect's")
    require(len(st["hops"]) == st["n_peels"], case, "the peel chain is short")
    price = eco.prices[st["swap_day"]]
    victim_in = sorted({led.o_addr[led.t_inputs[t][0]] for t in st["pay_txs"]})
    truth = {
        "typology": st["typology"],
        "victim": st["victim"].name.removesuffix(" (victim)"),
        "suspect_entity": st["suspect"].name,
        "payment_txids": [tx_ref(t) for t in st["pay_txs"]],
        "paid_sats": st["paid"],
        "funding_exchange": st["funder"],
        "split_txid": tx_ref(st["split_tx"]),
        "obfuscation": st["obfuscation"],
        **_hidden_part(eco, st),
        "peel_txids": [tx_ref(t) for t in st["hops"]],
        "peels": st["peels"],
        "suspect_cluster": [addr_ref(a) for a in sorted(st["cluster"])],
        "join_txid": tx_ref(join),
        "join_address": addr_ref(st["old_addr"]),
        "kyc_exchange": st["kyc"],
        "kyc_withdrawal_txid": tx_ref(st["kyc_tx"]),
        "swap_btc": {
            "service": st["swap_name"],
            "btc_deposit_txid": tx_ref(join),
            "btc_deposit_address": addr_ref(st["swap_deposit"]),
            "btc_sats": st["swap_sats"],
            "btc_usd_price": price,
            "time": st["swap_time"],
            "date": date_text(st["swap_time"]),
        },  # fmt: skip
    }
    reported = {
        "victim_addresses": [addr_ref(a) for a in victim_in],
        "payment_txids": [tx_ref(t) for t in st["pay_txs"]],
        "paid_to": addr_ref(st["pay_addr"]),
        "first_payment_date": date_text(st["first_time"]),
        "amount_btc": st["paid"] / 1e8,
    }
    eco.cases[case] = _case(case, "", st["typology"], "", reported, truth)


def _hidden_part(eco, st) -> dict:
    """The truth of the part not peeled: ``mixer`` (service, deposit address, txid, sats) or
    ``coinjoin`` (coordinator, txid, the suspect's coin in and its outputs)."""
    led = eco.ledger
    if st["obfuscation"] == "coinjoin":
        cj, suspect = st["cj_tx"], st["suspect"].id
        outs = [{"address": addr_ref(led.o_addr[o]), "sats": led.o_value[o]}
                for o in led.t_outputs[cj] if eco.book.entity[led.o_addr[o]] == suspect]  # fmt: skip
        return {"coinjoin": {"coordinator": "Zephyr Coordinator", "txid": tx_ref(cj),
                             "sats": led.o_value[st["cj_coin"]],
                             "input_address": addr_ref(st["mix_addr"]), "outputs": outs}}  # fmt: skip
    return {"mixer": {"service": "Fogbank", "deposit_address": addr_ref(st["mix_deposit"]),
                      "txid": tx_ref(st["mix_tx"]),
                      "sats": led.o_value[output_of(eco, st["mix_tx"], st["mix_deposit"])]}}  # fmt: skip


# ---------------------------------------------------------------------------- account half
WEAKEST = (
    "The swap service's order links the Bitcoin deposit to the USDT payout; on chain nothing "
    "does: the payout is matched only by its amount (the deposit's value at the day's price less "
    "the fee the service publishes) and its time (within the delay it publishes), among other "
    "customers' payouts of similar size and time. Only the service's order records can confirm it."
)
EVIDENCE = (
    "amount and time against the service's published terms (the one payout within its payout "
    "delay that kept a share inside its fee); only its order records confirm it"
)
NEAR = 3 * 3_600  # how far from the deposit the service's other customers' payouts fall (s)
DECOY_ATTEMPTS = 40


def swap_wallets(book, svc, service: str) -> dict[str, str]:
    """The service's hot wallets per chain (tagged with its name). Swapline's belong to the
    economy (:class:`chaintrace.sim.crosschain.Services`); another service's are drawn from its
    own stream and tagged here, so that choosing it moves nothing else."""
    import random

    from .crosschain import Maker, _cur

    if service == SWAPLINE:
        return svc.swapline
    mk = Maker(random.Random(f"chaintrace-xchain-{book.seed}/{CASE}/{service}"))
    wallets = {chain: mk.address(chain) for chain in ("tron", "ethereum", "bsc")}
    book.tags += [(a, service, "exchange", _cur(c)) for c, a in wallets.items()]
    return wallets


def _usd(book, row) -> float:
    """A transfer's value in USD at its day's close (as ``chaintrace.value`` gives it)."""
    return int(row["value"]) / 10 ** int(row["decimals"]) * book.usd(row["asset"], row["time"])


def naive_picks(book, wallets, t_btc: int, btc_usd: float, terms) -> dict[str, str]:
    """What each way of matching the deposit picks among the service's payouts (every transfer
    out of its hot wallets): ``first_after`` (the first after the deposit), ``nearest_in_time``
    (before or after), ``first_candidate`` (the first within two hours that kept 0 to 3 % of the
    deposit's value: what ``chaintrace.swap_candidates`` lists first), ``closest_in_value`` (the
    payout within three hours whose value is nearest the deposit's), and ``evidence`` (every
    payout within the service's published delay that kept a share inside its published fee,
    comma-separated: the true leg, alone)."""
    own = {(c, a) for c, a in wallets.items()}
    outs = [r for r in book.rows if (r["chain"], r["from"]) in own and r["method"] != "mint"]
    outs.sort(key=lambda r: (r["time"], r["chain"], r["tx_hash"]))
    kept = {id(r): 1 - _usd(book, r) / btc_usd for r in outs}
    after = [r for r in outs if r["time"] >= t_btc]
    near = [r for r in outs if abs(r["time"] - t_btc) <= NEAR]
    lo, hi = terms["fee"]
    a, b = terms["pays_within"]
    candidates = [r for r in after if r["time"] - t_btc <= 2 * 3_600 and 0 <= kept[id(r)] <= 0.03]
    evidence = [r for r in after if a <= r["time"] - t_btc <= b and lo <= kept[id(r)] <= hi]
    return {
        "first_after": after[0]["tx_hash"] if after else "",
        "nearest_in_time": min(near, key=lambda r: abs(r["time"] - t_btc))["tx_hash"],
        "first_candidate": candidates[0]["tx_hash"] if candidates else "",
        "closest_in_value": min(near, key=lambda r: abs(kept[id(r)]))["tx_hash"],
        "evidence": ",".join(r["tx_hash"] for r in evidence),
    }


def _decoy_plan(rng, terms, t_btc: int, t_out: int) -> list[tuple]:
    """The other customers' payouts: ``(why, time, kept, chain, asset)``, ``kept`` being the
    share of *our* deposit's value the payout falls short of it (negative: more than it)."""
    lo, hi = terms["fee"]
    b = terms["pays_within"][1]
    other = lambda: rng.choice(("tron", "ethereum", "bsc"))  # noqa: E731
    plan = [("paid sooner, a similar amount but more than the fee short",
             rng.randrange(t_btc + 20, t_out - 10), rng.uniform(hi + 0.002, 0.028), "tron", "USDT")
            for _ in range(rng.randrange(1, 3))]  # fmt: skip
    if rng.random() < 0.6:
        plan.append(("paid sooner, an unrelated amount", rng.randrange(t_btc + 20, t_out - 10),
                     rng.uniform(0.4, 0.97), other(), "USDT"))  # fmt: skip
    plan += [
        ("closer in value, paid before the deposit", t_btc - rng.randrange(5 * 60, NEAR - 60),
         rng.uniform(-0.6 * lo, 0.6 * lo), rng.choice(("tron", other())), "USDT"),
        ("closer in value, paid after the service's delay", t_btc + b + rng.randrange(5 * 60, NEAR - b),
         rng.uniform(-0.6 * lo, 0.6 * lo), rng.choice(("tron", other())), "USDT"),
        ("inside the fee, paid before the deposit", t_btc - rng.randrange(2 * 60, 90 * 60),
         rng.uniform(lo, hi), other(), "USDT"),
    ]  # fmt: skip
    if rng.random() < 0.5:
        plan.append(("inside the fee, paid after the service's delay",
                     t_btc + b + rng.randrange(2 * 60, 90 * 60), rng.uniform(lo, hi), other(), "USDT"))  # fmt: skip
    for _ in range(rng.randrange(1, 3)):
        chain = rng.choice(("ethereum", "bsc"))
        kept = rng.choice((rng.uniform(-0.02, lo - 0.002), rng.uniform(hi + 0.002, 0.03)))
        plan.append(("another asset, a similar value outside the fee",
                     t_out + rng.randrange(-3_600, 3_600), kept, chain, NATIVE_OF[chain]))  # fmt: skip
    return plan


NATIVE_OF = {"ethereum": "ETH", "bsc": "BNB", "tron": "TRX"}


def _other_order(book, mv, wallets, terms, why, t_pay, usd_out, dst, asset) -> dict:
    """One other customer's order, as the service runs it: a deposit (withdrawn from an
    exchange straight to the order's deposit address), the payout after the service's usual
    delay less its usual fee, and the sweep of the deposit into its hot wallet."""
    from .crosschain import ALTAMIRA, network_fee, units_of

    rng, mk, svc = mv.rng, mv.mk, mv.svc
    lo, hi = terms["fee"]
    src = rng.choice(("tron", "ethereum", "bsc"))
    t_dep = t_pay - rng.randrange(*terms["pays_within"])
    paid_in = usd_out / (1 - rng.uniform(lo, hi)) / book.usd("USDT", t_dep)
    dep_units = int(paid_in * units_of(src, "USDT"))
    order = mk.address(src)
    exchange = rng.choice(("Northmint", ALTAMIRA))
    dep = mv.send(src, t_dep, svc.hot[exchange][src], order, "USDT", dep_units)
    to = mk.address(dst)
    units = int(usd_out / book.usd(asset, t_pay) * units_of(dst, asset))
    out = mv.send(dst, t_pay, wallets[dst], to, asset, units, tx_from=wallets[dst])
    t_sweep = t_pay + rng.randrange(600, 4 * 3_600)
    if src != "tron":  # the service sends the order's address the gas its sweep costs
        fee = network_fee(rng, src, 60_000)
        mv.send(src, t_sweep - 60, wallets[src], order, NATIVE_OF[src], int(fee) * 2)
        mv.send(src, t_sweep, order, wallets[src], "USDT", dep_units, fee=fee)
    else:
        mv.send(src, t_sweep, order, wallets[src], "USDT", dep_units)
    book.scripted |= {(src, order), (dst, to)}
    return {"why": why, "tx_hash": out["tx_hash"], "chain": dst, "asset": asset,
            "time": t_pay, "to": to, "base_units": str(units), "deposit_tx_hash": dep["tx_hash"]}  # fmt: skip


def decoys(book, svc, service, wallets, t_btc, btc_usd, payout) -> tuple[list[dict], dict]:
    """The service's other customers' orders paid around the capstone's (its own stream, with
    retries): some sooner than the true payout, some nearer in value, some inside the fee but
    outside the delay, some in another asset. Checked: the first payout after the deposit, the
    nearest in time, the first of ``swap_candidates``' window and the nearest in value are all
    someone else's; the one payout within the published delay and inside the published fee is
    the true one. Returns the decoys and :func:`naive_picks`."""
    import random

    from .crosschain import Maker, Moves
    from .xcases import check

    terms = SWAP_SERVICES[service]
    t_out = int(payout["time"])
    for attempt in range(DECOY_ATTEMPTS):
        mk = Maker(random.Random(f"chaintrace-xchain-{book.seed}/{CASE}/decoys/{attempt}"))
        mv = Moves(book, svc, mk)
        mark, scripted = len(book.rows), set(book.scripted)
        made = []
        for why, t, kept, chain, asset in _decoy_plan(mk.rng, terms, t_btc, t_out):
            order = _other_order(
                book, mv, wallets, terms, why, t, btc_usd * (1 - kept), chain, asset
            )
            order["kept"] = round(kept, 6)
            made.append(order)
        picks = naive_picks(book, wallets, t_btc, btc_usd, terms)
        naive = [picks[k] for k in ("first_after", "nearest_in_time", "first_candidate",
                                    "closest_in_value")]  # fmt: skip
        inside = all(book.start <= r["time"] < book.end for r in book.rows[mark:])
        if inside and picks["evidence"] == payout["tx_hash"] and payout["tx_hash"] not in naive:
            return sorted(made, key=lambda d: d["time"]), picks
        del book.rows[mark:]
        book.scripted = scripted
    check(
        False, "the swap's other customers never left the true payout the only evidence-based match"
    )
    return [], {}


def _float(book, service, wallets) -> None:
    """A service outside the economy's own: its float at the window's start (its tokens minted
    to it, as the economy's services get theirs; its fee coin withdrawn from an exchange), so
    that no balance of it goes below zero."""
    import random

    from .crosschain import ZERO, Maker, balances_low

    mk = Maker(random.Random(f"chaintrace-xchain-{book.seed}/{CASE}/{service}/float"))
    low = balances_low(book.rows, {(c, a) for c, a in wallets.items()})
    for (chain, asset, who), v in sorted(low.items()):
        if v >= 0:
            continue
        units = -v + (-v) // 5
        if asset == NATIVE_OF[chain]:
            book.add(mk, chain, book.start + 1, book.svc.hot["Northmint"][chain], who, asset, units)
        else:
            book.add(mk, chain, book.start, ZERO[chain], who, asset, units, method="mint",
                     tx_from=who)  # fmt: skip


def wanted(book) -> bool:
    """Whether the Bitcoin half ran (it does unless the cases were narrowed to others)."""
    return CASE in getattr(book.led, "btc_cases", {})


def account_leg(book, svc, mk) -> dict:
    """Swapline's USDT payout on TRON, a sanctioned successor's wallet, one bridge, drops."""
    from .crosschain import NATIVE, TETHER, TOKENS, Moves
    from .xcases import _cents, _gas, _no_negative, check, fiat, file_holding

    btc = book.led.btc_cases[CASE]
    bt = btc["truth"]
    mv, rng = Moves(book, svc, mk), mk.rng
    first_row = len(book.rows)
    swap = bt["swap_btc"]
    service = swap["service"]
    terms, wallets = SWAP_SERVICES[service], swap_wallets(book, svc, service)
    t_btc, day = swap["time"], book.day(swap["time"])
    rate = Decimal(str(book.rates["uah_per_usd"][day]))
    btc_usd = Decimal(swap["btc_sats"]) / 10**8 * Decimal(str(swap["btc_usd_price"]))
    spread = rng.uniform(*terms["fee"])
    t_out = t_btc + rng.randrange(*terms["pays_within"])
    got = float(btc_usd) * (1 - spread) / book.usd("USDT", t_out)
    units = int(got * 10**6)
    t1 = mk.tron()
    payout = mv.send("tron", t_out, wallets["tron"], t1, "USDT", units,
                     tx_from=wallets["tron"])  # fmt: skip
    people = {("tron", t1)}
    plan = design(book.seed)
    rng.choice(DROP_EXCHANGES)  # once the exchange's draw: kept so that later draws stay put
    exchange = plan["exchange"]
    _gas(mv, "tron", t_out + rng.randrange(300, 1_800), t1, exchange)

    # the sanctioned service: the listed wallet of a sanctioned exchange's successor (on TRON).
    # Not the sanctioned exchanges' own wallets: the evasion cases' briefs name those. If the
    # listing comes later, the suspect holds the USDT until a day or two after it.
    from .xcases import EXCHANGE_PAIRS

    successors = {succ for _, succ in EXCHANGE_PAIRS}
    listed = sorted(
        (rec["listed"], a, rec["entity"]) for rec in book.designations
        for c, a in rec["addresses"] if c == "tron" and rec["entity"] in successors
    )  # fmt: skip
    check(bool(listed), "a successor's wallet on TRON must be listed")
    listed_day, s_addr, s_entity = rng.choice(listed)
    # The suspect keeps that share on TRON and pays the wallet late, after every evasion case's
    # report time (those fall at least 1.6 days before the end): what those cases say the
    # successor's wallets held, and an issuer could freeze, stays true. The report reaches the
    # investigator hours after the payment, still before the window's last day (whose official
    # rate is not published yet).
    t_sanc = book.end - int(1.6 * 86_400) + rng.randrange(1, 4) * 3_600
    report = t_sanc + rng.randrange(1, 4) * 3_600
    check(listed_day <= date_text(t_sanc), "the wallet must be listed before the suspect pays it")
    check(book.day(report) < book.day(book.end), "the report must come before the last day")
    s_units = int(units * rng.uniform(0.1, 0.25))
    to_sanctioned = mv.send("tron", t_sanc, t1, s_addr, "USDT", s_units)

    # one bridge out of TRON
    rng.choice(BRIDGES)  # once the bridge's draw: kept so that later draws stay put
    bridge, dst = plan["bridge"]
    e1 = mk.evm()
    people.add((dst, e1))
    t_bridge = t_out + rng.randrange(2, 10) * 3_600
    move = mv.lock_release if bridge == "lock-and-release" else mv.burn_mint
    t1_keep = int(units * rng.uniform(0.02, 0.06))  # left on TRON: what Tether could freeze
    src_leg, dst_leg = move("tron", dst, t_bridge, t1, e1, units - s_units - t1_keep)
    arrived = int(dst_leg["value"])
    _gas(mv, dst, int(dst_leg["time"]) + rng.randrange(600, 3_600), e1, exchange)

    if plan["cashout"] == "drops":
        # drops: each gets a share and pays its own deposit address at the exchange
        n_drops = rng.randrange(3, 5)
        keep = int(arrived * rng.uniform(0.05, 0.15))
        shares = [rng.uniform(0.6, 1.4) for _ in range(n_drops)]
        left = arrived - keep
        amounts = [int(left * s / sum(shares)) for s in shares]
        amounts[-1] = left - sum(amounts[:-1])
        t = int(dst_leg["time"]) + rng.randrange(2, 6) * 3_600
        drops = []
        for k, amount in enumerate(amounts):
            d = mk.evm()
            people.add((dst, d))
            fund_tx = mv.send(dst, t, e1, d, "USDT", amount)
            _gas(mv, dst, t + rng.randrange(60, 600), d, exchange)
            when = t + rng.randrange(3, 20) * 3_600  # the last drop pays in only after the report
            when = when if k < n_drops - 1 else report + rng.randrange(1, 7) * 3_600
            pay, _sweep = mv.deposit(exchange, dst, when, d, "USDT", amount)
            drops.append({"address": d, "funded_tx_hash": fund_tx["tx_hash"], "base_units": str(amount),
                          "deposit_address": pay["to"], "deposit_tx_hash": pay["tx_hash"],
                          "deposit_time": int(pay["time"])})  # fmt: skip
            people.add((dst, pay["to"]))
            t += rng.randrange(1, 5) * 3_600
        paid_in, desk = drops, None
    else:
        drops = []
        paid_in, desk = _nested(book, mv, mk, dst, e1, arrived, exchange, report, people,
                                int(dst_leg["time"]))  # fmt: skip
    last = max(paid_in, key=lambda d: d["deposit_time"])
    before = [d["deposit_time"] for d in paid_in if d is not last]
    check(max(before) < report < last["deposit_time"],
          "the report must fall between the deposits at the exchange")  # fmt: skip
    book.scripted |= people
    rows = book.rows[first_row:]
    deposit_addrs = {d["deposit_address"] for d in paid_in}
    _no_negative(rows, {p for p in people if p[1] not in deposit_addrs}, CASE)

    # who could still freeze what at the report time
    balance: dict[tuple, int] = {}
    for r in rows:
        if r["time"] > report:
            continue
        for who, sign in ((r["to"], 1), (r["from"], -1)):
            if (r["chain"], who) in people and r["asset"] != NATIVE[r["chain"]][0]:
                key = (r["chain"], r["asset"], who)
                balance[key] = balance.get(key, 0) + sign * int(r["value"])
    holders: dict[str, list] = {}
    unfreezable = []
    for (chain, asset, who), amount in sorted(balance.items()):
        if amount <= 0 or who in deposit_addrs:
            continue
        file_holding(holders, unfreezable, chain, asset, who, amount)
    credited: dict[str, int] = {}  # what the suspect's side paid each deposit address by then
    for d in paid_in:
        if d["deposit_time"] <= report:
            credited[d["deposit_address"]] = credited.get(d["deposit_address"], 0) + int(
                d["base_units"]
            )
    for address, paid in credited.items():
        holders.setdefault(exchange, []).append(
            {"chain": dst, "address": address, "asset": "USDT", "base_units": str(paid),
             "decimals": TOKENS[(dst, "USDT")].decimals})  # fmt: skip
    frozen_out = {}
    for holder, items in sorted(holders.items()):
        usd = sum((fiat(book, i["chain"], i["asset"], int(i["base_units"]), report)[0]
                   for i in items), Decimal(0))  # fmt: skip
        uah = usd * Decimal(str(book.rates["uah_per_usd"][book.day(report)]))
        frozen_out[holder] = {"usd": _cents(usd), "uah": _cents(uah), "items": items}
    check(exchange in frozen_out, "the exchange must hold a deposit at the report")
    check(TETHER in frozen_out, "Tether must be able to freeze something at the report")

    # every listed address the money touched, with each list and date
    from .crosschain import economy_designations

    touched = {(r["chain"], a) for r in rows for a in (r["to"], r["from"])}
    hits = []
    for rec in book.designations + economy_designations(book, svc):
        for chain, addr in rec["addresses"]:
            if (chain, addr) in touched:
                hits += [{"chain": chain, "address": addr, "entity": rec["entity"], "list": name,
                          "listed": rec["listed"], "delisted": rec["delisted"]}
                         for name in rec["lists"]]  # fmt: skip
    hits.sort(key=lambda e: (e["entity"], e["address"], e["list"], e["listed"]))
    check(any(h["address"] == s_addr for h in hits), "the sanctions hit must be found")

    usdt_usd, usdt_uah = fiat(book, "tron", "USDT", units, t_out)
    # last, from their own stream: the service's other customers, paid around the same time
    others, picks = decoys(book, svc, service, wallets, t_btc, float(btc_usd), payout)
    if service != SWAPLINE:
        _float(book, service, wallets)
    truth = dict(bt)
    truth.pop("swap_btc")
    truth.update(
        {
            "swap": {
                "service": service,
                "btc_deposit_txid": swap["btc_deposit_txid"],
                "btc_deposit_address": swap["btc_deposit_address"],
                "btc_sats": swap["btc_sats"],
                "btc_usd_price": swap["btc_usd_price"],
                "btc_usd": _cents(btc_usd),
                "btc_uah": _cents(btc_usd * rate),
                "date": date_text(t_btc),
                "uah_per_usd": book.rates["uah_per_usd"][day],
                "payout_tx_hash": payout["tx_hash"],
                "payout_chain": "tron",
                "payout_address": t1,
                "payout_from": wallets["tron"],
                "usdt_base_units": str(units),
                "usdt_decimals": 6,
                "usdt_usd": _cents(usdt_usd),
                "usdt_uah": _cents(usdt_uah),
                "evidence": EVIDENCE,
                "terms": {
                    "rate": terms["rate"],
                    "fee": list(terms["fee"]),
                    "pays_within_minutes": [x // 60 for x in terms["pays_within"]],
                },
                "kept": round(1 - float(usdt_usd) / float(btc_usd), 6),
                "decoys": others,
                "naive_picks": picks,
            },  # fmt: skip
            "weakest_link": {
                "link": "instant_swap",
                "service": service,
                "from_txid": swap["btc_deposit_txid"],
                "to_tx_hash": payout["tx_hash"],
                "why": WEAKEST,
            },  # fmt: skip
            "sanctioned_payment": {
                "tx_hash": to_sanctioned["tx_hash"],
                "chain": "tron",
                "to": s_addr,
                "entity": s_entity,
                "base_units": str(s_units),
                "decimals": 6,
            },  # fmt: skip
            "bridge": {
                "design": bridge,
                "source_chain": "tron",
                "source_tx_hash": src_leg["tx_hash"],
                "source_base_units": src_leg["value"],
                "destination_chain": dst,
                "destination_tx_hash": dst_leg["tx_hash"],
                "destination_address": e1,
                "destination_base_units": dst_leg["value"],
                "destination_decimals": TOKENS[(dst, "USDT")].decimals,
                "reference": dst_leg["bridge_ref"],
            },  # fmt: skip
            "drops": drops,
            "drop_exchange": exchange,
            "services_reached": _services_reached(bt, exchange, s_entity, dst, paid_in, s_units),
            "cashout": {"kind": plan["cashout"], "exchange": exchange, **(desk or {})},
            "sanctions_hits": hits,
            "report_time": report,
            "report_date": date_text(report),
            "report_uah_per_usd": book.rates["uah_per_usd"][book.day(report)],
            "freezable_at_report": frozen_out,
            "freezable_usd": {h: v["usd"] for h, v in frozen_out.items()},
            "freezable_uah": {h: v["uah"] for h, v in frozen_out.items()},
            "not_freezable_at_report": unfreezable,
            "moved_after_report_tx_hash": last["deposit_tx_hash"],
        }
    )
    brief = dict(btc["brief"])
    brief.update(title=CAPSTONE_TITLE[bt["typology"]], brief=CAPSTONE_BRIEF[bt["typology"]].format(
        victim=bt["victim"], sector=plan["sector"], suspect=bt["suspect_entity"]))  # fmt: skip
    brief["reported"] = {**btc["brief"]["reported"], "report_time": report,
                         "report_date": date_text(report)}  # fmt: skip
    return {"brief": brief, "truth": truth}


def _nested(book, mv, mk, dst, e1, arrived, exchange, report, people, t_arrived):
    """The cash-out through a nested exchange: an OTC desk with one customer account at the
    exchange, whose single deposit address the suspect pays (two or three times, the last after
    the report), and so do the desk's other clients. Returns the suspect's payments (as the
    drops' are recorded) and the desk's truth (``desk``, ``deposit_address``, ``others``)."""
    from .crosschain import ALTAMIRA
    from .xcases import _gas

    rng = mk.rng
    desk = rng.choice(NESTED_DESKS)
    keep = int(arrived * rng.uniform(0.05, 0.15))
    shares = [rng.uniform(0.6, 1.4) for _ in range(rng.randrange(2, 4))]
    left = arrived - keep
    amounts = [int(left * x / sum(shares)) for x in shares]
    amounts[-1] = left - sum(amounts[:-1])
    t = t_arrived + rng.randrange(2, 6) * 3_600
    paid = []
    for k, amount in enumerate(amounts):
        when = t if k < len(amounts) - 1 else report + rng.randrange(1, 7) * 3_600
        pay, _sweep = mv.deposit(exchange, dst, when, e1, "USDT", amount, owner=desk)
        paid.append({"address": e1, "base_units": str(amount), "deposit_address": pay["to"],
                     "deposit_tx_hash": pay["tx_hash"], "deposit_time": int(pay["time"])})  # fmt: skip
        people.add((dst, pay["to"]))
        t += rng.randrange(3, 12) * 3_600
    others = []
    for _ in range(rng.randrange(3, 6)):  # the desk's other clients, before and after
        client, source = mk.evm(), rng.choice(("Northmint", ALTAMIRA))
        people.add((dst, client))
        when = min(paid[0]["deposit_time"] + rng.randrange(-30, 30) * 3_600, book.end - 6 * 3_600)
        amount = mv.usdt(dst, 8.5, 0.8)
        mv.send(dst, when - rng.randrange(1_800, 7_200), mv.svc.hot[source][dst], client, "USDT",
                amount)  # fmt: skip
        _gas(mv, dst, when - rng.randrange(300, 1_500), client, source)
        pay, _sweep = mv.deposit(exchange, dst, when, client, "USDT", amount, owner=desk)
        others.append({"address": client, "deposit_tx_hash": pay["tx_hash"],
                       "base_units": str(amount), "deposit_time": int(pay["time"])})  # fmt: skip
    return paid, {"desk": desk, "deposit_address": paid[0]["deposit_address"], "others": others}


def _services_reached(bt, exchange, s_entity, dst, paid_in, s_units) -> list[dict]:
    """Every service the money reached, with what arrived there (base units of its asset)."""
    out = [{"service": "Fogbank", "chain": "bitcoin", "asset": "BTC",
            "base_units": str(bt["mixer"]["sats"]), "decimals": 8}] if "mixer" in bt else []  # fmt: skip
    per: dict[str, int] = {}
    for p in bt["peels"]:
        per[p["service"]] = per.get(p["service"], 0) + p["sats"]
    out += [{"service": s, "chain": "bitcoin", "asset": "BTC", "base_units": str(v), "decimals": 8}
            for s, v in sorted(per.items())]  # fmt: skip
    out.append({"service": bt["swap_btc"]["service"], "chain": "bitcoin", "asset": "BTC",
                "base_units": str(bt["swap_btc"]["btc_sats"]), "decimals": 8})  # fmt: skip
    out.append(
        {
            "service": s_entity,
            "chain": "tron",
            "asset": "USDT",
            "base_units": str(s_units),
            "decimals": 6,
        }
    )
    out.append({"service": exchange, "chain": dst, "asset": "USDT",
                "base_units": str(sum(int(d["base_units"]) for d in paid_in)),
                "decimals": 18 if dst == "bsc" else 6})  # fmt: skip
    return out
