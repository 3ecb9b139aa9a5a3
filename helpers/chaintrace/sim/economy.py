"""The simulation loop: blocks on a calendar, filled by entities acting on their habits.

``Economy(seed, n_transactions).run()`` mines blocks one by one. Each block first runs what was
scheduled for it (sweeps, payouts, the next hop of a peel chain...), then fills up to its share
of the requested transaction count with everyday actions drawn by weight, then closes with the
coinbase paying subsidy plus fees to a pool.

>>> eco = Economy(5, 400).run()
>>> len(eco.ledger.t_height) > 300
True
"""

import contextlib
import heapq
import itertools
import math
import random
from collections import deque

from . import casework, people, services
from .addresses import OUTPUT_VBYTES, AddressBook
from .calendar import (
    COINBASE_MATURITY,
    START_HEIGHT,
    START_TIME,
    block_times,
    daily_fee_rates,
    daily_prices,
    day_of,
    subsidy,
)
from .casework import SLOT_OUTPUTS, CaseRun, is_case_block, next_case_block, slot_of
from .entities import population
from .invariants import CaseError
from .ledger import Ledger
from .wallets import DUST, SEQ_FINAL, SEQ_RBF, estimate_vsize, order_outputs, select_coins, visible

TX_PER_DAY = 800  # the bundled data is a thin (~1/500) sample of a 2024 day's ~400,000 txs
# mining pools' cold storage by wallet generation, in the order pools are listed
RESERVE_TYPES = ("p2wpkh", "p2pkh", "p2sh-multisig", "p2wsh-multisig", "p2pkh")


def n_days_for(n_transactions: int) -> int:
    """Calendar days the chain spans: a month for course data, up to a year for scale runs.

    >>> n_days_for(25_000), n_days_for(10_000_000)
    (32, 365)
    """
    return min(365, max(21, math.ceil(n_transactions / TX_PER_DAY)))


