"""Custodial services: exchanges, mining pools, the payment processor, the casino.

Exchanges give every customer a persistent deposit address, sweep deposits into a handful of hot
wallets, keep reserves in 2-of-3 multisig cold storage, and pay withdrawals from hot wallets,
one by one or in batches. Pools collect coinbases (spendable after 100 blocks) and pay miners in
batches. The processor collects invoices on fresh addresses and settles merchants daily.

>>> from chaintrace.sim.economy import Economy
>>> eco = Economy(3, 300)
>>> setup(eco)
>>> len(eco.by_name["Northmint"].data["hot_addrs"])
12
"""

from .addresses import TRUE_TYPES

# cold storage per exchange: (true script type, share of what goes to cold). Exchanges keep
# reserves in several generations of wallets (old P2PKH cold wallets, 2-of-3 multisig in P2SH
# or P2WSH, single-key SegWit behind HSMs); together they make the real chain's split of
# unspent value by script type (docs/realism-targets.md), which a big exchange's cold storage
# dominates here as there are no long-term savers in a weeks-long chain
_COLD = (("p2wpkh", 0.40), ("p2pkh", 0.26), ("p2sh-multisig", 0.23), ("p2wsh-multisig", 0.11))
COLD_TYPES = {
    "Northmint": _COLD,
    "Baltica Exchange": _COLD,
    "Kestrel Markets": _COLD,
    "Harbourline": (("p2pkh", 0.45), ("p2sh-multisig", 0.25), ("p2wpkh", 0.30)),  # an old one
    "Ostrava Coin": _COLD,
    "Kupolex": _COLD,
    "Bystrobit": _COLD,
}
EXCHANGE_WEIGHTS = {
    "Northmint": 30,
    "Baltica Exchange": 15,
    "Kestrel Markets": 20,
    "Harbourline": 8,
    "Ostrava Coin": 12,
    "Kupolex": 9,
    "Bystrobit": 6,
}


def setup(eco) -> None:
    """Give services their standing addresses and start their recurring jobs."""
    start = eco.height + 100
    for ex in eco.by_kind["exchange"]:
        ex.data["hot_addrs"] = [eco.new_address(ex, "hot") for _ in range(ex.data["hot"])]
        cold = COLD_TYPES.get(ex.name, _COLD)
        ex.data["cold_addrs"] = [(eco.new_address(ex, "cold", t), w) for t, w in cold]
        ex.data["queue"] = []
        eco.schedule(start + eco.rng.randrange(12), sweep)
        if ex.data["batch"]:
            eco.schedule(start + eco.rng.randrange(6), flush_withdrawals, ex)
    for pool in eco.by_kind["mining_pool"]:
        pool.data["coinbase_addr"] = eco.new_address(pool, "coinbase")
        eco.schedule(start + eco.rng.randrange(36), pool_payout, pool)
    proc = eco.by_kind["payment_processor"][0]
    proc.data["hot_addrs"] = [eco.new_address(proc, "hot")]
    eco.schedule(start + 144, settle_merchants, proc)
    casino = eco.by_kind["gambling"][0]
    casino.data["hot_addrs"] = [eco.new_address(casino, "hot") for _ in range(2)]
    names = list(EXCHANGE_WEIGHTS)
    weights = list(EXCHANGE_WEIGHTS.values())
    for kind in ("individual", "merchant", "miner", "darknet_vendor"):
        for person in eco.by_kind.get(kind, []):
            person.data["home"] = eco.by_name[eco.rng.choices(names, weights)[0]].id


def deposit_address(eco, customer, service=None) -> int:
    """The customer's persistent deposit address at ``service`` (default: their exchange)."""
    if service is None and "home" not in customer.data:  # case actors pick one when needed
        customer.data["home"] = _exchange(eco).id
    service = service or eco.entities[customer.data["home"]]
    key = ("deposit", service.id)
    if key not in customer.data:
        customer.data[key] = eco.new_address(service, "deposit", beneficiary=customer.id)
    return customer.data[key]


def hot_address(eco, service) -> int:
    return eco.rng.choice(service.data["hot_addrs"])


def _exchange(eco):
    names = list(EXCHANGE_WEIGHTS)
    return eco.by_name[eco.rng.choices(names, list(EXCHANGE_WEIGHTS.values()))[0]]


