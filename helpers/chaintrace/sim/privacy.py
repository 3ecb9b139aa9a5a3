"""Privacy services: Wasabi-like and Whirlpool-like CoinJoin rounds and a custodial mixer.

- Wasabi-like (``Zephyr Coordinator``): one round every day or two; 15-35 participants bring
  one to three P2WPKH coins each and get one to three outputs of the round's ~0.1 BTC
  denomination plus their own change; the coordinator takes a small fee output.
- Whirlpool-like (``Eddy Pool``): a user's *Tx0* splits coins into premix outputs of one pool
  (0.001 / 0.01 / 0.05 / 0.5 BTC plus a mining-fee margin), pays the pool fee and keeps a
  "toxic" change; mixes are 5x5 to 8x8 with two new entrants paying the fee and remixers whose
  postmix coins are exactly the pool size.
- WabiSabi-like (``Gale Coordinator``, the Wasabi 2 protocol other coordinators still run after
  zkSNACKs closed in June 2024): rounds of at least 50 inputs from 20-45 participants; each
  participant's coins (P2WPKH or P2TR) are split into several outputs of *varied* amounts, all
  from the standard denomination set (powers of 2 and 3, 2·3^n, 1-2-5 series); whatever is
  below the smallest denomination is left to the miner; no coordinator fee; inputs and outputs
  in descending value order.
- JoinMarket-like (``Loom Market``, no coordinator: a *taker* pays *makers* for liquidity; the
  round is recorded as Loom Market's for the ground truth, as rounds are the coordinator's): a
  taker and 4-9 makers each get one output of the taker's amount; each maker adds at most
  three inputs of its own and gets its change plus a small fee; the taker pays the fees and
  the mining fee, with a change of its own unless it sweeps; all P2WPKH, order shuffled.
- Custodial mixer (``Fogbank``): a customer pays a fresh deposit address; deposits are swept into
  the mixer's reserve, a pool the operator seeded with coins bought at an exchange; after a delay
  the mixer pays the customer, minus its fee, split over one to three fresh addresses, from
  reserve coins none of whose history passes through that customer's deposit (the mixer tracks
  which deposits each reserve coin came from), so following the coins backwards from a payout
  never leads to the customer's own deposit.

Every CoinJoin joins coins of several owners: common-input clustering merges them falsely.

>>> sorted(POOLS)
[100000, 1000000, 5000000, 50000000]
"""

from .addresses import INPUT_VBYTES, OUTPUT_VBYTES
from .wallets import DUST

WASABI_DENOM = 10_000_000
POOLS = {100_000: 32.6, 1_000_000: 33.1, 5_000_000: 21.5, 50_000_000: 12.8}
SHAPES = {5: 11.0, 6: 14.4, 7: 10.0, 8: 64.5}
MIXER_FEE = 0.025
MIXER_SEED_BTC = 40  # the pool the operator buys before taking customers


def setup(eco) -> None:
    """Standing addresses of the three services and their recurring jobs."""
    zephyr, eddy = eco.by_name["Zephyr Coordinator"], eco.by_name["Eddy Pool"]
    zephyr.data["fee_addr"] = eco.new_address(zephyr, "hot")
    eddy.data["fee_addr"] = eco.new_address(eddy, "hot")
    eddy.data["premix"] = {p: [] for p in POOLS}
    eddy.data["postmix"] = {p: [] for p in POOLS}
    users = [e for e in eco.by_kind["individual"] if e.data.get("privacy")]
    eco.privacy_users = {
        w: [e for e in users if e.data["privacy"] == w]
        for w in ("wasabi", "samourai", "joinmarket")
    }
    scale = max(eco.activity_scale, 0.5)  # rounds per day grow with the economy's activity
    start = eco.height + 110
    eco.schedule(start + eco.rng.randrange(20), wasabi_prepare, int(300 / scale))
    eco.schedule(start + eco.rng.randrange(20), whirlpool_job, int(150 / scale))
    # a few rounds a week each: all CoinJoins together stay near the real share of txs
    # (0.024 % to 2021, docs/realism-targets.md), at the top of its tolerance so that every
    # design is seen several times in a month of data
    eco.schedule(start + eco.rng.randrange(40), wabisabi_prepare, int(400 / scale))
    eco.schedule(start + eco.rng.randrange(40), joinmarket_prepare, int(400 / scale))
    eco.schedule(start + eco.rng.randrange(10), mixer_sweep)
    mixer = eco.by_name["Fogbank"]
    mixer.data["origin"] = {}  # reserve output id -> deposit txs its value came from
    eco.schedule(start + 40, mixer_seed, MIXER_SEED_BTC)


