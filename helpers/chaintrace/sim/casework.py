"""How a scripted case runs apart from the background economy, so cases never move each other.

Adding, removing or changing one case leaves every other case and every background transaction
byte-identical (``tests/test_case_isolation.py``). Four rules make that so:

1. **Own randomness.** Each case draws every decision (amounts, timing, choices, and the wallet
   randomness of its spends: coin selection, output order, fee spread, locktime, change) from a
   stream derived from ``(seed, case id, attempt)``, and every address it makes from a second
   such stream. While one of its steps runs, :meth:`Economy.in_case` swaps both in.
2. **Own coins.** The outputs a case makes land in pockets only that case sees
   (:meth:`Ledger.pocket_key`): a deposit a case pays to an exchange is never swept by the
   exchange's everyday sweeps, and a case never spends a background coin (the ledger refuses
   it). A case's money comes from its **endowment**: the coinbases of fixed blocks before the
   window opens (:data:`SLOTS`, 6.25 BTC each, paid to a fresh address of the mining pool drawn
   from the slot's own stream), which a pool sells on when the case first needs coins
   (:func:`endow`). A case deposit is swept by the case's own script (:func:`sweep`) into one
   of the service's real hot addresses, together with the case's float at that service, so the
   deposit address still clusters with the service's hot wallet.
3. **Own blocks.** A block's coinbase claims the fees of every transaction in it and commits to
   all of them (BIP-141), so a block holding a case transaction has a case-dependent coinbase.
   Case steps therefore run only in *case blocks* (every :data:`CASE_EVERY`-th block of the
   window), after the block's everyday transactions, and those blocks' coinbases pay the
   pool's reserve address, which nobody spends.
4. **Own count.** The background's per-block quota of everyday transactions counts background
   transactions only.

A case whose invariants fail is rerun with its own next stream (``"/retry-<k>"``), the others
keep theirs (:func:`chaintrace.sim.build.simulate`).

>>> is_case_block(103), is_case_block(104), slot_of(3), slot_of(4)
(True, False, 1, None)
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from .calendar import COINBASE_MATURITY

CASE_EVERY = 4  # one block in four of the window may hold case transactions
SLOT_EVERY = 2  # one block in two before the window pays an endowment slot (50 slots)
SLOT_OUTPUTS = 5  # a slot's reward is split over this many addresses (1.25 BTC each here)


def is_case_block(i: int) -> bool:
    """Whether block number ``i`` (0 = first block of the chain) may hold case transactions."""
    return i >= COINBASE_MATURITY and i % CASE_EVERY == CASE_EVERY - 1


def next_case_block(i: int) -> int:
    """The first case block at or after block number ``i``.

    >>> next_case_block(0), next_case_block(104), next_case_block(107)
    (103, 107, 107)
    """
    i = max(i, COINBASE_MATURITY)
    return i + (CASE_EVERY - 1 - i % CASE_EVERY)


def slot_of(i: int) -> int | None:
    """The endowment slot paid by the coinbase of block number ``i`` (None: not a slot)."""
    if i < COINBASE_MATURITY and i % SLOT_EVERY == SLOT_EVERY - 1:
        return i // SLOT_EVERY
    return None


@dataclass
class CaseRun:
    """One case's private state: its streams, its endowment slots, its caches."""

    case_id: str
    seed: int
    attempt: int
    slots: tuple[int, ...]
    rng: random.Random = field(init=False)
    addr_rng: random.Random = field(init=False)
    recent: deque = field(default_factory=lambda: deque(maxlen=50))
    deposits: dict = field(default_factory=dict)  # (customer id, service id) -> address id
    swept_soon: set = field(default_factory=set)  # services with a sweep scheduled
    broken: str = ""  # what broke the case's script (it then stops)
    endowments: list = field(default_factory=list)  # payments asked for in the current step
    floats: set = field(default_factory=set)  # services the case holds a float at

    def __post_init__(self):
        key = f"{self.seed}/{self.case_id}" + (f"/retry-{self.attempt}" if self.attempt else "")
        self.rng = random.Random(f"chaintrace-case-{key}")
        self.addr_rng = random.Random(f"chaintrace-case-addr-{key}")


# ---------------------------------------------------------------------------- money
def endow(eco, addr: int, sats: int) -> None:
    """Pay ``sats`` to ``addr`` from the case's endowment, at the end of the current step.

    Every payment a step asks for goes out in one batch per pool (:func:`flush`), the way a
    pool pays out: a case can ask for several in one step although its endowment coins are few.
    """
    eco.case_run.endowments.append((addr, sats))


def flush(eco) -> None:
    """Pay the endowment payments the step asked for (called after each case step)."""
    run = eco.case_run
    if run.endowments:
        pays, run.endowments = run.endowments, []
        endow_many(eco, pays)