def withdraw(eco, ex=None, user=None, sats=None, typology="exchange_withdrawal"):
    """A customer withdraws (buys) coins; batched exchanges queue it for the next batch."""
    ex = ex or _exchange(eco)
    user = user or eco.rng.choice(eco.by_kind["individual"])
    hot = eco.ledger.balance(ex.id, "hot")
    if sats is None:
        # what the customer asks for; a hot wallet short of it waits for a refill (capping
        # every request at the same fraction of the wallet paid several customers one odd
        # amount in a batch: equal outputs no CoinJoin rule can tell from a round)
        sats = eco.usd_to_sats(eco.rng.lognormvariate(6.4, 1.4))
        if sats > hot // 4:
            refill_hot(eco, ex)
            return None
    if sats < 20_000 or sats > hot:
        refill_hot(eco, ex)
        return None
    addr = eco.receive_address(user)
    eco.recent.append(user.id)
    if ex.data.get("batch") and eco.rng.random() < 0.9:
        ex.data["queue"].append((addr, sats))
        return None
    return eco.spend(ex, [(addr, sats)], pocket="hot", typology=typology, change_role="hot")


def flush_withdrawals(eco, ex) -> None:
    """Pay the queued withdrawals in one batch transaction (a few inputs, many outputs)."""
    queue = ex.data["queue"]
    if len(queue) >= 2:
        batch, wait = _one_per_amount(queue[:200])
        ex.data["queue"] = wait + queue[200:]
        if (
            eco.spend(
                ex, batch, pocket="hot", typology="exchange_batch_withdrawal", change_role="hot"
            )
            is None
        ):
            ex.data["queue"] = batch + ex.data["queue"]
            refill_hot(eco, ex)
    eco.schedule(eco.height + eco.rng.randrange(3, 12), flush_withdrawals, ex)


def _one_per_amount(queue: list[tuple[int, int]]):
    """Split queued withdrawals into this batch, one per amount, and those that wait for the
    next (a repeated amount).

    >>> _one_per_amount([(1, 500), (2, 700), (3, 500)])
    ([(1, 500), (2, 700)], [(3, 500)])
    """
    seen, batch, wait = set(), [], []
    for addr, sats in queue:
        (wait if sats in seen else batch).append((addr, sats))
        seen.add(sats)
    return batch, wait


def sweep(eco, ex=None) -> None:
    """Move customers' deposits into a hot wallet; send surplus to cold storage."""
    for service in [ex] if ex else eco.by_kind["exchange"] + eco.by_kind["gambling"]:
        _sweep_one(eco, service)
    if ex is None:
        # two or three sweeps a day: bigger many-input sweeps, deposits still spent within a day
        eco.schedule(eco.height + eco.rng.randrange(50, 120), sweep)


def _sweep_one(eco, service) -> None:
    led = eco.ledger
    deposits = list(led.pocket(service.id, "deposit"))
    if not deposits:
        return
    if service.name == "Bystrobit" and len(deposits) < 3:
        # forwarders: each deposit swept on its own (one input, one output)
        for out in deposits:
            eco.spend(
                service,
                [(hot_address(eco, service), 0)],
                coins=[out],
                send_all=True,
                typology="deposit_sweep",
            )
        return
    for i in range(0, len(deposits), 120):
        eco.spend(
            service,
            [(hot_address(eco, service), 0)],
            coins=deposits[i : i + 120],
            send_all=True,
            typology="deposit_sweep",
            fee_rate=max(1.0, eco.fee_rate() * 0.5),
        )
    hot_coins = led.pocket(service.id, "hot")
    if len(hot_coins) > 80:
        # hot-wallet housekeeping: merge the smallest coins (one big many-input transaction)
        small = sorted(hot_coins, key=led.o_value.__getitem__)[: eco.rng.randrange(60, 140)]
        eco.spend(
            service,
            [(hot_address(eco, service), 0)],
            coins=small,
            send_all=True,
            typology="hot_consolidation",
            fee_rate=max(1.0, eco.fee_rate() * 0.4),
        )
    hot = led.balance(service.id, "hot")
    if service.kind == "exchange" and hot > 40 * 100_000_000 and eco.rng.random() < 0.3:
        move = int(hot * eco.rng.uniform(0.4, 0.6))
        eco.spend(
            service,
            [(_cold_wallet(eco, service, move), move)],
            pocket="hot",
            typology="exchange_to_cold",
            change_role="hot",
        )


def _cold_holdings(eco, ex) -> dict[int, int]:
    """Sats each cold wallet of ``ex`` holds now."""
    led, held = eco.ledger, {addr: 0 for addr, _ in ex.data["cold_addrs"]}
    for o in led.pocket(ex.id, "cold"):
        held[led.o_addr[o]] += led.o_value[o]
    return held


def _cold_wallet(eco, ex, sats: int) -> int:
    """The cold wallet furthest below its share of the cold reserve once ``sats`` arrive: each
    wallet keeps its share, one plain transfer at a time, whatever refills take out."""
    held = _cold_holdings(eco, ex)
    total = sum(held.values()) + sats
    return max(ex.data["cold_addrs"], key=lambda aw: aw[1] * total - held[aw[0]])[0]