class Economy:
    """State and main loop of one simulated chain."""

    def __init__(
        self,
        seed: int,
        n_transactions: int,
        progress=None,
        attempts: dict[str, int] | None = None,
        cases=True,
    ):
        """``cases``: True (every registered case), False (none: the scale profile) or the case
        ids to script; ``attempts``: case id -> retry number of that case's own streams."""
        if n_transactions < 200:
            raise ValueError(
                f"n_transactions={n_transactions} is too small for an economy; ask for 200 or more"
            )
        self.seed, self.n_target, self.progress = seed, n_transactions, progress
        self.attempts = dict(attempts or {})
        self.with_cases = bool(cases)
        self.case_ids = cases if not isinstance(cases, bool) else None
        key = f"{seed}"
        self.rng = random.Random(f"chaintrace-sim-{key}")
        self.book = AddressBook(random.Random(f"chaintrace-addr-{key}"))
        self.ledger = Ledger(self.book)
        # a second process computing txids while the economy runs (chaintrace.sim.txids),
        # fed each day's closed blocks; None: the writer computes them afterwards
        self.txid_pipeline = None
        self.entities = population(self.rng, n_transactions)
        self.by_kind: dict[str, list] = {}
        for e in self.entities:
            self.by_kind.setdefault(e.kind, []).append(e)
        self.by_name = {e.name: e for e in self.entities}
        self.n_days = n_days_for(n_transactions)
        self.n_blocks = self.n_days * 144
        # everyday activity per day relative to the course data (recurring jobs scale with it)
        self.activity_scale = n_transactions / self.n_days / TX_PER_DAY
        self.times = block_times(self.rng, START_TIME, self.n_blocks)
        # random block gaps may run a little past the planned days: cover every day of the chain
        span = max(self.n_days, day_of(self.times[-1])) + 1
        # the market has its own stream, so tuning behaviours does not redraw prices and fees
        market = random.Random(f"chaintrace-market-{key}")
        self.prices = daily_prices(market, span)
        self.fee_rates = daily_fee_rates(market, span)
        self.height, self.time, self.day = START_HEIGHT, START_TIME, 0
        self._events: list = []
        self._event_seq = 0
        self.recent: deque[int] = deque(maxlen=400)  # individuals who just received coins
        self.cases: dict[str, dict] = {}  # case id -> ground truth, filled by case scripts
        self.notes: dict[str, object] = {}
        # cases run apart (chaintrace.sim.casework): their own streams, events and pockets
        self.case_runs: dict[str, CaseRun] = {}
        self.case_run: CaseRun | None = None  # the case whose step is running
        self.slot_owner: dict[int, str] = {}  # endowment slot -> case id
        self._case_events: list = []
        self._case_seq = 0

    @property
    def attempt(self) -> int:
        """How many retries the cases needed in all (0: every case held first time)."""
        return sum(self.attempts.values())

    def add_case(self, case_id: str, slots: tuple[int, ...]) -> CaseRun:
        """Register a case: its own streams (from the seed, its id and its attempt) and slots."""
        run = CaseRun(case_id, self.seed, self.attempts.get(case_id, 0), tuple(slots))
        for k in run.slots:
            if k in self.slot_owner:
                raise ValueError(f"cases {self.slot_owner[k]} and {case_id} share slot {k}")
            self.slot_owner[k] = case_id
        self.case_runs[case_id] = run
        return run

    def add_case_entity(self, name: str, kind: str, profile=None):
        """An actor made by the running case (outside the everyday population)."""
        from .cases import add_entity
        from .wallets import PROFILES

        return add_entity(self, name, kind, profile or PROFILES["core"])

    @contextlib.contextmanager
    def in_case(self, case_id: str):
        """Run the body as a step of ``case_id``: its streams, its pockets, its own 'recent'."""
        run = self.case_runs[case_id]
        saved = (self.rng, self.book.rng, self.recent, self.ledger.scope, self.case_run)
        self.rng, self.book.rng, self.recent = run.rng, run.addr_rng, run.recent
        self.ledger.scope, self.case_run = case_id, run
        try:
            yield run
        finally:
            self.rng, self.book.rng, self.recent, self.ledger.scope, self.case_run = saved

    # ------------------------------------------------------------------ helpers
    def usd_to_sats(self, usd: float) -> int:
        """Satoshis worth ``usd`` at today's price."""
        return int(usd / self.prices[self.day] * 100_000_000)

    def fee_rate(self) -> float:
        """A fee rate for one transaction: today's median with per-wallet spread."""
        return max(1.0, self.fee_rates[self.day] * self.rng.lognormvariate(0.0, 0.45))

    def locktime(self, prof) -> int:
        """Anti fee-sniping as Bitcoin Core does it: the tip height, 10 % of the time a bit less."""
        if not prof.anti_fee_sniping:
            return 0
        return self.height - (self.rng.randrange(100) if self.rng.random() < 0.1 else 0)

    def wallet(self, entity):
        """The wallet software ``entity`` uses for this spend (some people run two)."""
        alt = entity.data.get("alt_profile")
        return alt if alt is not None and self.rng.random() < 0.3 else entity.profile

    def schedule(self, height: int, fn, *args) -> None:
        """Run ``fn(self, *args)`` when block ``height`` is built.

        Scheduled from a case's step, it is a step of that case: it runs in the first case
        block at or after ``height``, after the block's everyday transactions.
        """
        scope = self.ledger.scope
        if scope is None:
            self._event_seq += 1
            heapq.heappush(self._events, (height, self._event_seq, fn, args))
            return
        height = START_HEIGHT + next_case_block(height - START_HEIGHT)
        self._case_seq += 1
        heapq.heappush(self._case_events, (height, self._case_seq, scope, fn, args))

    def new_address(self, entity, role: str, true_type: str | None = None, beneficiary: int = -1):
        """A fresh address of ``entity`` (its profile's receive type unless given)."""
        true_type = true_type or entity.profile.receive_type
        return self.book.new(entity.id, role, true_type, beneficiary)

    def receive_address(self, entity) -> int:
        """Where ``entity`` asks to be paid: fresh, or (by habit) an address it used before."""
        used = entity.data.setdefault("receive", [])
        if used and self.rng.random() < entity.profile.receive_reuse:
            return used[-1] if self.rng.random() < 0.7 else self.rng.choice(used)
        addr = self.new_address(entity, "receive")
        used.append(addr)
        return addr

    def values(self, entity_id: int, pocket: str = "main") -> dict[int, int]:
        """Spendable output ids -> value in one pocket."""
        # a wallet looks at its oldest few hundred coins: bounded work for huge service wallets
        keys = list(itertools.islice(self.ledger.pocket(entity_id, pocket), 400))
        return dict(zip(keys, map(self.ledger.o_value.__getitem__, keys), strict=True))

    # ------------------------------------------------------------------ spending
    def spend(
        self,
        entity,
        payments: list[tuple],
        *,
        pocket: str = "main",
        coins: list[int] | None = None,
        typology: str,
        send_all: bool = False,
        change_role: str = "change",
        change_addr: int | None = None,
        fee_rate: float | None = None,
        max_inputs: int = 60,
        profile=None,
    ) -> int | None:
        """Build and record a payment from ``entity``; returns the tx id or None if it can't pay.

        ``payments`` are ``(address id, sats)`` (``sats`` ignored with ``send_all``, which pays
        everything selected, minus the fee, to the single payment address).
        """
        prof = profile or self.wallet(entity)
        book, led = self.book, self.ledger
        rate = fee_rate or self.fee_rate()
        pay_types = [
            book.visible_type(a) if not isinstance(a, bytes) else "op_return" for a, _ in payments
        ]
        change_type = visible(prof.change_type)
        want = 0 if send_all else sum(v for _, v in payments)
        if coins is None:
            vals = self.values(entity.id, pocket)
            if not vals:
                return None

            # rough while selecting (every input a P2WPKH one, as estimate_vsize would count
            # it); exact below
            out_vb = sum(OUTPUT_VBYTES.get(t, 11) for t in pay_types + [change_type])
            dust = 0 if send_all else DUST

            def target(n):
                return want + rate * int(68 * n + out_vb + 11.0) + dust

            if send_all:  # empty the pocket (up to max_inputs coins, in the wallet's order)
                picked = _all_of(self.rng, vals, prof.selection, max_inputs)
            else:
                picked = select_coins(self.rng, vals, target, prof.selection, max_inputs)
            if picked is None:
                return None
            coins, total = picked
            if not send_all and self.rng.random() < 0.1:
                # coin control / privacy-minded selection: one more coin than needed, so the
                # payment, not the change, may be the output smaller than every input
                spare = [o for o in vals if o not in coins]
                if spare and len(coins) < max_inputs:
                    extra = self.rng.choice(spare)
                    coins, total = [*coins, extra], total + vals[extra]
        else:
            total = sum(led.o_value[o] for o in coins)
        in_types = [book.true_type[led.o_addr[o]] for o in coins]
        if send_all:
            fee = int(rate * estimate_vsize(in_types, pay_types))
            if total - fee <= DUST:
                return None
            payments = [(payments[0][0], total - fee)]
            outputs, change_index = payments, -1
        else:
            fee = int(rate * estimate_vsize(in_types, pay_types + [change_type]))
            change = total - want - fee
            if change < 0:
                return None
            outputs, change_index = list(payments), -1
            if change >= DUST:
                if change_addr is None:
                    change_addr = self._change_address(entity, prof, coins, change_role)
                outputs.append((change_addr, change))
                change_index = len(outputs) - 1
        outputs, change_index = order_outputs(self.rng, outputs, change_index, prof.ordering, book)
        locktime = self.locktime(prof)
        tx = led.add(
            self.height,
            coins,
            outputs,
            entity=entity.id,
            typology=typology,
            change_vout=change_index,
            version=prof.version,
            locktime=locktime,
            sequence=SEQ_RBF if prof.rbf else SEQ_FINAL,
        )
        if prof.ordering == "bip69":
            led.sorted_inputs.add(tx)
        return tx

    def _change_address(self, entity, prof, coins, role: str) -> int:
        if prof.change_reuse and self.rng.random() < prof.change_reuse:
            return self.ledger.o_addr[coins[0]]
        old = entity.data.get("receive")
        if old and self.rng.random() < 0.04:  # change to an old receive address (not an input)
            return self.rng.choice(old)
        if prof.change_type == "p2wpkh" and self.rng.random() < 0.04:
            # a wallet trying out taproot change: the address-type heuristic then errs
            return self.new_address(entity, role, "p2tr")
        return self.new_address(entity, role, prof.change_type)

    def _slot_address(self, pool, k: int) -> list[int]:
        """Fresh addresses of ``pool`` for endowment slot ``k``, from the slot's own stream
        (several, so a case can pay several things from its endowment in one block)."""
        saved, self.book.rng = self.book.rng, _slot_address_rng(self.seed, k)
        try:
            return [self.new_address(pool, "reserve") for _ in range(SLOT_OUTPUTS)]
        finally:
            self.book.rng = saved

    # ------------------------------------------------------------------ main loop
    def _quota(self, i: int) -> int:
        active = self.n_blocks - COINBASE_MATURITY
        if i < COINBASE_MATURITY:
            return 0
        gap = self.times[i] - self.times[i - 1]
        # coinbases count towards the total; scheduled work (sweeps, payouts) adds ~20 %
        wanted = max(self.n_target - self.n_blocks, self.n_target // 2)
        mean = wanted / active * gap / 600 * 0.8
        # big economies fall short of the requested total (scheduled work does not grow with
        # activity): spread any shortfall so far over the next day; never throttle below ``mean``
        # (counting background transactions only, so a case never changes the background)
        made = len(self.ledger.t_height) - len(self.ledger.blocks) - len(self.ledger.t_case)
        due = wanted * (i - COINBASE_MATURITY) / active
        return _poisson(self.rng, mean + max(0.0, due - made) / 144)

    def _run_events(self) -> None:
        events = self._events
        while events and events[0][0] <= self.height:
            _, _, fn, args = heapq.heappop(events)
            fn(self, *args)

    def _run_case_events(self) -> None:
        events = self._case_events
        while events and events[0][0] <= self.height:
            _, _, scope, fn, args = heapq.heappop(events)
            run = self.case_runs[scope]
            if run.broken:  # a broken case stops; the builder reruns it with its next stream
                continue
            with self.in_case(scope):
                try:
                    fn(self, *args)
                    casework.flush(self)
                except CaseError as exc:
                    run.broken = str(exc)

    def _fill(self, quota: int) -> None:
        done, attempts = 0, 0
        actions, weights = people.ACTIONS
        while done < quota and attempts < quota * 4 + 4:
            attempts += 1
            action = self.rng.choices(actions, weights)[0]
            if action(self) is not None:
                done += 1

    def run(self) -> "Economy":
        """Mine every block; returns ``self`` with the ledger filled."""
        from . import cases, illicit, privacy

        services.setup(self)
        privacy.setup(self)
        illicit.setup(self)
        # where case blocks' rewards go, unspent: each pool's cold storage, of its own wallet
        # generation (a reserve this size would otherwise tilt the chain's unspent value by type)
        for i, pool in enumerate(self.by_kind["mining_pool"]):
            pool.data["reserve_type"] = RESERVE_TYPES[i % len(RESERVE_TYPES)]
            pool.data["reserve_addr"] = self.new_address(pool, "reserve", pool.data["reserve_type"])
        if self.with_cases:
            cases.plan(self, self.case_ids)
        for i in range(self.n_blocks):
            self.height, self.time = START_HEIGHT + i, self.times[i]
            self.day = day_of(self.time)
            self.ledger.release(self.height)
            self._run_events()
            self._fill(self._quota(i))
            reward = subsidy(self.height) + self.ledger.block_fees()
            if is_case_block(i):
                self._run_case_events()
                reward = subsidy(self.height) + self.ledger.block_fees()
                services.mine_block(self, reward, lambda p: p.data["reserve_addr"], "reserve")
            elif slot_of(i) is not None:
                k = slot_of(i)
                scope = self.slot_owner.get(k, "unclaimed")
                services.mine_block(self, reward, lambda p, k=k: self._slot_address(p, k), scope)
            else:
                services.mine_block(self, reward)
            if self.txid_pipeline is not None:
                self.txid_pipeline.feed(self, i + 1)
            if self.progress and i % 144 == 0:
                self.progress(i, self.n_blocks)
        if self.progress:
            self.progress(self.n_blocks, self.n_blocks)
        return self


def _slot_address_rng(seed: int, k: int) -> random.Random:
    return random.Random(f"chaintrace-slot-{seed}/{k}")


def _all_of(rng, vals: dict[int, int], selection: str, max_inputs: int):
    """Every coin of a pocket (at most ``max_inputs``, in the wallet's selection order).

    >>> import random
    >>> _all_of(random.Random(0), {1: 5, 2: 9, 3: 7}, "largest", 2)
    ([2, 3], 16)
    """
    order = list(vals)
    if selection == "largest":
        order.sort(key=vals.__getitem__, reverse=True)
    elif selection == "random":
        rng.shuffle(order)
    chosen = order[:max_inputs]
    return (chosen, sum(vals[o] for o in chosen)) if chosen else None


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above 30)."""
    if mean > 30:
        return max(0, int(rng.gauss(mean, math.sqrt(mean)) + 0.5))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