def endow_many(eco, pays: list[tuple[int, int]]) -> list[int]:
    """Pay several addresses from the case's endowment: one batch per pool (a pool's payout)."""
    from .invariants import CaseError

    led, txs, left = eco.ledger, [], list(pays)
    for pool in sorted(eco.by_kind["mining_pool"], key=lambda p: -led.balance(p.id)):
        room, batch = led.balance(pool.id) - 100_000, []
        while left and left[0][1] <= room:
            room -= left[0][1]
            batch.append(left.pop(0))
        if batch:
            change = eco.new_address(pool, "reserve")
            tx = eco.spend(pool, batch, typology="pool_payout", change_addr=change)
            if tx is None:
                raise CaseError(f"case {led.scope} is broken: its endowment cannot pay a batch")
            txs.append(tx)
    if left:
        raise CaseError(f"case {led.scope} is broken: its endowment cannot pay {len(left)} more")
    return txs


def deposit(eco, customer, service) -> int:
    """The customer's deposit address at ``service`` for this case (kept by the case only)."""
    run = eco.case_run
    key = (customer.id, service.id)
    if key not in run.deposits:
        run.deposits[key] = eco.new_address(service, "deposit", beneficiary=customer.id)
    return run.deposits[key]


def hot_address(eco, service) -> int:
    """One of the service's standing hot addresses (the case's coins there stay the case's)."""
    return eco.rng.choice(service.data["hot_addrs"])


def ensure_float(eco, service, sats: int | None = None) -> None:
    """Give the case a coin on one of ``service``'s hot addresses (bought from a pool)."""
    run = eco.case_run
    if service.id in run.floats or eco.ledger.pocket(service.id, "hot"):
        return
    run.floats.add(service.id)
    # a float the size of a hot wallet's working balance, so what the case deposits is a small
    # part of what the service pays out next (as on the real chain)
    endow(eco, hot_address(eco, service), sats or int(eco.rng.uniform(0.5, 2.5) * 1e8))


def sweep(eco, service, to: int | None = None, recycle: bool = True) -> int | None:
    """Sweep the case's deposits at ``service`` into a hot address, with the case's float there.

    Co-spending the float (a coin on a hot address the service's own transactions co-spend)
    keeps what lessons rely on: the deposit address clusters with the service's hot wallet.
    With ``recycle`` an exchange then pays the swept coins out again (:func:`withdrawals`), as
    its hot wallet would: the taint of a case's coins spreads on, as on the real chain.
    """
    led = eco.ledger
    eco.case_run.swept_soon.discard(service.id)
    deps = [o for o in led.pocket(service.id, "deposit") if led.t_height[led.o_tx[o]] < eco.height]
    if not deps:
        return None
    hot = list(led.pocket(service.id, "hot"))[:1]
    tx = eco.spend(
        service,
        [(to if to is not None else hot_address(eco, service), 0)],
        coins=deps[:100] + hot,
        send_all=True,
        typology="deposit_sweep",
        fee_rate=max(1.0, eco.fee_rate() * 0.5),
    )
    if recycle and service.kind in ("exchange", "gambling"):
        eco.schedule(eco.height + eco.rng.randrange(3, 20), withdrawals, service)
    return tx


def withdrawals(eco, service) -> int | None:
    """The service pays some customers' withdrawals out of the case's coins in its hot wallet
    (a batch, the change back to a hot address): customers the case makes, who do no more."""
    led, rng = eco.ledger, eco.rng
    coins = list(led.pocket(service.id, "hot"))[:20]
    total = sum(led.o_value[c] for c in coins)
    if total < 2_000_000:
        return None
    pays = []
    for k in range(rng.randrange(3, 9)):
        name = f"customer of {service.name} ({eco.case_run.case_id}, {eco.height}-{k})"
        who = eco.add_case_entity(name, "individual")
        sats = min(eco.usd_to_sats(rng.lognormvariate(6.4, 1.4)), total // 12)
        if sats > 20_000:
            pays.append((eco.new_address(who, "receive"), sats))
    if not pays:
        return None
    return eco.spend(
        service,
        pays,
        coins=coins,
        typology="exchange_batch_withdrawal",
        change_addr=hot_address(eco, service),
    )


def sweep_soon(eco, service, lo: int = 20, hi: int = 90) -> None:
    """Schedule :func:`sweep` of ``service`` (once), as its everyday sweeps would come."""
    run = eco.case_run
    if service.id in run.swept_soon:
        return
    run.swept_soon.add(service.id)
    if service.kind in ("exchange", "gambling"):
        ensure_float(eco, service)
    eco.schedule(eco.height + eco.rng.randrange(lo, hi), sweep, service)
