"""The account-chain cases of the 2026 economy: ``account-02``, ``stablecoin-02``,
``evasion-01`` and ``evasion-02``, and the account half of ``capstone-01``
(:mod:`chaintrace.sim.case_capstone`, written last from its Bitcoin half).

Each case draws from its own RNG, ``chaintrace-xchain-<seed>/<case id>/<attempt>``: adding or
changing one leaves every other case's truth as it was. Each checks its story on the rows it
wrote (:func:`check`) and, if the story does not hold, is written again with the next attempt
(up to :data:`ATTEMPTS`), so the data is still a pure function of the seed.

Truth fields (``groundtruth/<name>/cases/<id>.json``; amounts are base-unit integers as text
with their ``decimals``, times Unix seconds, dates ``YYYY-MM-DD``):

- ``account-02``: ``tx_hash``, ``chain`` (``bsc``), ``value_base_units``, ``decimals`` (18),
  ``fee_wei``, ``fee_asset`` (BNB), ``scam_address`` (the look-alike), ``lookalike_of``,
  ``poisoning_tx_hashes``, ``poisoner``, ``next_tx_hash``, ``next_to`` (a deposit address),
  ``next_to_entity`` (the exchange), ``next_value_base_units``.
- ``stablecoin-02``: as ``stablecoin-01`` where the story is the same (``victim_tx_hash``,
  ``value_base_units``, ``decimals``, ``usdt_usd``, ``value_usd``, ``gas_funder``,
  ``swap_tx_hash``, ``swap_usdt_base_units``, ``pool``, ``bridge_ref``, ``tron_address``,
  ``split_addresses``, ``consolidation_address``, ``exchange``, ``exchange_deposit_address``,
  ``cashout_tx_hash``, ``cashout_base_units``, ``frozen``, ``freeze_tx_hash``, ``report_time``,
  ``freezable_at_report``, ``freezable_base_units``, ``moved_after_report_tx_hash``) plus
  ``thief_address``, ``swap_native_asset`` / ``swap_native_base_units`` (BNB), ``bridge``,
  ``bridge_design``, ``bridge_evidence``, ``bridge_source_*`` and ``bridge_destination_*``
  (``tx_hash``, ``base_units``; ``bridge_destination_decimals``), ``split_tx_hashes``,
  ``merge_tx_hashes``.
- ``evasion-01`` / ``evasion-02``: ``sanctioned_exchange``, ``designated``, ``successor``,
  ``successor_wallets`` (all chains) and ``successor_wallets_by_chain``,
  ``migration_tx_hashes``, ``migration_wallet`` (the pass-through wallet, or None),
  ``frozen_at_report`` and ``freeze_tx_hash`` (the issuer's freeze of the exchange's TRON
  wallet), ``bridges`` (per design ``lock-and-release``, ``burn-and-mint``, ``intent``:
  ``bridge``, ``design``, ``evidence``, ``customer``, ``reference``, ``source_chain``,
  ``source_tx_hash``, ``source_base_units``, ``destination_chain``, ``destination_tx_hash``,
  ``destination_address``, ``destination_base_units``, ``destination_decimals``, ``paid_by``),
  ``instant_swap`` (``service``, ``customer``, ``deposit_tx_hash``, ``deposit_address``,
  ``payout_tx_hash``, ``payout_chain``, ``payout_address``, ``payout_asset``,
  ``payout_base_units``, ``held_customer``, ``held_deposit_tx_hash``, ``held_chain``,
  ``held_base_units``, ``evidence``), ``aggregator`` (``customer``, ``tx_hash``,
  ``n_transfers``, ``router``, ``in_asset``, ``in_base_units``, ``out_asset``,
  ``out_base_units``, ``settlement``), ``settlement`` (``tx_hash``, ``from``, ``to``, ``asset``,
  ``base_units``, ``rub``), ``mixer`` (``pool``, ``denomination_eth``, ``depositor``,
  ``deposits``: ``tx_hash``, ``time``, ``listed_at_time``; ``delisted``), ``cashout``
  (``exchange``, ``customer``, ``drops``, ``deposit_addresses``, ``deposit_tx_hashes``),
  ``exposure`` (one row per listed address touched and list: ``chain``, ``address``,
  ``entity``, ``list``, ``listed``, ``delisted``), ``report_time``, ``report_date``,
  ``uah_per_usd``, ``freezable_at_report`` (per holder: ``usd``, ``uah``, ``items``),
  ``freezable_usd``, ``freezable_uah``, ``not_freezable_at_report`` (balances whose token has no
  blacklist), ``moved_after_report_tx_hash``.

>>> check(True, "never raised")
>>> check(False, "the payment must precede the report")
Traceback (most recent call last):
...
chaintrace.sim.invariants.CaseError: the payment must precede the report
"""

import random
from decimal import Decimal

from .briefs import (
    ACCOUNT_BRIEF,
    ACCOUNT_TITLE,
    EVASION_BRIEF,
    EVASION_TITLE,
    STABLECOIN_BRIEF,
    STABLECOIN_TITLE,
)
from .calendar import START_TIME, date_text
from .crosschain import (
    ALTAMIRA,
    BSC_PEG,
    NATIVE,
    RUBX,
    RUBX_ISSUER,
    SWAPLINE,
    TETHER,
    TOKENS,
    ZERO,
    Book,
    Maker,
    Moves,
    Services,
    balances_low,
    designation,
    poison,
    units_of,
)
from .invariants import CaseError

ATTEMPTS = 6
CASE_MODULES = {
    "account-02": "01",
    "stablecoin-02": "09",
    "evasion-01": "12",
    "evasion-02": "12",
    "capstone-01": "13",
}
EXCHANGE_PAIRS = [  # (sanctioned exchange, its successor), as Garantex and Grinex
    ("Tverdex", "Tverix"), ("Uralbit", "Uralix"), ("Sobolex", "Sobolix"),
    ("Volgex", "Volginex"), ("Kremna", "Kremnix"), ("Rudnex", "Rudnix"),
]  # fmt: skip


