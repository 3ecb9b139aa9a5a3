"""Privacy services: Wasabi-like and Whirlpool-like CoinJoin rounds and a custodial mixer.

- Wasabi-like (``Zephyr Coordinator``): one round every day or two; 15-35 participants bring
  one to three P2WPKH coins each and get one to three outputs of the round's ~0.1 BTC
  denomination plus their own change; the coordinator takes a small fee output.
- Whirlpool-like (``Eddy Pool``): a user's *Tx0* splits coins into premix outputs of one pool
  (0.001 / 0.01 / 0.05 / 0.5 BTC plus a mining-fee margin), pays the pool fee and keeps a
  "toxic" change; mixes are 5x5 to 8x8 with two new entrants paying the fee and remixers whose
  postmix coins are exactly the pool size.
- Custodial mixer (``Fogbank``): a customer pays a fresh deposit address; deposits are swept into
  the mixer's reserve; after a delay the mixer pays the customer, minus its fee, from *other*
  coins of the reserve, split over one to three fresh addresses.

Every CoinJoin joins coins of several owners: common-input clustering merges them falsely.

>>> sorted(POOLS)
[100000, 1000000, 5000000, 50000000]
"""

from .addresses import INPUT_VBYTES
from .wallets import DUST

WASABI_DENOM = 10_000_000
POOLS = {100_000: 32.6, 1_000_000: 33.1, 5_000_000: 21.5, 50_000_000: 12.8}
SHAPES = {5: 11.0, 6: 14.4, 7: 10.0, 8: 64.5}
MIXER_FEE = 0.025


def setup(eco) -> None:
    """Standing addresses of the three services and their recurring jobs."""
    zephyr, eddy = eco.by_name["Zephyr Coordinator"], eco.by_name["Eddy Pool"]
    zephyr.data["fee_addr"] = eco.new_address(zephyr, "hot")
    eddy.data["fee_addr"] = eco.new_address(eddy, "hot")
    eddy.data["premix"] = {p: [] for p in POOLS}
    eddy.data["postmix"] = {p: [] for p in POOLS}
    users = [e for e in eco.by_kind["individual"] if e.data.get("privacy")]
    eco.privacy_users = {
        w: [e for e in users if e.data["privacy"] == w] for w in ("wasabi", "samourai")
    }
    scale = max(eco.activity_scale, 0.5)  # rounds per day grow with the economy's activity
    start = eco.height + 110
    eco.schedule(start + eco.rng.randrange(20), wasabi_prepare, int(300 / scale))
    eco.schedule(start + eco.rng.randrange(20), whirlpool_job, int(130 / scale))
    eco.schedule(start + eco.rng.randrange(10), mixer_sweep)


def fund(eco, user, sats: int) -> None:
    """The user buys ``sats`` at an exchange (a withdrawal to one of their receive addresses)."""
    from .services import _exchange, withdraw

    withdraw(eco, _exchange(eco), user, sats)


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


def mixer_payout(eco, order) -> None:
    """Pay the customer from the reserve (not from their own deposit), minus the fee."""
    mixer, rng = eco.by_name["Fogbank"], eco.rng
    net = int(order["sats"] * (1 - MIXER_FEE - rng.uniform(0, 0.01)))
    cuts = sorted(rng.uniform(0.15, 0.85) for _ in range(order["n_out"] - 1))
    shares = [b - a for a, b in zip([0.0, *cuts], [*cuts, 1.0], strict=True)]
    pays = [(eco.new_address(order["user"], "receive"), int(net * s)) for s in shares]
    tx = eco.spend(mixer, pays, pocket="hot", typology="mixer_payout", change_role="hot")
    if tx is None:
        eco.schedule(eco.height + 6, mixer_payout, order)
        return
    order["payout_tx"] = tx


def mixer_sweep(eco) -> None:
    """Move deposits into the reserve (a fresh reserve address each time)."""
    mixer = eco.by_name["Fogbank"]
    coins = list(eco.ledger.pocket(mixer.id, "deposit"))
    if coins:
        eco.spend(
            mixer,
            [(eco.new_address(mixer, "hot"), 0)],
            coins=coins[:100],
            send_all=True,
            typology="mixer_sweep",
        )
    eco.schedule(eco.height + eco.rng.randrange(6, 18), mixer_sweep)


def use_mixer(eco):
    """An everyday customer of the custodial mixer."""
    from .people import amount, pick_payer

    user = pick_payer(eco)
    sats = amount(eco, user, 900.0, 1.0) if user else None
    return mixer_deposit(eco, user, sats) if sats else None