def fund(eco, user, sats: int) -> None:
    """The user buys at least ``sats`` at an exchange (a withdrawal to one of their receive
    addresses); people buy different amounts, so users funded together get no equal outputs."""
    from .services import _exchange, withdraw

    withdraw(eco, _exchange(eco), user, int(sats * eco.rng.uniform(1.0, 1.1)))


# ---------------------------------------------------------------------------- Wasabi
def wasabi_prepare(eco, every: int) -> None:
    """Pick the next round's participants and let the poorer ones buy coins first."""
    users = eco.privacy_users["wasabi"]
    people = eco.rng.sample(users, min(len(users), eco.rng.randrange(15, 36)))
    for u in people:
        if eco.ledger.balance(u.id) < WASABI_DENOM * 1.3:
            fund(eco, u, int(WASABI_DENOM * eco.rng.uniform(1.3, 3.9)))
    eco.schedule(eco.height + eco.rng.randrange(14, 30), wasabi_round, people)
    eco.schedule(eco.height + eco.rng.randrange(every // 2, every * 3 // 2), wasabi_prepare, every)


def wasabi_round(eco, people, extra=()) -> int | None:
    """Run one round with whoever of ``people`` can afford a denomination (+ ``extra`` pairs)."""
    led = eco.ledger
    parts = list(extra)
    for u in people:
        coins = list(led.pocket(u.id))
        eco.rng.shuffle(coins)
        coins = [c for c in coins if eco.book.true_type[led.o_addr[c]] == "p2wpkh"][:3]
        if sum(led.o_value[c] for c in coins) > WASABI_DENOM * 1.05:
            parts.append((u, coins))
    if len(parts) < 10:
        return None
    denom = WASABI_DENOM + eco.rng.randrange(0, 1_000_000, 1_000)
    return coinjoin(eco, eco.by_name["Zephyr Coordinator"], parts, denom, max_each=3)


def coinjoin(eco, coord, parts, denom: int, max_each: int = 3) -> int | None:
    """A Wasabi-shaped round: equal outputs of ``denom`` plus each participant's change."""
    led, book, rate = eco.ledger, eco.book, eco.fee_rate()
    inputs, outputs, coord_fee = [], [], 0
    for ent, coins in parts:
        total = sum(led.o_value[c] for c in coins)
        cost = rate * (sum(INPUT_VBYTES[book.true_type[led.o_addr[c]]] for c in coins) + 31)
        k = min(max_each, int((total - cost) // (denom * 1.004 + rate * 31)))
        if k < 1:
            continue
        fee_i = int(denom * 0.003 * k)
        change = int(total - k * denom - fee_i - cost - rate * 31 * k)
        inputs += coins
        outputs += [(eco.new_address(ent, "receive", "p2wpkh"), denom) for _ in range(k)]
        if change >= DUST:
            outputs.append((eco.new_address(ent, "change", "p2wpkh"), change))
        coord_fee += fee_i
    if len(set(inputs)) < 10:
        return None
    outputs.append((coord.data["fee_addr"], coord_fee))
    eco.rng.shuffle(inputs)
    outputs.sort(key=lambda o: (-o[1], book.script_pubkey[o[0]]))
    return led.add(eco.height, inputs, outputs, entity=coord.id, typology="coinjoin", version=1)


# ---------------------------------------------------------------------------- WabiSabi
WABISABI_MIN_INPUTS = 50


def wabisabi_denominations(lo: int = 5_000, hi: int = 134_375_000_000) -> list[int]:
    """Wasabi 2's standard output amounts, largest first: powers of 2 and of 3, 2·3^n, and the
    1-2-5 series, from 5,000 sat to 1,343.75 BTC (WalletWasabi; the Dumplings scanner).

    The generator keeps its own copy of the protocol's list: it must not borrow the detector's
    (``chaintrace.coinjoin.WASABI2_DENOMS``), which the data it makes is there to test.

    >>> d = wabisabi_denominations()
    >>> d[-4:], 2 * 3**10 in d, 10_000_000 in d, 7_000_000 in d
    ([10000, 8192, 6561, 5000], True, True, False)
    """
    out = {b * 10**e for b in (1, 2, 5) for e in range(12)}
    out |= {b**e for b in (2, 3) for e in range(40)} | {2 * 3**e for e in range(30)}
    return sorted((v for v in out if lo <= v <= hi), reverse=True)


DENOMS = wabisabi_denominations()


def wabisabi_prepare(eco, every: int) -> None:
    """Pick the next round's participants; those short of coins buy some first."""
    users = eco.privacy_users["wasabi"]
    people = eco.rng.sample(users, min(len(users), eco.rng.randrange(20, 46)))
    for u in people:
        if eco.ledger.balance(u.id) < 1_000_000:
            fund(eco, u, int(eco.rng.lognormvariate(16.0, 1.2)))  # median ~0.09 BTC
    eco.schedule(eco.height + eco.rng.randrange(14, 30), wabisabi_round, people)
    eco.schedule(
        eco.height + eco.rng.randrange(every // 2, every * 3 // 2), wabisabi_prepare, every
    )


def decompose(sats: int, rng, out_vb: int, rate: float) -> list[int]:
    """Standard denominations for ``sats`` (each output also costs its own mining fee), mostly
    the largest that fits, sometimes the next one down, at most eight; the rest is dropped.

    >>> import random
    >>> outs = decompose(12_345_678, random.Random(1), 31, 10.0)
    >>> all(v in DENOMS for v in outs), sum(outs) <= 12_345_678, len(outs) > 1
    (True, True, True)
    """
    outs, left, cost = [], sats, int(out_vb * rate)
    while len(outs) < 8:
        fits = [d for d in DENOMS if d + cost <= left]
        if not fits:
            break
        d = fits[1] if len(fits) > 1 and rng.random() < 0.3 else fits[0]
        outs.append(d)
        left -= d + cost
    return outs


def wabisabi_round(eco, people, tries: int = 0) -> int | None:
    """One round: every participant's coins in, their denominations out, sorted descending.
    Below the coordinator's minimum of inputs, registration stays open a little longer and
    more participants join."""
    led, book, rng, rate = eco.ledger, eco.book, eco.rng, eco.fee_rate()
    coord = eco.by_name["Gale Coordinator"]
    inputs, outputs = [], []
    for u in people:
        coins = [c for c in led.pocket(u.id) if book.true_type[led.o_addr[c]] in ("p2wpkh", "p2tr")]
        rng.shuffle(coins)
        coins = coins[: rng.randrange(1, 5)]
        if not coins:
            continue
        kind = "p2tr" if rng.random() < 0.5 else "p2wpkh"
        in_cost = rate * sum(INPUT_VBYTES[book.true_type[led.o_addr[c]]] for c in coins)
        total = sum(led.o_value[c] for c in coins) - int(in_cost)
        outs = decompose(total, rng, OUTPUT_VBYTES[kind], rate)
        if not outs:
            continue
        inputs += coins
        outputs += [(u, kind, v) for v in outs]
    if len(inputs) < WABISABI_MIN_INPUTS:
        if tries < 5:
            more = [u for u in eco.privacy_users["wasabi"] if u not in people]
            people = people + rng.sample(more, min(len(more), 10))
            eco.schedule(eco.height + rng.randrange(3, 9), wabisabi_round, people, tries + 1)
        return None
    inputs.sort(key=lambda c: -led.o_value[c])
    outputs = [(eco.new_address(u, "receive", kind), v) for u, kind, v in outputs]
    outputs.sort(key=lambda o: (-o[1], book.script_pubkey[o[0]]))
    return led.add(eco.height, inputs, outputs, entity=coord.id, typology="coinjoin", version=2)


# ---------------------------------------------------------------------------- JoinMarket
def joinmarket_prepare(eco, every: int) -> None:
    """A taker picks 4-9 makers and an amount; whoever lacks coins for it buys some first."""
    rng = eco.rng
    users = eco.privacy_users["joinmarket"]
    k = min(len(users) - 1, max(4, min(9, round(rng.gauss(6, 1.5)))))
    taker, *makers = rng.sample(users, k + 1)
    amount = max(100_000, int(rng.lognormvariate(15.4, 1.0)))  # median ~0.05 BTC
    if rng.random() < 0.25:  # a quarter of takers pick a round amount
        amount = max(100_000, amount // 1_000_000 * 1_000_000)
    for u in [taker, *makers]:
        if eco.ledger.balance(u.id) < amount * 1.3:
            fund(eco, u, int(amount * rng.uniform(1.5, 4.0)))
    eco.schedule(eco.height + rng.randrange(4, 14), joinmarket_round, taker, makers, amount)
    eco.schedule(eco.height + rng.randrange(every // 2, every * 3 // 2), joinmarket_prepare, every)


def _largest_p2wpkh(eco, user, need: int, limit: int) -> list[int] | None:
    led = eco.ledger
    coins = [c for c in led.pocket(user.id) if eco.book.true_type[led.o_addr[c]] == "p2wpkh"]
    coins.sort(key=lambda c: -led.o_value[c])
    chosen, total = [], 0
    for c in coins[:limit]:
        chosen.append(c)
        total += led.o_value[c]
        if total >= need:
            return chosen
    return None


def joinmarket_round(eco, taker, makers, amount: int) -> int | None:
    """Taker + makers: equal outputs of ``amount``, each maker's change plus its fee, the
    taker's change after paying the fees and the mining fee."""
    led, rng = eco.ledger, eco.rng
    inputs, outputs, fees = [], [], 0
    for m in makers:
        coins = _largest_p2wpkh(eco, m, amount + DUST + 2_000, 3)
        if coins is None:
            continue
        fee = int(amount * rng.uniform(0.00002, 0.0003)) + rng.randrange(0, 500)
        change = sum(led.o_value[c] for c in coins) - amount + fee
        inputs += coins
        outputs += [(m, "receive", amount), (m, "change", change)]
        fees += fee
    n_makers = len(outputs) // 2
    if n_makers < 3:
        return None
    rate = eco.fee_rate()
    guess = rate * (68 * (len(inputs) + 3) + 31 * (len(outputs) + 2) + 11)
    coins = _largest_p2wpkh(eco, taker, amount + fees + int(guess) + DUST, 20)
    if coins is None:
        return None
    inputs += coins
    vsize = 68 * len(inputs) + 31 * (len(outputs) + 2) + 11
    change = sum(led.o_value[c] for c in coins) - amount - fees - int(rate * vsize)
    if change < 0:
        return None
    outputs.append((taker, "receive", amount))
    if change >= DUST:
        outputs.append((taker, "change", change))
    outputs = [(eco.new_address(who, role), v) for who, role, v in outputs]
    rng.shuffle(inputs)
    rng.shuffle(outputs)
    loom = eco.by_name["Loom Market"]
    return led.add(
        eco.height,
        inputs,
        outputs,
        entity=loom.id,
        typology="coinjoin",
        version=2,
        locktime=eco.height,
        sequence=0xFFFFFFFE,
    )


# ---------------------------------------------------------------------------- Whirlpool
def whirlpool_job(eco, every: int) -> None:
    """Now and then a user makes a Tx0; then each pool with enough coins runs a mix."""
    eddy = eco.by_name["Eddy Pool"]
    if eco.rng.random() < 0.7:
        user = eco.rng.choice(eco.privacy_users["samourai"])
        pool = eco.rng.choices(list(POOLS), list(POOLS.values()))[0]
        n = eco.rng.randrange(3, 10)
        need = int(n * pool * 1.08) + 50_000
        if eco.ledger.balance(user.id) < need:
            fund(eco, user, int(need * eco.rng.uniform(1.05, 1.6)))
            eco.schedule(eco.height + eco.rng.randrange(4, 14), tx0, user, pool, n)
        else:
            tx0(eco, user, pool, n)
    pool = eco.rng.choices(list(POOLS), list(POOLS.values()))[0]
    whirlpool_mix(eco, eddy, pool)
    eco.schedule(eco.height + eco.rng.randrange(every // 2, every * 3 // 2), whirlpool_job, every)


def premix_value(pool: int) -> int:
    """A premix output: the pool size plus the entrant's share of a mix's mining fee."""
    return pool + max(400, pool // 1_000)


def tx0(eco, user, pool: int, n: int, coins=None) -> int | None:
    """Split the user's coins into ``n`` premix outputs, the pool fee and a toxic change."""
    eddy = eco.by_name["Eddy Pool"]
    premix = [(eco.new_address(user, "premix", "p2wpkh"), premix_value(pool)) for _ in range(n)]
    fee_out = (eddy.data["fee_addr"], pool // 20)
    tx = eco.spend(user, premix + [fee_out], coins=coins, typology="whirlpool_tx0")
    if tx is not None:
        for o in eco.ledger.t_outputs[tx]:
            if eco.book.role[eco.ledger.o_addr[o]] == "premix":
                eddy.data["premix"][pool].append((user, o))
    return tx


def whirlpool_mix(eco, eddy, pool: int, force=None) -> int | None:
    """One mix: 5-8 inputs (2 new entrants, the rest remixers) -> as many outputs of ``pool``.

    ``force`` is an ``(entity, premix output)`` pair that must enter this mix (case scripts).
    """
    rng, led = eco.rng, eco.ledger
    pre, post = eddy.data["premix"][pool], eddy.data["postmix"][pool]
    n = rng.choices(list(SHAPES), list(SHAPES.values()))[0]
    pre[:] = [p for p in pre if led.o_spent[p[1]] == -1 and p != force]
    post[:] = [p for p in post if led.o_spent[p[1]] == -1]
    entrants = [force] if force else []
    aged = [p for p in post if led.t_height[led.o_tx[p[1]]] < eco.height]
    want_new = max(2 - len(entrants), n - len(aged) - len(entrants))
    # one coin per owner in a mix: a wallet never mixes with itself
    for p in pre:
        if len(entrants) >= want_new + (1 if force else 0):
            break
        if led.t_height[led.o_tx[p[1]]] < eco.height and all(p[0] is not q[0] for q in entrants):
            entrants.append(p)
    parts = list(entrants)
    for p in rng.sample(aged, len(aged)):
        if len(parts) >= n:
            break
        if all(p[0] is not q[0] for q in parts):
            parts.append(p)
    if len(parts) < 5:
        return None
    pre[:] = [p for p in pre if p not in parts]
    post[:] = [p for p in post if p not in parts]
    outputs = [(eco.new_address(ent, "postmix", "p2wpkh"), pool) for ent, _ in parts]
    owner = {a: ent for (a, _), (ent, _) in zip(outputs, parts, strict=True)}
    outputs.sort(key=lambda o: eco.book.script_pubkey[o[0]])
    coins = [c for _, c in parts]
    rng.shuffle(coins)
    tx = led.add(eco.height, coins, outputs, entity=eddy.id, typology="coinjoin", version=1)
    post += [(owner[led.o_addr[o]], o) for o in led.t_outputs[tx]]
    return tx


def postmix_spend(eco):
    """A Samourai user spends one postmix coin (a payment or an exchange deposit)."""
    from . import services

    eddy = eco.by_name["Eddy Pool"]
    pool = eco.rng.choice([p for p in POOLS if eddy.data["postmix"][p]] or [0])
    if not pool:
        return None
    post = eddy.data["postmix"][pool]
    ent, coin = post.pop(eco.rng.randrange(len(post)))
    if eco.ledger.o_spent[coin] != -1 or eco.ledger.t_height[eco.ledger.o_tx[coin]] >= eco.height:
        return None
    if eco.rng.random() < 0.5:
        dest = services.deposit_address(eco, ent)
    else:
        dest = eco.receive_address(eco.rng.choice(eco.by_kind["merchant"]))
    pay = int(pool * eco.rng.uniform(0.3, 0.9))
    return eco.spend(ent, [(dest, pay)], coins=[coin], typology="postmix_spend")


# ---------------------------------------------------------------------------- custodial mixer
def mixer_deposit(eco, user, sats: int = 0, coins=None, n_out: int | None = None) -> int | None:
    """``user`` sends coins to a fresh Fogbank deposit address; the payout is scheduled."""
    mixer = eco.by_name["Fogbank"]
    addr = eco.new_address(mixer, "mix_in", beneficiary=user.id)
    tx = eco.spend(user, [(addr, sats)], coins=coins, send_all=not sats, typology="mixer_deposit")
    if tx is None:
        return None
    got = next(
        eco.ledger.o_value[o] for o in eco.ledger.t_outputs[tx] if eco.ledger.o_addr[o] == addr
    )
    order = {"user": user, "sats": got, "n_out": n_out or eco.rng.randrange(1, 4), "deposit_tx": tx}
    eco.schedule(eco.height + eco.rng.randrange(6, 72), mixer_payout, order)
    user.data.setdefault("mixer_orders", []).append(order)
    return tx


def mixer_seed(eco, btc: int, tries: int = 0) -> None:
    """The operator buys the pool: one withdrawal from an exchange's hot wallet, split over
    ten reserve addresses (retried until an exchange holds enough)."""
    from .services import EXCHANGE_WEIGHTS

    mixer, led = eco.by_name["Fogbank"], eco.ledger
    ex = max((eco.by_name[n] for n in EXCHANGE_WEIGHTS), key=lambda e: led.balance(e.id, "hot"))
    shares = [eco.rng.uniform(0.5, 1.5) for _ in range(10)]
    pays = [
        (eco.new_address(mixer, "hot"), int(btc * 100_000_000 * w / sum(shares))) for w in shares
    ]
    if led.balance(ex.id, "hot") < btc * 100_000_000 * 1.3 or (
        eco.spend(ex, pays, pocket="hot", typology="exchange_withdrawal", change_role="hot") is None
    ):
        if tries < 100:
            eco.schedule(eco.height + 6, mixer_seed, btc, tries + 1)


def mixer_payout(eco, order) -> None:
    """Pay the customer from the reserve, minus the fee, with coins that never held the
    customer's deposit (retried while the pool lacks such coins)."""
    mixer, rng, led = eco.by_name["Fogbank"], eco.rng, eco.ledger
    net = int(order["sats"] * (1 - MIXER_FEE - rng.uniform(0, 0.01)))
    cuts = sorted(rng.uniform(0.15, 0.85) for _ in range(order["n_out"] - 1))
    shares = [b - a for a, b in zip([0.0, *cuts], [*cuts, 1.0], strict=True)]
    pays = [(eco.new_address(order["user"], "receive"), int(net * s)) for s in shares]
    coins = _clean_coins(eco, order["deposit_tx"], net + 200_000)
    tx = None
    if coins:
        tx = eco.spend(
            mixer, pays, coins=coins, pocket="hot", typology="mixer_payout", change_role="hot"
        )
    if tx is None:
        eco.schedule(eco.height + 6, mixer_payout, order)
        return
    origin = mixer.data["origin"]
    came = frozenset().union(*(origin.pop(c, frozenset()) for c in coins))
    for o in led.t_outputs[tx]:
        if eco.book.entity[led.o_addr[o]] == mixer.id:  # the change stays in the pool
            origin[o] = came
    order["payout_tx"] = tx


def _clean_coins(eco, deposit_tx: int, need: int) -> list[int] | None:
    """Reserve coins, in random order, none of which came from ``deposit_tx``, worth ``need``."""
    mixer, led = eco.by_name["Fogbank"], eco.ledger
    origin = mixer.data["origin"]
    pool = [c for c in led.pocket(mixer.id, "hot") if deposit_tx not in origin.get(c, ())]
    eco.rng.shuffle(pool)
    chosen, total = [], 0
    for c in pool[:200]:
        chosen.append(c)
        total += led.o_value[c]
        if total >= need:
            return chosen
    return None


def mixer_sweep(eco) -> None:
    """Move deposits into the reserve (a fresh reserve address each time), remembering which
    deposits the new reserve coin holds."""
    mixer, led = eco.by_name["Fogbank"], eco.ledger
    coins = list(led.pocket(mixer.id, "deposit"))[:100]
    if coins:
        tx = eco.spend(
            mixer,
            [(eco.new_address(mixer, "hot"), 0)],
            coins=coins,
            send_all=True,
            typology="mixer_sweep",
        )
        if tx is not None:
            (out,) = led.t_outputs[tx]
            mixer.data["origin"][out] = frozenset(led.o_tx[c] for c in coins)
    eco.schedule(eco.height + eco.rng.randrange(6, 18), mixer_sweep)


def use_mixer(eco):
    """An everyday customer of the custodial mixer."""
    from .people import amount, pick_payer

    user = pick_payer(eco)
    sats = amount(eco, user, 900.0, 1.0) if user else None
    return mixer_deposit(eco, user, sats) if sats else None