def check(ok: bool, what: str) -> None:
    """Stop this attempt with ``what`` unless ``ok``."""
    if not ok:
        raise CaseError(what)


def all_cases(book: Book, svc: Services) -> dict[str, dict]:
    """Every case of the 2026 economy: ``{case_id: {"brief": ..., "truth": ...}}``."""
    from .case_capstone import wanted

    return {case_id: _attempts(book, svc, case_id, script)
            for case_id, script in scripts(book.seed).items()
            if case_id != "capstone-01" or wanted(book)}  # fmt: skip


def scripts(seed) -> dict:
    """``{case_id: script(book, services, maker) -> {"brief", "truth"}}``, in writing order."""
    pairs = random.Random(f"chaintrace-xchain-{seed}/exchange-names").sample(EXCHANGE_PAIRS, 2)
    return {
        "account-02": _account_02,
        "stablecoin-02": _stablecoin_02,
        "evasion-01": lambda b, s, m: _evasion(b, s, m, "evasion-01", pairs[0], LESSON),
        "evasion-02": lambda b, s, m: _evasion(b, s, m, "evasion-02", pairs[1], ASSIGNMENT),
        "capstone-01": _capstone,  # last: it pays a wallet the evasion cases had listed
    }


def _capstone(book, svc, mk) -> dict:
    from .case_capstone import account_leg

    return account_leg(book, svc, mk)


def _attempts(book, svc, case_id, script) -> dict:
    errors = []
    for attempt in range(ATTEMPTS):
        mk = Maker(random.Random(f"chaintrace-xchain-{book.seed}/{case_id}/{attempt}"))
        mark = (len(book.rows), len(book.freezes), len(book.tags), len(book.designations),
                len(book.intents), set(book.scripted), dict(svc.deposits))  # fmt: skip
        try:
            case = script(book, svc, mk)
            times = [r["time"] for r in book.rows[mark[0] :]]
            check(book.start <= min(times) and max(times) < book.end,
                  f"{case_id}: every transfer must fall inside the window")  # fmt: skip
            case["brief"]["module"] = CASE_MODULES.get(case_id, "")
            return case
        except CaseError as exc:
            errors.append(f"attempt {attempt}: {exc}")
            del book.rows[mark[0] :], book.freezes[mark[1] :], book.tags[mark[2] :]
            del book.designations[mark[3] :], book.intents[mark[4] :]
            book.scripted, svc.deposits = mark[5], mark[6]
    raise CaseError(f"{case_id}: no valid story after {ATTEMPTS} attempts ({'; '.join(errors)})")


def _no_negative(rows: list[dict], who: set[tuple], what: str) -> None:
    low = balances_low(rows, who)
    bad = sorted(k for k, v in low.items() if v < 0)
    check(not bad, f"{what}: balance below zero for {bad[:3]}")


def _rows_of(book: Book, start: int) -> list[dict]:
    return book.rows[start:]


def _value(amount: Decimal, price: float) -> Decimal:
    return amount * Decimal(str(price))


def fiat(book: Book, chain: str, asset: str, units: int, t: int) -> tuple[Decimal, Decimal]:
    """USD and UAH (the day's official NBU rate) of ``units`` of ``asset`` on day ``t``,
    unrounded: holders' totals are rounded once, to cents."""
    amount = Decimal(units) / units_of(chain, asset)
    usd = _value(amount, book.usd(asset, t))
    return usd, usd * Decimal(str(book.rates["uah_per_usd"][book.day(t)]))


def _cents(x: Decimal) -> float:
    return float(x.quantize(Decimal("0.01")))