def refill_hot(eco, ex) -> None:
    """Move reserves from cold storage back to a hot wallet (at most once every few hours)."""
    if ex.kind != "exchange" or ex.data.get("refill_at", 0) > eco.height:
        return
    ex.data["refill_at"] = eco.height + 24
    # from the cold wallet furthest above its share, so the reserve keeps its split
    held, led = _cold_holdings(eco, ex), eco.ledger
    total = sum(held.values())
    over = max(ex.data["cold_addrs"], key=lambda aw: held[aw[0]] - aw[1] * total)[0]
    coins = [o for o in led.pocket(ex.id, "cold") if led.o_addr[o] == over][:3]
    if coins:
        eco.spend(
            ex, [(hot_address(eco, ex), 0)], coins=coins, send_all=True, typology="cold_to_hot"
        )


def casino_payout(eco):
    casino = eco.by_kind["gambling"][0]
    user = eco.rng.choice(eco.by_kind["individual"])
    hot = eco.ledger.balance(casino.id, "hot")
    sats = min(eco.usd_to_sats(eco.rng.lognormvariate(5.0, 1.2)), hot // 5)
    if sats < 10_000:
        return None
    eco.recent.append(user.id)
    return eco.spend(
        casino,
        [(eco.receive_address(user), sats)],
        pocket="hot",
        typology="gambling_payout",
        change_role="hot",
    )


def pool_payout(eco, pool) -> None:
    """Pay matured coinbase rewards to the pool's miners in one batch."""
    led = eco.ledger
    coins = list(led.pocket(pool.id, "coinbase"))
    total = sum(led.o_value[o] for o in coins)
    if coins and total > 100_000_000:
        miners = eco.rng.sample(
            eco.by_kind["miner"], min(len(eco.by_kind["miner"]), eco.rng.randrange(5, 25))
        )
        keep = total * eco.rng.uniform(0.02, 0.08)
        shares = [eco.rng.random() + 0.2 for _ in miners]
        scale = (total - keep) / sum(shares)
        pays = [
            (eco.receive_address(m), int(s * scale)) for m, s in zip(miners, shares, strict=True)
        ]
        eco.spend(
            pool,
            pays,
            coins=coins[:200],
            typology="pool_payout",
            change_addr=pool.data["coinbase_addr"],
        ) if sum(p[1] for p in pays) < total else None
    # pools pay out soon after rewards mature (a few hours), as PPS/FPPS pools do
    eco.schedule(eco.height + eco.rng.randrange(12, 40), pool_payout, pool)


def settle_merchants(eco, proc) -> None:
    """Daily settlement: sweep paid invoices and pay each merchant its takings minus 1 %."""
    led, book = eco.ledger, eco.book
    coins = list(led.pocket(proc.id, "deposit"))
    owed: dict[int, int] = {}
    for o in coins:
        m = book.beneficiary[led.o_addr[o]]
        owed[m] = owed.get(m, 0) + led.o_value[o]
    pays = [(eco.receive_address(eco.entities[m]), int(v * 0.99)) for m, v in sorted(owed.items())]
    pays = [p for p in pays if p[1] > 5_000]
    if pays:
        eco.spend(
            proc,
            pays,
            coins=coins,
            typology="processor_settlement",
            change_addr=proc.data["hot_addrs"][0],
        )
    eco.schedule(eco.height + 144, settle_merchants, proc)


def mine_block(eco, reward: int, payee=None, scope: str | None = None) -> None:
    """Close the block with a coinbase to a pool chosen by hash-rate share.

    ``payee(pool)`` gives another address of the pool than its coinbase address (or a list of
    addresses sharing the reward), and ``scope``
    keeps the reward apart from the background (endowment slots and case blocks, see
    :mod:`chaintrace.sim.casework`).
    """
    pools = eco.by_kind["mining_pool"]
    pool = eco.rng.choices(pools, [p.data["share"] for p in pools])[0]
    commitment = b"\x6a\x24\xaa\x21\xa9\xed" + bytes(32)  # filled in by the writer
    to = pool.data["coinbase_addr"] if payee is None else payee(pool)
    addrs = to if isinstance(to, list) else [to]  # a payee may split the reward
    each = reward // len(addrs)
    pays = [(a, each) for a in addrs[:-1]] + [(addrs[-1], reward - each * (len(addrs) - 1))]
    eco.ledger.coinbase(eco.height, [*pays, (commitment, 0)], pool.id, scope)


def visible_of(true_type: str) -> str:
    """On-chain type of a true script type.

    >>> visible_of("p2wsh-multisig")
    'p2wsh'
    """
    return TRUE_TYPES[true_type][0]