def _gas(mv: Moves, chain: str, t: int, who: str, exchange: str = "Northmint") -> dict:
    """A withdrawal of the native coin for fees, from an exchange."""
    return mv.send(chain, t, mv.svc.hot[exchange][chain], who, NATIVE[chain][0],
                   mv.rng.randrange(5, 30) * units_of(chain, NATIVE[chain][0]) // 100)  # fmt: skip


# ---------------------------------------------------------------------------- account-02
def invoice_amount(base_units: int) -> int:
    """What the company reports it paid: the invoice's round figure (the next whole hundred
    USDT above the amount the ledger shows), as a victim's report is a claim, not the ledger.

    >>> invoice_amount(24_252_500_000_000_000_000_000), invoice_amount(24_200 * 10**18)
    (24300, 24300)
    """
    return (base_units // (100 * 10**18) + 1) * 100


def _account_02(book: Book, svc: Services, mk: Maker) -> dict:
    """A company pays its regular supplier USDT on BNB Smart Chain (18 decimals); an
    address-poisoning scammer has planted a look-alike of the supplier's address in its
    history, and the next payment goes to the look-alike, which moves it to an exchange."""
    mv, rng = Moves(book, svc, mk), mk.rng
    first_row = len(book.rows)
    exchange = rng.choice(["Northmint", ALTAMIRA])
    payer, supplier = mk.evm(), mk.evm()
    t0 = book.t(0.15, 0.3, rng)
    _gas(mv, "bsc", t0 - 86_400, payer, exchange)
    usual = rng.randrange(8, 40) * 1_000 * 10**18 + rng.randrange(0, 999) * 10**18
    mv.send("bsc", t0 - 86_000, svc.hot[exchange]["bsc"], payer, "USDT", usual * 6)
    for k in range(rng.randrange(1, 3)):  # earlier payments to the supplier
        mv.send("bsc", t0 + k * rng.randrange(2, 4) * 86_400, payer, supplier, "USDT",
                usual + rng.randrange(-500, 500) * 10**18)  # fmt: skip
    t1 = book.t(0.45, 0.55, rng)
    amount = usual + rng.randrange(-900, 900) * 10**18 + rng.choice([0, 10**17 * 5])
    p = poison(book, mv, "bsc", payer, supplier, t1, fall=True, amount=amount)
    paid = p["paid"]
    fake = p["fake"]
    _gas(mv, "bsc", int(paid["time"]) + rng.randrange(60, 600), fake, exchange)
    kept = rng.randrange(1, 5) * 10**18 * 10
    fwd, _sweep = mv.deposit(exchange, "bsc", int(paid["time"]) + rng.randrange(1_800, 7_200),
                             fake, "USDT", int(paid["value"]) - kept)  # fmt: skip
    check(int(paid["time"]) < book.end - 86_400, "the payment must fall inside the window")
    check(fake.lower() != supplier.lower() and fake[:8].lower() == supplier[:8].lower(),
          "the look-alike must share the supplier's first digits")  # fmt: skip
    people = {("bsc", a) for a in (payer, supplier, fake)}
    book.scripted |= people
    _no_negative(_rows_of(book, first_row), people - {("bsc", supplier)}, "account-02")
    brief = {
        "case_id": "account-02",
        "title": ACCOUNT_TITLE[2],
        "typology": "scam",
        "brief": ACCOUNT_BRIEF[2],
        "reported": {
            "payer_address": payer,
            "supplier_address": supplier,
            "chain": "bsc",
            "asset": "USDT",
            "date": date_text(int(paid["time"])),
            "amount": invoice_amount(amount),
        },
    }
    truth = {
        "tx_hash": paid["tx_hash"],
        "chain": "bsc",
        "value_base_units": paid["value"],
        "decimals": 18,
        "fee_wei": paid["fee_wei"],
        "fee_asset": "BNB",
        "scam_address": fake,
        "lookalike_of": supplier,
        "poisoning_tx_hashes": [p["zero"]["tx_hash"], p["dust"]["tx_hash"]],
        "poisoner": p["scammer"],
        "next_tx_hash": fwd["tx_hash"],
        "next_to": fwd["to"],
        "next_to_entity": exchange,
        "next_value_base_units": fwd["value"],
    }
    return {"brief": brief, "truth": truth}


# ---------------------------------------------------------------------------- stablecoin-02
def _stablecoin_02(book: Book, svc: Services, mk: Maker) -> dict:
    """A theft of USDT on BNB Smart Chain (18 decimals): the thief swaps part to BNB, carries
    the rest to TRON over the burn-and-mint bridge (no vault, no fee: an attestation links the
    legs), splits it, consolidates some, cashes out at an exchange; the issuer freezes one split
    address before the report and another moves after it."""
    mv, rng = Moves(book, svc, mk), mk.rng
    first_row = len(book.rows)
    exchange = rng.choice(["Northmint", ALTAMIRA])
    victim, thief, gas = mk.evm(), mk.evm(), mk.evm()
    n_split = rng.choice([4, 5])
    tron = [mk.tron() for _ in range(n_split + 2)]  # t1, splits..., consolidation
    t1, splits, t_cons = tron[0], tron[1:-1], tron[-1]
    t0 = book.t(0.45, 0.55, rng)
    day = book.day(t0)
    amount = (rng.randrange(40, 180) * 1_000 + rng.choice([0, 250, 750])) * 10**18
    mv.send("bsc", t0 - rng.randrange(3, 6) * 86_400, svc.hot[exchange]["bsc"], victim, "USDT",
            amount + rng.randrange(100, 5_000) * 10**18)  # fmt: skip
    _gas(mv, "bsc", t0 - 5 * 86_400, victim, exchange)
    mv.send("bsc", t0 - rng.randrange(3_600, 20_000), gas, thief, "BNB",
            rng.randrange(3, 9) * 10**16)  # fmt: skip
    mv.send("bsc", t0 - 2 * 86_400, svc.hot[ALTAMIRA]["bsc"], gas, "BNB", 10**18)
    theft = mv.send(
        "bsc", t0, victim, thief, "USDT", amount, tx_from=thief, method="transferFrom"
    )  # fmt: skip  an approval the victim was tricked into
    swapped = int(amount * rng.uniform(0.1, 0.25)) // 10**18 * 10**18
    t = t0 + rng.randrange(600, 3_000)
    swap = mv.pool_swap(t, thief, swapped)
    burn, mint = mv.burn_mint("bsc", "tron", t + rng.randrange(600, 2_400), thief, t1,
                              amount - swapped)  # fmt: skip
    got = int(mint["value"])
    cuts = [rng.uniform(0.12, 0.3) for _ in range(n_split - 1)]
    parts = [int(got * c / (sum(cuts) + rng.uniform(0.2, 0.4))) // 10**6 * 10**6 for c in cuts]
    parts.append(got - sum(parts))
    t = int(mint["time"]) + rng.randrange(3_600, 4 * 3_600)
    split_rows = [mv.send("tron", t + 90 * k, t1, a, "USDT", v)
                  for k, (a, v) in enumerate(zip(splits, parts, strict=True))]  # fmt: skip
    t = t + 86_400 // 2 + rng.randrange(3_600)
    merges = [mv.send("tron", t + 300 * k, splits[k], t_cons, "USDT", parts[k]) for k in range(2)]
    at_cons = parts[0] + parts[1]
    cash = int(at_cons * rng.uniform(0.55, 0.8)) // 10**6 * 10**6
    dep, sweep = mv.deposit(exchange, "tron", t + rng.randrange(3_600, 3 * 3_600), t_cons, "USDT",
                            cash)  # fmt: skip
    frozen_addr = splits[2]
    freeze = book.freeze(
        mk, "tron", int(sweep["time"]) + rng.randrange(43_200, 86_400), frozen_addr
    )
    report = int(freeze["time"]) + rng.randrange(86_400 // 2, 86_400)
    mover = splits[3]
    late, _ = mv.deposit(exchange, "tron", report + rng.randrange(3_600, 12 * 3_600), mover, "USDT",
                         parts[splits.index(mover)])  # fmt: skip
    check(int(late["time"]) < book.end, "the case must end inside the window")
    holding = {t_cons: at_cons - cash, mover: parts[splits.index(mover)]}
    for k in range(3, n_split):
        if splits[k] != mover:
            holding[splits[k]] = parts[k]
    people = {("bsc", a) for a in (victim, thief, gas)} | {("tron", a) for a in tron}
    book.scripted |= people
    _no_negative(_rows_of(book, first_row), people, "stablecoin-02")
    usd = book.prices["usdt_usd"][day]
    brief = {
        "case_id": "stablecoin-02",
        "title": STABLECOIN_TITLE[2],
        "typology": "theft",
        "brief": STABLECOIN_BRIEF[2],
        "reported": {
            "victim_address": victim,
            "chain": "bsc",
            "asset": "USDT",
            "date": date_text(int(theft["time"])),
            "amount_usdt": round(amount / 10**18, -3),
            "report_time": report,
        },
    }
    truth = {
        "victim_tx_hash": theft["tx_hash"],
        "thief_address": thief,
        "value_base_units": theft["value"],
        "decimals": 18,
        "usdt_usd": usd,
        "value_usd": round(amount / 10**18 * usd, 2),
        "gas_funder": gas,
        "swap_tx_hash": swap[0]["tx_hash"],
        "swap_usdt_base_units": swap[0]["value"],
        "swap_native_asset": "BNB",
        "swap_native_base_units": swap[1]["value"],
        "pool": swap[0]["to"],
        "bridge": "Mintlane",
        "bridge_design": "burn-and-mint",
        "bridge_evidence": "attestation",
        "bridge_ref": burn["bridge_ref"],
        "bridge_source_tx_hash": burn["tx_hash"],
        "bridge_source_base_units": burn["value"],
        "bridge_destination_tx_hash": mint["tx_hash"],
        "bridge_destination_base_units": mint["value"],
        "bridge_destination_decimals": 6,
        "tron_address": t1,
        "split_addresses": splits,
        "split_tx_hashes": [r["tx_hash"] for r in split_rows],
        "consolidation_address": t_cons,
        "merge_tx_hashes": [r["tx_hash"] for r in merges],
        "exchange": exchange,
        "exchange_deposit_address": dep["to"],
        "cashout_tx_hash": dep["tx_hash"],
        "cashout_base_units": dep["value"],
        "frozen": {frozen_addr: str(parts[2])},
        "freeze_tx_hash": freeze["tx_hash"],
        "report_time": report,
        "freezable_at_report": {a: str(v) for a, v in holding.items()},
        "freezable_base_units": str(sum(holding.values())),
        "moved_after_report_tx_hash": late["tx_hash"],
    }
    return {"brief": brief, "truth": truth}


# ---------------------------------------------------------------------------- evasion
LESSON = {
    "lock": ("tron", "ethereum"), "burn": ("tron", "bsc"), "intent": ("ethereum", "bsc"),
    "swap": ("tron", "ethereum", "ETH"), "held": ("tron", "ethereum", "ETH"),
    "successors": {"tron": 2, "ethereum": 1, "bsc": 1}, "via_migration_wallet": False,
    "mixer": (10, 1, 1), "drops": (3, 4), "cashout": "Northmint",
}  # fmt: skip
ASSIGNMENT = {
    "lock": ("ethereum", "tron"), "burn": ("tron", "ethereum"), "intent": ("bsc", "ethereum"),
    "swap": ("tron", "ethereum", "ETH"), "held": ("tron", "bsc", "USDT"),
    "successors": {"tron": 3, "ethereum": 1, "bsc": 1}, "via_migration_wallet": True,
    "mixer": (1, 2, 1), "drops": (4, 6), "cashout": ALTAMIRA,
}  # fmt: skip
DESIGNS = {"lock": ("lock-and-release", "shared reference", "Arcway Bridge"),
           "burn": ("burn-and-mint", "attestation", "Mintlane"),
           "intent": ("intent", "relayer fill", "Relaya")}  # fmt: skip


class _Evasion:
    """State of one evasion case while it is written."""

    def __init__(self, book, svc, mk, case_id, names, plan):
        self.book, self.svc, self.mk, self.rng = book, svc, mk, mk.rng
        self.mv = Moves(book, svc, mk)
        self.case_id, (self.sanctioned, self.successor), self.plan = case_id, names, plan
        self.people: set[tuple] = set()
        self.first_row = len(book.rows)
        self.deposits: list[dict] = []  # payments into the cash-out exchange's deposit addresses
        self.held: list[dict] = []

    def person(self, chain) -> str:
        a = self.mk.address(chain)
        self.people.add((chain, a))
        return a


def _evasion(book: Book, svc: Services, mk: Maker, case_id, names, plan) -> dict:
    """A sanctioned Russian exchange's customers after its designation: the exchange moves
    its balances to a successor's new wallets; customers withdraw there and move the money
    through three bridge designs, an instant-swap service, a DEX aggregator into the rouble
    stablecoin (settling a supplier abroad), a listed (later delisted) mixer, and P2P sellers'
    and money mules' deposits at a large exchange."""
    ev = _Evasion(book, svc, mk, case_id, names, plan)
    rng = ev.rng
    span = book.end - book.start
    designated = book.start + int(span * rng.uniform(0.28, 0.36))
    ev.report = book.end - rng.randrange(int(1.6 * 86_400), int(2.4 * 86_400))
    _exchange_before(ev, designated)
    migration = _migrate(ev, designated + rng.randrange(6 * 3_600, 30 * 3_600))
    t_paths = int(migration[-1]["time"]) + rng.randrange(3_600, 6 * 3_600)
    window = (t_paths, ev.report - 8 * 3_600)
    facts = {
        "bridges": {k: _bridge_path(ev, k, window) for k in ("lock", "burn", "intent")},
        "instant_swap": _swap_path(ev, window),
        "aggregator": _aggregator_path(ev, window),
        "drops": _drops_path(ev, window),
    }
    facts["mixer"] = _mixer_path(ev, facts["instant_swap"])
    late = _after_report(ev)
    check(int(late["time"]) < book.end, "the case must end inside the window")
    book.scripted |= ev.people
    _no_negative(_rows_of(book, ev.first_row),
                 {p for p in ev.people if p not in ev.exchange_wallets}, case_id)  # fmt: skip
    listings = _designate(ev, designated, migration)
    return _evasion_files(ev, designated, migration, facts, late, listings)


def _exchange_before(ev: _Evasion, designated: int) -> None:
    """The sanctioned exchange before its designation: a float, customers' deposits swept in."""
    book, mv, rng = ev.book, ev.mv, ev.rng
    ev.s_wallets = {c: ev.person(c) for c in ("tron", "ethereum", "bsc")}
    ev.exchange_wallets = set(ev.s_wallets.items())
    ev.customers = {c: [ev.person(c) for _ in range(n)] for c, n in
                    (("tron", 5), ("ethereum", 2), ("bsc", 1))}  # fmt: skip
    for chain, wallet in ev.s_wallets.items():
        if chain != "tron":
            _gas(mv, chain, book.start + 20, wallet)
        mv.send(
            chain,
            book.start + 30,
            ZERO[chain],
            wallet,
            "USDT",
            rng.randrange(300, 900) * 10_000 * units_of(chain, "USDT"),
            method="mint",
            tx_from=wallet,
        )  # fmt: skip  (the float it held when the window opens)
    for chain, group in ev.customers.items():
        for who in group:
            t = (
                book.start
                + 2 * 86_400
                + rng.randrange(max(3_600, designated - book.start - 3 * 86_400))
            )
            units = rng.randrange(20, 400) * 1_000 * units_of(chain, "USDT")
            mv.send(chain, t - rng.randrange(3_600, 86_400), ev.svc.hot["Northmint"][chain], who,
                    "USDT", units)  # fmt: skip
            addr = mv.mk.address(chain)
            ev.people.add((chain, addr))
            mv.send(chain, t, who, addr, "USDT", units)
            if chain != "tron":  # the exchange tops its deposit address up with gas to sweep it
                native = NATIVE[chain][0]
                mv.send(chain, t + 300, ev.s_wallets[chain], addr, native,
                        units_of(chain, native) // 200)  # fmt: skip
            mv.send(chain, t + rng.randrange(1_800, 5 * 3_600), addr, ev.s_wallets[chain], "USDT",
                    units)  # fmt: skip
            if chain != "tron":
                _gas(mv, chain, t - 86_400, who)
    ev.t_designated = designated


def _migrate(ev: _Evasion, t: int) -> list[dict]:
    """After the designation the exchange empties its wallets into the successor's new ones
    (through one intermediate wallet in some cases); the issuer freezes the TRON wallet once
    most of it is gone, as Tether froze Garantex's in March 2025."""
    mv, rng = ev.mv, ev.rng
    ev.n_wallets = {c: [ev.person(c) for _ in range(n)] for c, n in ev.plan["successors"].items()}
    rows = []
    for chain, wallet in ev.s_wallets.items():
        held = _balance(ev.book, ev.first_row, chain, "USDT", wallet)
        keep = held * rng.randrange(4, 12) // 100 if chain == "tron" else 0
        targets = ev.n_wallets[chain]
        shares = _split(rng, held - keep, len(targets), units_of(chain, "USDT"))
        src, t_c = wallet, t + rng.randrange(0, 3 * 3_600)
        if ev.plan["via_migration_wallet"] and chain == "tron":
            hop = ev.person("tron")
            ev.migration_hop = hop
            rows.append(mv.send(chain, t_c, wallet, hop, "USDT", held - keep))
            src, t_c = hop, t_c + rng.randrange(1_800, 6 * 3_600)
        for k, (target, units) in enumerate(zip(targets, shares, strict=True)):
            rows.append(mv.send(chain, t_c + 600 * k, src, target, "USDT", units))
        if chain != "tron":
            _gas(mv, chain, t_c - 3_600, wallet)
            for target in targets:
                _gas(mv, chain, t_c, target)
    ev.freeze = ev.book.freeze(ev.mk, "tron", t + rng.randrange(8 * 3_600, 20 * 3_600),
                               ev.s_wallets["tron"])  # fmt: skip
    ev.frozen_units = {ev.s_wallets["tron"]: _balance(ev.book, ev.first_row, "tron", "USDT",
                                                      ev.s_wallets["tron"])}  # fmt: skip
    return rows


def _split(rng, total: int, n: int, unit: int) -> list[int]:
    cuts = [rng.uniform(0.5, 1.5) for _ in range(n)]
    parts = [int(total * c / sum(cuts)) // unit * unit for c in cuts[:-1]]
    return [*parts, total - sum(parts)]


def _balance(book, first_row, chain, asset, address) -> int:
    total = 0
    for r in book.rows[first_row:]:
        if r["chain"] == chain and r["asset"] == asset:
            total += int(r["value"]) * ((r["to"] == address) - (r["from"] == address))
    return total


def _withdraw(ev: _Evasion, chain: str, t: int, units_whole: int) -> tuple[str, dict]:
    """A customer takes their balance out of the successor's wallet on ``chain``."""
    who = ev.person(chain)
    src = ev.rng.choice(ev.n_wallets[chain])
    row = ev.mv.send(chain, t, src, who, "USDT", units_whole * units_of(chain, "USDT"))
    if chain != "tron":
        _gas(ev.mv, chain, t - 3_600, who)
    return who, row


def _t(ev, window, lo, hi) -> int:
    a, b = window
    return a + int((b - a) * lo) + ev.rng.randrange(max(1, int((b - a) * (hi - lo))))


def _bridge_path(ev: _Evasion, kind: str, window) -> dict:
    rng, mv = ev.rng, ev.mv
    src, dst = ev.plan[kind]
    t = _t(ev, window, 0.0, 0.35)
    who, out = _withdraw(ev, src, t, rng.randrange(30, 250) * 1_000 + rng.randrange(0, 999))
    to = ev.person(dst)
    units = int(out["value"])
    move = {"lock": mv.lock_release, "burn": mv.burn_mint, "intent": mv.intent}[kind]
    leg_in, leg_out = move(src, dst, t + rng.randrange(900, 4 * 3_600), who, to, units)
    design, evidence, name = DESIGNS[kind]
    fact = {
        "bridge": name, "design": design, "evidence": evidence, "customer": who,
        "reference": leg_in["bridge_ref"], "source_chain": src, "source_tx_hash": leg_in["tx_hash"],
        "source_base_units": leg_in["value"], "destination_chain": dst,
        "destination_tx_hash": leg_out["tx_hash"], "destination_address": to,
        "destination_base_units": leg_out["value"],
        "destination_decimals": TOKENS[(dst, "USDT")].decimals,
        "paid_by": leg_out["from"],
    }  # fmt: skip
    if dst != "tron":
        _gas(mv, dst, int(leg_out["time"]) + 60, to)
    # what the destination does next: cash out most at the exchange, keep the rest
    got = int(leg_out["value"])
    cash = got * rng.randrange(55, 85) // 100 // units_of(dst, "USDT") * units_of(dst, "USDT")
    t2 = int(leg_out["time"]) + rng.randrange(3_600, 12 * 3_600)
    pay, _ = mv.deposit(ev.plan["cashout"], dst, t2, to, "USDT", cash)
    ev.deposits.append(pay)
    return fact


def _swap_path(ev: _Evasion, window) -> dict:
    """A customer changes USDT into another chain's coin at Swapline; another order is held."""
    rng, mv = ev.rng, ev.mv
    src, dst, asset = ev.plan["swap"]
    t = _t(ev, window, 0.0, 0.12)
    denom, n_before, n_after = ev.plan["mixer"]
    need = denom * (n_before + n_after) * ev.book.usd("ETH", t) * 1.03  # the mixer's part
    who, out = _withdraw(ev, src, t, int(need) // 1_000 * 1_000 + rng.randrange(8, 60) * 1_000)
    to = ev.person(dst)
    order = mv.instant_swap(src, dst, t + rng.randrange(600, 3 * 3_600), who, to,
                            int(out["value"]), asset)  # fmt: skip
    hsrc, hdst, hasset = ev.plan["held"]
    t_h = _t(ev, window, 0.75, 0.95)
    who_h, out_h = _withdraw(ev, hsrc, t_h, rng.randrange(15, 90) * 1_000 + rng.randrange(1, 999))
    held = mv.instant_swap(hsrc, hdst, t_h + rng.randrange(600, 3_600), who_h, ev.person(hdst),
                           int(out_h["value"]), hasset, paid=False)  # fmt: skip
    ev.held.append(held["deposit"])
    return {
        "service": SWAPLINE, "customer": who, "deposit_tx_hash": order["deposit"]["tx_hash"],
        "deposit_address": order["deposit_address"], "payout_tx_hash": order["payout"]["tx_hash"],
        "payout_chain": dst, "payout_address": to, "payout_asset": asset,
        "payout_base_units": order["payout"]["value"], "held_customer": who_h,
        "held_deposit_tx_hash": held["deposit"]["tx_hash"], "held_chain": hsrc,
        "held_base_units": held["deposit"]["value"],
        "evidence": "timing and amount only: the service's order records link the legs",
    }  # fmt: skip


def _aggregator_path(ev: _Evasion, window) -> dict:
    """A customer swaps USDT into RUBX through Prism and settles a supplier's invoice abroad."""
    rng, mv = ev.rng, ev.mv
    t = _t(ev, window, 0.2, 0.5)
    who, out = _withdraw(ev, "ethereum", t, rng.randrange(50, 300) * 1_000)
    legs = mv.aggregate(t + rng.randrange(900, 3 * 3_600), who, int(out["value"]), to_rubx=True)
    got = int(legs[-1]["value"])
    supplier = ev.person("ethereum")
    share = rng.uniform(0.6, 0.9)
    pay = mv.send("ethereum", int(legs[0]["time"]) + rng.randrange(3_600, 20 * 3_600), who,
                  supplier, RUBX, int(got * share) // 10**6 * 10**6)  # fmt: skip
    return {
        "customer": who, "tx_hash": legs[0]["tx_hash"], "n_transfers": len(legs),
        "router": legs[0]["to"], "in_asset": "USDT", "in_base_units": legs[0]["value"],
        "out_asset": RUBX, "out_base_units": legs[-1]["value"],
        "settlement": {"tx_hash": pay["tx_hash"], "from": who, "to": supplier, "asset": RUBX,
                       "base_units": pay["value"], "rub": int(pay["value"]) / 10**6},
    }  # fmt: skip


def _mixer_path(ev: _Evasion, swap: dict) -> dict:
    """The ETH from the instant swap goes into the mixer's pool of one fixed size: some
    deposits before the mixer was delisted, some after."""
    rng, mv, book = ev.rng, ev.mv, ev.book
    denom, n_before, n_after = ev.plan["mixer"]
    holder = swap["payout_address"]
    delisted = book.start + (book.end - book.start) * 11 // 20  # economy_designations' date
    delist_day = START_TIME + (delisted - START_TIME) // 86_400 * 86_400
    paid = next(r for r in book.rows[ev.first_row :] if r["tx_hash"] == swap["payout_tx_hash"])
    eth = int(paid["value"]) - 3 * 10**17  # keep some for fees
    n = min(n_before + n_after, eth // (denom * 10**18))
    check(n == n_before + n_after, "the swap must pay enough ETH for the mixer deposits")
    check(
        int(paid["time"]) < delist_day - 2 * 3_600, "the first deposit must precede the delisting"
    )
    times = [int(paid["time"]) + rng.randrange(1_800, 3 * 3_600) + 900 * k for k in range(n_before)]
    t_after = max(delist_day + 86_400, int(paid["time"]) + 3_600)
    times += [t_after + rng.randrange(3_600, 20 * 3_600) + 1_800 * k for k in range(n_after)]
    check(max(times) < ev.report and max(times[:n_before]) < delist_day,
          "mixer deposits must fall on their side of the delisting, before the report")  # fmt: skip
    rows = [mv.vortex_deposit(t, holder, denom) for t in times]
    return {
        "pool": rows[0]["to"], "denomination_eth": denom, "depositor": holder,
        "deposits": [{"tx_hash": r["tx_hash"], "time": int(r["time"]),
                      "listed_at_time": int(r["time"]) < delist_day} for r in rows],
        "delisted": date_text(delist_day),
    }  # fmt: skip


def _drops_path(ev: _Evasion, window) -> dict:
    """Cash-out: a customer pays P2P sellers' and money mules' ('drops'') accounts, each of
    which pays its own deposit address at the large exchange."""
    rng, mv = ev.rng, ev.mv
    t = _t(ev, window, 0.3, 0.6)
    who, out = _withdraw(ev, "tron", t, rng.randrange(60, 240) * 1_000)
    n = rng.randrange(*ev.plan["drops"])
    drops = [ev.person("tron") for _ in range(n)]
    parts = _split(rng, int(out["value"]), n, 10**6)
    deposits = []
    for k, (drop, units) in enumerate(zip(drops, parts, strict=True)):
        t_k = t + rng.randrange(1_800, 8 * 3_600) + 600 * k
        mv.send("tron", t_k, who, drop, "USDT", units)
        pay, _ = mv.deposit(ev.plan["cashout"], "tron", t_k + rng.randrange(1_800, 10 * 3_600), drop,
                            "USDT", units)  # fmt: skip
        deposits.append(pay)
    ev.deposits += deposits
    return {"customer": who, "drops": drops, "deposit_addresses": [d["to"] for d in deposits],
            "deposit_tx_hashes": [d["tx_hash"] for d in deposits]}  # fmt: skip


def _after_report(ev: _Evasion) -> dict:
    """A successor wallet moves USDT after the report: balances must be taken at report time."""
    wallet = ev.n_wallets["tron"][0]
    held = _balance(ev.book, ev.first_row, "tron", "USDT", wallet)
    return ev.mv.send("tron", ev.report + ev.rng.randrange(3_600, 10 * 3_600), wallet,
                      ev.person("tron"), "USDT", held // 3 // 10**6 * 10**6)  # fmt: skip


def _designate(ev: _Evasion, designated: int, migration: list[dict]) -> list[dict]:
    """What the lists record: the sanctioned exchange's wallets (OFAC and UK on the day, the
    EU and Ukraine's NSDC days later), one successor wallet (the UK and NSDC, once it is
    known; the others are found only by tracing)."""
    rng, book = ev.rng, ev.book
    s_addrs = sorted(ev.s_wallets.items())
    day = date_text(designated)
    later = designated + rng.randrange(2, 6) * 86_400
    nsdc = designated + rng.randrange(1, 8) * 86_400
    n_listed = [("tron", ev.n_wallets["tron"][-1])]
    n_day = int(migration[-1]["time"]) + rng.randrange(3, 5) * 86_400
    check(n_day < ev.report - 86_400, "the successor's listing must precede the report")
    out = [
        designation(
            ev.sanctioned,
            s_addrs,
            ["OFAC", "UK"],
            day,
            ["TRAIN-RUSSIA-EO14024"],
            [f"{ev.sanctioned} Exchange"],
        ),  # fmt: skip
        designation(
            ev.sanctioned,
            s_addrs,
            ["EU"],
            date_text(later),
            ["TRAIN-EU-833/2014"],
            [f"{ev.sanctioned} Exchange"],
        ),  # fmt: skip
        designation(
            ev.sanctioned,
            s_addrs,
            ["NSDC"],
            date_text(nsdc),
            ["TRAIN-UA-NSDC"],
            [f"{ev.sanctioned} Exchange"],
        ),  # fmt: skip
        designation(
            ev.successor,
            n_listed,
            ["UK", "NSDC"],
            date_text(n_day),
            ["TRAIN-RUSSIA"],
            [f"{ev.successor} Exchange"],
        ),  # fmt: skip
    ]
    book.designations += out
    book.tags += [(a, ev.sanctioned, "exchange", {"tron": "TRX", "ethereum": "ETH",
                                                  "bsc": "BNB"}[c]) for c, a in s_addrs]  # fmt: skip
    return out


def file_holding(holders: dict, unfreezable: list, chain: str, asset: str, who: str, units: int):
    """File one token balance under its issuer (who can freeze it) or, when the token's contract
    has no blacklist, among what nobody can freeze; both lists hold the same item shape."""
    token = TOKENS[(chain, asset)]
    item = {"chain": chain, "address": who, "asset": asset, "base_units": str(units),
            "decimals": token.decimals}  # fmt: skip
    if token.blacklist:
        holders.setdefault(token.issuer, []).append(item)
    else:
        unfreezable.append({**item, "issuer": token.issuer,
                            "why": "the token's contract has no blacklist"})  # fmt: skip


def _holders_at_report(ev: _Evasion) -> tuple[dict, dict]:
    """Who could still freeze what at the report time, in USD and UAH."""
    book, report = ev.book, ev.report
    rows = [r for r in book.rows[ev.first_row :] if r["time"] <= report]
    balance: dict[tuple, int] = {}
    for r in rows:
        for who, sign in ((r["to"], 1), (r["from"], -1)):
            if (r["chain"], who) in ev.people:
                key = (r["chain"], r["asset"], who)
                balance[key] = balance.get(key, 0) + sign * int(r["value"])
    frozen = {ev.s_wallets["tron"]}
    holders: dict[str, list] = {}
    unfreezable: list[dict] = []
    for (chain, asset, who), units in sorted(balance.items()):
        if units <= 0 or asset == NATIVE[chain][0] or who in frozen:
            continue
        if any(d["to"] == who for d in ev.deposits + ev.held):
            continue  # deposit addresses: counted under the exchange or service below
        file_holding(holders, unfreezable, chain, asset, who, units)
    for pay in ev.deposits:
        if pay["time"] <= report:
            holders.setdefault(ev.plan["cashout"], []).append(
                {"chain": pay["chain"], "address": pay["to"], "asset": pay["asset"],
                 "base_units": pay["value"], "decimals": pay["decimals"]})  # fmt: skip
    for pay in ev.held:
        holders.setdefault(SWAPLINE, []).append(
            {"chain": pay["chain"], "address": pay["to"], "asset": pay["asset"],
             "base_units": pay["value"], "decimals": pay["decimals"]})  # fmt: skip
    out = {}
    for holder, items in sorted(holders.items()):
        usd = sum((fiat(book, i["chain"], i["asset"], int(i["base_units"]), report)[0]
                   for i in items), Decimal(0))  # fmt: skip
        uah = usd * Decimal(str(book.rates["uah_per_usd"][book.day(report)]))
        out[holder] = {"usd": _cents(usd), "uah": _cents(uah), "items": items}
    check({TETHER, RUBX_ISSUER, SWAPLINE, ev.plan["cashout"]} <= set(out),
          f"every kind of holder must hold something at the report: {sorted(out)}")  # fmt: skip
    return out, {"items": unfreezable}


def _exposure(ev: _Evasion, listings: list[dict], facts: dict) -> list[dict]:
    """Every listed address the case's money touched, with each list's dates."""
    from .crosschain import economy_designations

    touched = {(r["chain"], r["to"]) for r in ev.book.rows[ev.first_row :]}
    touched |= {(r["chain"], r["from"]) for r in ev.book.rows[ev.first_row :]}
    touched |= {(r["chain"], r["contract"]) for r in ev.book.rows[ev.first_row :] if r["contract"]}
    out = []
    for rec in listings + economy_designations(ev.book, ev.svc):
        for chain, addr in rec["addresses"]:
            if (chain, addr) in touched:
                for name in rec["lists"]:
                    out.append({"chain": chain, "address": addr, "entity": rec["entity"],
                                "list": name, "listed": rec["listed"],
                                "delisted": rec["delisted"]})  # fmt: skip
    return sorted(out, key=lambda e: (e["entity"], e["address"], e["list"], e["listed"]))


def _evasion_files(ev, designated, migration, facts, late, listings) -> dict:
    book = ev.book
    holders, unfreezable = _holders_at_report(ev)
    customers = sorted({facts["bridges"][k]["customer"] for k in facts["bridges"]}
                       | {facts["instant_swap"]["customer"], facts["instant_swap"]["held_customer"],
                          facts["aggregator"]["customer"], facts["drops"]["customer"]})  # fmt: skip
    chain_of = {a: c for c, a in ev.people}
    successor = sorted(a for group in ev.n_wallets.values() for a in group)
    brief = {
        "case_id": ev.case_id,
        "title": EVASION_TITLE.format(exchange=ev.sanctioned),
        "typology": "sanctions_evasion",
        "brief": EVASION_BRIEF.format(exchange=ev.sanctioned, designated=date_text(designated)),
        "reported": {
            "sanctioned_exchange": ev.sanctioned,
            "designated": date_text(designated),
            "exchange_wallets": [[c, a] for c, a in sorted(ev.s_wallets.items())],
            "customers": [[chain_of[a], a] for a in customers],
            "report_time": ev.report,
            "report_date": date_text(ev.report),
        },
    }
    report_day = book.day(ev.report)
    truth = {
        "sanctioned_exchange": ev.sanctioned,
        "designated": date_text(designated),
        "successor": ev.successor,
        "successor_wallets": successor,
        "successor_wallets_by_chain": {c: sorted(g) for c, g in ev.n_wallets.items()},
        "migration_tx_hashes": [r["tx_hash"] for r in migration],
        "migration_wallet": getattr(ev, "migration_hop", None),
        "frozen_at_report": {a: str(v) for a, v in ev.frozen_units.items()},
        "freeze_tx_hash": ev.freeze["tx_hash"],
        "bridges": {DESIGNS[k][0]: v for k, v in facts["bridges"].items()},
        "instant_swap": facts["instant_swap"],
        "aggregator": facts["aggregator"],
        "settlement": facts["aggregator"]["settlement"],
        "mixer": facts["mixer"],
        "cashout": {"exchange": ev.plan["cashout"], **facts["drops"]},
        "exposure": _exposure(ev, listings, facts),
        "report_time": ev.report,
        "report_date": date_text(ev.report),
        "uah_per_usd": book.rates["uah_per_usd"][report_day],
        "freezable_at_report": holders,
        "freezable_usd": {h: v["usd"] for h, v in holders.items()},
        "freezable_uah": {h: v["uah"] for h, v in holders.items()},
        "not_freezable_at_report": unfreezable["items"],
        "moved_after_report_tx_hash": late["tx_hash"],
    }
    check(BSC_PEG not in holders, "the BSC peg cannot blacklist: never a freeze holder")
    return {"brief": brief, "truth": truth}
