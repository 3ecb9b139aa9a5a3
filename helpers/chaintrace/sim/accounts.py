"""The older account ledger: TRON USDT, a swap pool, the Arcway bridge, issuer freezes, ``stablecoin-01``;
the 2026 economy on top of it is :mod:`chaintrace.sim.crosschain`.

Everything here draws from its own RNG (``chaintrace-accounts-<seed>``), so the Bitcoin chain,
the tags, the sanctions lists and the older cases stay byte-identical when this module changes.

>>> tron_address(bytes(20))
'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb'
>>> [r["asset"] for r in swap_rows(random.Random(1), 0, "0xA", "0xP", 1_000_000_000, 3_000.0)]
['USDT', 'ETH']
"""

import random

import yaml

from ..encoding import b58check_encode, keccak256
from .briefs import STABLECOIN_BRIEF, STABLECOIN_TITLE
from .calendar import START_TIME, date_text
from .extras import ETH_START_BLOCK, eip55

TRON_START_BLOCK = 59_990_000  # about 2024-02-29 on TRON mainnet; 3-second blocks
USDT_ETH = "0xdAC17F958D2ee523a2206206994597C13D831ec7"  # the public USDT contracts
USDT_TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
POOL_FEE = 0.003  # a constant-product pool's 0.3% fee
BRIDGE_FLAT, BRIDGE_RATE = 1_000_000, 0.001  # 1 USDT plus 0.1% per crossing (base units)
BRIDGE_NAME, POOL_NAME = "Arcway Bridge", "Meridian Swap USDT/ETH pool"
TRON_EXCHANGE = "Northmint"


def tron_address(body: bytes) -> str:
    """Base58Check of 0x41 + a 20-byte account hash: a TRON ``T...`` address."""
    return b58check_encode(b"\x41" + body)


class _Make:
    """Address and hash makers on one RNG."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def eth(self) -> str:
        return eip55(keccak256(self.rng.randbytes(64))[-20:].hex())

    def tron(self) -> str:
        return tron_address(keccak256(self.rng.randbytes(64))[-20:])

    def hash(self, chain: str) -> str:
        digest = keccak256(self.rng.randbytes(32)).hex()
        return "0x" + digest if chain == "ethereum" else digest


def _row(mk, chain, t, frm, to, asset, value, tx=None, log_index=0, ref="") -> dict:
    rng = mk.rng
    if chain == "ethereum":
        gas = 21_000 if asset == "ETH" else rng.randrange(46_000, 65_000)
        fee_wei, fee_sun = str(gas * int(rng.lognormvariate(3.2, 0.5) * 10**9)), None
        block = ETH_START_BLOCK + (t - START_TIME) // 12
    else:  # TRON: a USDT transfer burns TRX for energy when the sender has none staked
        fee_wei, fee_sun = None, str(rng.choice([13_844_700, 27_255_900]))
        block = TRON_START_BLOCK + (t - START_TIME) // 3
    return {
        "chain": chain,
        "tx_hash": tx or mk.hash(chain),
        "log_index": log_index,
        "block": block,
        "time": t,
        "from": frm,
        "to": to,
        "asset": asset,
        "value": str(int(value)),
        "decimals": 18 if asset == "ETH" else 6,
        "fee_wei": fee_wei,
        "fee_sun": fee_sun,
        "bridge_ref": ref,
    }


def swap_rows(rng, t, trader, pool, usdt_units: int, eth_usd: float) -> list[dict]:
    """USDT in, ETH out, in one transaction: two rows sharing a ``tx_hash``."""
    mk = _Make(rng)
    tx = mk.hash("ethereum")
    wei = int(usdt_units / 10**6 * (1 - POOL_FEE) / eth_usd * rng.uniform(0.996, 1.0) * 10**18)
    leg_in = _row(mk, "ethereum", t, trader, pool, "USDT", usdt_units, tx, 0)
    leg_out = _row(mk, "ethereum", t, pool, trader, "ETH", wei, tx, 1)
    leg_out["fee_wei"] = leg_in["fee_wei"]  # one transaction, one fee, paid by the trader
    return [leg_in, leg_out]


def bridge_fee(units: int) -> int:
    """What the bridge keeps from a crossing of ``units`` (USDT base units).

    >>> bridge_fee(10_000_000_000)
    11000000
    """
    return BRIDGE_FLAT + int(units * BRIDGE_RATE)


def _prices(rng, n_days: int) -> tuple[list[float], list[float], list[float]]:
    eth, trx, usdt = [3_380.0], [0.138], []
    for _ in range(n_days - 1):
        eth.append(eth[-1] * (1 + rng.gauss(0.004, 0.03)))
        trx.append(trx[-1] * (1 + rng.gauss(0.0, 0.02)))
    usdt = [round(1 + rng.gauss(0, 0.0004), 4) for _ in range(n_days)]
    return eth, trx, usdt


def prices_csv(rng, n_days: int) -> tuple[bytes, list[float]]:
    """Daily closes in USD of ETH, TRX and USDT (``account/prices.csv``) and the ETH series."""
    eth, trx, usdt = _prices(rng, n_days)
    lines = ["date,eth_usd,trx_usd,usdt_usd"] + [
        f"{date_text(START_TIME + 86_400 * d)},{eth[d]:.2f},{trx[d]:.4f},{usdt[d]:.4f}"
        for d in range(n_days)
    ]
    return ("\n".join(lines) + "\n").encode(), eth, usdt


class Ledger:
    """The rows, actors and freezes being built."""

    def __init__(self, seed, eco, actors):
        self.mk = _Make(random.Random(f"chaintrace-accounts-{seed}"))
        self.rng = self.mk.rng
        self.start, self.end = START_TIME, eco.times[-1]
        self.btc_cases = eco.cases  # the Bitcoin halves of cross-chain cases (capstone-01)
        self.n_days = (self.end - START_TIME) // 86_400 + 1
        self.rows: list[dict] = []
        self.freezes: list[dict] = []
        mk = self.mk
        self.eth_users = [mk.eth() for _ in range(40)]
        self.tron_users = [mk.tron() for _ in range(90)]
        self.pool, self.bridge_eth, self.bridge_tron = mk.eth(), mk.eth(), mk.tron()
        self.hot = {"Northmint": mk.tron(), "Kupolex": mk.tron()}
        self.eth_hot = {k: actors[k][0] for k in ("Northmint", "Kupolex")}
        self.deposits: dict[tuple[str, str], str] = {}
        self.next_ref = 41_000 + self.rng.randrange(900)

    def t(self, lo=0.0, hi=1.0) -> int:
        span = self.end - self.start
        return self.start + int(span * lo) + self.rng.randrange(int(span * (hi - lo)))

    def add(self, *args, **kw) -> dict:
        row = _row(self.mk, *args, **kw)
        self.rows.append(row)
        return row

    def deposit_address(self, exchange: str, customer: str) -> str:
        return self.deposits.setdefault((exchange, customer), self.mk.tron())

    def deposit(self, t, customer, exchange, units) -> tuple[dict, dict]:
        """A customer pays their deposit address; the exchange sweeps it to its hot wallet."""
        addr = self.deposit_address(exchange, customer)
        pay = self.add("tron", t, customer, addr, "USDT", units)
        sweep = self.add("tron", t + self.rng.randrange(1_800, 6 * 3_600), addr,
                         self.hot[exchange], "USDT", units)  # fmt: skip
        return pay, sweep

    def bridge(self, t, frm, to, units, from_chain) -> tuple[dict, dict]:
        """Lock on one chain, release (minus the fee) on the other, one reference for both."""
        ref = f"ARC-{self.next_ref:07d}"
        self.next_ref += self.rng.randrange(1, 40)  # others' crossings fall between
        to_chain = "tron" if from_chain == "ethereum" else "ethereum"
        vault_in = self.bridge_eth if from_chain == "ethereum" else self.bridge_tron
        vault_out = self.bridge_tron if from_chain == "ethereum" else self.bridge_eth
        lock = self.add(from_chain, t, frm, vault_in, "USDT", units, ref=ref)
        delay = self.rng.randrange(120, 900)
        release = self.add(to_chain, t + delay, vault_out, to, "USDT", units - bridge_fee(units),
                           ref=ref)  # fmt: skip
        return lock, release

    def usdt(self, lo=5.5, sd=1.5) -> int:
        return int(round(self.rng.lognormvariate(lo, sd), 2) * 10**6)


ZERO = {"ethereum": "0x" + "0" * 40, "tron": tron_address(bytes(20))}  # mints come from here


def _opening(led: Ledger) -> None:
    """Balances the window opens with: services' float minted by the issuer, pool liquidity,
    and each user's first withdrawal from an exchange, so that balances stay above zero."""
    rng, t = led.rng, led.start + 60
    services = [("tron", a) for a in (*led.hot.values(), led.bridge_tron)]
    services += [("ethereum", a) for a in (*led.eth_hot.values(), led.bridge_eth, led.pool)]
    for chain, addr in services:
        led.add(chain, t, ZERO[chain], addr, "USDT", rng.randrange(20, 60) * 10**11)
    led.provider = led.mk.eth()  # the pool's liquidity provider: a person, funded like one
    led.add("ethereum", t, led.provider, led.pool, "ETH", rng.randrange(1_500, 2_500) * 10**18)
    for chain, users, hot in (("tron", led.tron_users, led.hot), ("ethereum", led.eth_users,
                                                                     led.eth_hot)):  # fmt: skip
        for user in users:
            source = hot[rng.choice(list(hot))]
            led.add(
                chain, t + rng.randrange(3_600, 86_400), source, user, "USDT", led.usdt(9.5, 0.4)
            )


def _background(led: Ledger, eth_usd: list[float]) -> None:
    rng = led.rng
    _opening(led)
    for _ in range(420):  # TRON USDT between people, withdrawals, deposits
        t, r = led.t(0.05, 0.98), rng.random()
        if r < 0.45:
            a, b = rng.sample(led.tron_users, 2)
            led.add("tron", t, a, b, "USDT", led.usdt())
        elif r < 0.7:
            ex = rng.choice(list(led.hot))
            led.add("tron", t, led.hot[ex], rng.choice(led.tron_users), "USDT", led.usdt(6.5))
        else:
            ex = rng.choices(list(led.hot), weights=[3, 1])[0]
            led.deposit(t, rng.choice(led.tron_users), ex, led.usdt(6.5))
    for _ in range(60):  # crossings in both directions
        t = led.t(0.05, 0.97)
        if rng.random() < 0.6:
            led.bridge(t, rng.choice(led.eth_users), rng.choice(led.tron_users), led.usdt(7.5, 1.2),
                       "ethereum")  # fmt: skip
        else:
            led.bridge(t, rng.choice(led.tron_users), rng.choice(led.eth_users), led.usdt(7.5, 1.2),
                       "tron")  # fmt: skip
    for _ in range(45):  # swaps by others, both ways
        t = led.t(0.05, 0.98)
        day, user = (t - START_TIME) // 86_400, rng.choice(led.eth_users)
        legs = swap_rows(rng, t, user, led.pool, led.usdt(7.0, 1.3), eth_usd[day])
        if rng.random() < 0.4:  # ETH -> USDT: the same two legs the other way round
            legs = [{**legs[1], "log_index": 0, "from": user, "to": led.pool},
                    {**legs[0], "log_index": 1, "from": led.pool, "to": user}]  # fmt: skip
        led.rows += legs
    for _ in range(70):  # Ethereum USDT and ETH among the newer users
        a, b = rng.sample(led.eth_users, 2)
        asset = "USDT" if rng.random() < 0.7 else "ETH"
        value = led.usdt() if asset == "USDT" else int(rng.lognormvariate(-1.0, 1.5) * 10**18)
        led.add("ethereum", led.t(0.05, 0.98), a, b, asset, value)
    _other_freezes(led)


def _top_up(led: Ledger, old: list[dict], users: set[tuple], services: set[tuple]) -> None:
    """Fund people so that no balance dips below zero: a bigger first withdrawal, or an opening
    one at the window's start (their history before the window is not in the ledger, but it was
    never negative). ``users``: ``(chain, address)`` of people; ``services`` get the USDT they
    pay out minted to them by the issuer (their ETH before the window stays outside it)."""
    _fund(led, old, users, services=False)
    _fund(led, old, services, services=True)  # after the people: they withdraw from services


def _fund(led: Ledger, old: list[dict], users: set[tuple], services: bool) -> None:
    low: dict[tuple, int] = {}
    running: dict[tuple, int] = {}
    for r in sorted(old + led.rows, key=lambda r: (r["time"], r["chain"], r["tx_hash"])):
        moves = [((r["chain"], r["asset"], r["to"]), int(r["value"])),
                 ((r["chain"], r["asset"], r["from"]), -int(r["value"]))]  # fmt: skip
        if r["fee_wei"] and r["log_index"] == 0:  # the sender pays the fee in ETH
            moves.append(((r["chain"], "ETH", r["from"]), -int(r["fee_wei"])))
        for key, delta in moves:
            if (key[0], key[2]) in users:
                running[key] = running.get(key, 0) + delta
                low[key] = min(low.get(key, 0), running[key])
    first: dict[tuple, dict] = {}
    for r in led.rows:  # the opening withdrawals _opening made
        first.setdefault((r["chain"], r["asset"], r["to"]), r)
    for key in sorted(k for k, v in low.items() if v < 0):
        chain, asset, who = key
        margin = led.usdt(7.0, 0.5) if asset == "USDT" else int(led.rng.uniform(0.05, 0.5) * 1e18)
        row = first.get(key)
        if services:
            if asset == "USDT":
                led.add(chain, led.start, ZERO[chain], who, asset, -low[key] + margin)
        elif row is not None and row["from"] in (*led.hot.values(), *led.eth_hot.values()):
            row["value"] = str(int(row["value"]) - low[key] + margin)
        else:
            source = led.hot["Northmint"] if chain == "tron" else led.eth_hot["Northmint"]
            led.add(chain, led.start + 1, source, who, asset, -low[key] + margin)


def _other_freezes(led: Ledger) -> None:
    """Scam addresses reported elsewhere: they receive, are blacklisted, never send again."""
    rng = led.rng
    for i in range(7):
        chain = "tron" if i < 5 else "ethereum"
        addr = led.mk.tron() if chain == "tron" else led.mk.eth()
        users = led.tron_users if chain == "tron" else led.eth_users
        t = led.t(0.05, 0.6)
        for k in range(rng.randrange(2, 6)):
            led.add(chain, t + k * rng.randrange(3_600, 40_000), rng.choice(users), addr, "USDT",
                    led.usdt(8.0, 1.0))  # fmt: skip
        _freeze(led, chain, t + 5 * 40_000 + rng.randrange(86_400 * 3), addr)
    # one removal: an exchange's address blacklisted in error and cleared two days later
    t, customer = led.t(0.2, 0.5), led.mk.tron()
    addr = led.deposit_address("Kupolex", customer)
    units = led.usdt(8.0, 0.5)
    led.add("tron", t - 86_400, led.hot["Northmint"], customer, "USDT", units + led.usdt(3.0, 0.5))
    led.add("tron", t - 3_600, customer, addr, "USDT", units)
    _freeze(led, "tron", t, addr)
    cleared = _freeze(led, "tron", t + 2 * 86_400 + rng.randrange(3_600), addr,
                      event="RemovedBlackList")  # fmt: skip
    led.add("tron", cleared["time"] + 600, addr, led.hot["Kupolex"], "USDT",
            led.rows[-1]["value"])  # fmt: skip


def _freeze(led: Ledger, chain: str, t: int, address: str, event="AddedBlackList") -> dict:
    block = (ETH_START_BLOCK + (t - START_TIME) // 12 if chain == "ethereum"
             else TRON_START_BLOCK + (t - START_TIME) // 3)  # fmt: skip
    row = {"chain": chain, "tx_hash": led.mk.hash(chain), "block": block, "time": t,
           "address": address, "asset": "USDT", "event": event}  # fmt: skip
    led.freezes.append(row)
    return row


# ---------------------------------------------------------------------------- stablecoin-01
def _case(led: Ledger, eth_usd: list[float], usdt_usd: list[float]) -> dict:
    """A pig-butchering victim pays USDT on Ethereum; the scammer swaps a part to ETH, bridges
    the rest to TRON, splits, consolidates and cashes out at an exchange's deposit address."""
    rng, mk = led.rng, led.mk
    victim, scam, gas = mk.eth(), mk.eth(), mk.eth()
    t1, t2, t3, t4, t5, t6 = (mk.tron() for _ in range(6))
    t0 = led.t(0.5, 0.55)
    day = (t0 - START_TIME) // 86_400
    amount = rng.randrange(52, 96) * 1_000 * 10**6 + rng.choice([0, 500, 250]) * 10**6
    buy = led.add("ethereum", t0 - rng.randrange(86_400, 2 * 86_400), led.eth_hot["Northmint"],
                  victim, "USDT", amount + rng.randrange(1, 2_000) * 10**6)  # fmt: skip
    led.add("ethereum", t0 - 86_400, gas, scam, "ETH", int(rng.uniform(0.03, 0.06) * 10**18))
    pay = led.add("ethereum", t0, victim, scam, "USDT", amount)
    swapped = int(amount * rng.uniform(0.18, 0.3)) // 10**6 * 10**6
    t = t0 + rng.randrange(1_800, 3_600)
    swap = swap_rows(rng, t, scam, led.pool, swapped, eth_usd[(t - START_TIME) // 86_400])
    led.rows += swap
    lock, release = led.bridge(t + rng.randrange(900, 2_400), scam, t1, amount - swapped,
                               "ethereum")  # fmt: skip
    # someone else crosses a similar amount minutes apart: matching by amount alone is weak
    near = int(lock["time"]) + rng.choice([-1, 1]) * rng.randrange(120, 900)
    similar = int((amount - swapped) * rng.uniform(0.985, 1.015)) // 10**6 * 10**6
    led.bridge(near, rng.choice(led.eth_users), rng.choice(led.tron_users), similar, "ethereum")
    got = int(release["value"])
    cuts = [rng.uniform(0.2, 0.3), rng.uniform(0.2, 0.3), rng.uniform(0.15, 0.25)]
    parts = [int(got * c) for c in cuts]
    parts.append(got - sum(parts))
    t = int(release["time"]) + rng.randrange(2 * 3_600, 5 * 3_600)
    splits = [led.add("tron", t + 60 * k, t1, dst, "USDT", v)
              for k, (dst, v) in enumerate(zip((t2, t3, t4, t6), parts, strict=True))]  # fmt: skip
    t = t + 86_400 + rng.randrange(3_600)
    merges = [led.add("tron", t, t2, t5, "USDT", parts[0]),
              led.add("tron", t + rng.randrange(300, 1_800), t3, t5, "USDT", parts[1])]  # fmt: skip
    at_t5 = parts[0] + parts[1]
    cash = int(at_t5 * rng.uniform(0.6, 0.75)) // 10**6 * 10**6
    deposit, sweep = led.deposit(t + rng.randrange(3_600, 3 * 3_600), t5, TRON_EXCHANGE, cash)
    freeze = _freeze(led, "tron", int(sweep["time"]) + rng.randrange(86_400, 36 * 3_600), t4)
    report = int(freeze["time"]) + rng.randrange(86_400, 2 * 86_400)
    late_dep, _ = led.deposit(
        report + rng.randrange(3 * 3_600, 20 * 3_600), t6, TRON_EXCHANGE, parts[3]
    )  # fmt: skip  after the report: balances change later
    assert late_dep["time"] < led.end, "the case must end inside the dataset's span"
    return {
        "victim": victim, "scam": scam, "gas": gas, "buy": buy, "pay": pay, "swap": swap,
        "lock": lock, "release": release, "tron": [t1, t2, t3, t4, t5, t6], "splits": splits,
        "merges": merges, "deposit": deposit, "sweep": sweep, "freeze": freeze, "report": report,
        "late_deposit": late_dep, "usd": usdt_usd[day], "holding": {t5: at_t5 - cash, t6: parts[3]},
        "frozen": {t4: parts[2]},
    }  # fmt: skip


def case_files(c: dict, deposit_entity: str = TRON_EXCHANGE) -> dict:
    """The ``stablecoin-01`` brief and truth (plain values: no :class:`Ref` to resolve)."""
    pay, (swap_in, swap_out), lock, release = c["pay"], c["swap"], c["lock"], c["release"]
    t1, t2, t3, t4, t5, t6 = c["tron"]
    brief = {
        "case_id": "stablecoin-01",
        "title": STABLECOIN_TITLE[1],
        "typology": "scam",
        "brief": STABLECOIN_BRIEF[1],
        "reported": {
            "victim_address": c["victim"],
            "deposit_address": c["scam"],
            "platform": "Lunaria Markets",
            "date": date_text(int(pay["time"])),
            "asset": "USDT",
            "chain": "ethereum",
            "amount_usdt": round(int(pay["value"]) / 10**6, -3),
            "report_time": c["report"],
        },
    }
    truth = {
        "victim_tx_hash": pay["tx_hash"],
        "value_base_units": pay["value"],
        "decimals": 6,
        "usdt_usd": c["usd"],
        "value_usd": round(int(pay["value"]) / 10**6 * c["usd"], 2),
        "gas_funder": c["gas"],
        "swap_tx_hash": swap_in["tx_hash"],
        "swap_usdt_base_units": swap_in["value"],
        "swap_eth_wei": swap_out["value"],
        "pool": swap_in["to"],
        "bridge_ref": lock["bridge_ref"],
        "bridge_lock_tx_hash": lock["tx_hash"],
        "bridge_lock_base_units": lock["value"],
        "bridge_release_tx_hash": release["tx_hash"],
        "bridge_release_base_units": release["value"],
        "tron_address": t1,
        "split_addresses": [t2, t3, t4, t6],
        "consolidation_address": t5,
        "exchange": deposit_entity,
        "exchange_deposit_address": c["deposit"]["to"],
        "cashout_tx_hash": c["deposit"]["tx_hash"],
        "cashout_base_units": c["deposit"]["value"],
        "frozen": {a: str(v) for a, v in c["frozen"].items()},
        "freeze_tx_hash": c["freeze"]["tx_hash"],
        "report_time": c["report"],
        "freezable_at_report": {a: str(v) for a, v in c["holding"].items()},
        "freezable_base_units": str(sum(c["holding"].values())),
        "moved_after_report_tx_hash": c["late_deposit"]["tx_hash"],
    }
    return {"brief": brief, "truth": truth}


def tags_yaml(led: Ledger, end_time: int, more: list[tuple] = ()) -> bytes:
    """A TagPack for the account chains: contracts, bridge vaults, exchange hot wallets, and
    ``more`` ``(address, label, category, currency)`` (the 2026 services, all "ownership" or
    "service_data" as the older ones)."""
    rows = [
        (USDT_ETH, "Tether USDT (ERC-20 contract)", "service", "ETH", "ownership"),
        (USDT_TRON, "Tether USDT (TRC-20 contract)", "service", "TRX", "ownership"),
        (led.pool, POOL_NAME, "defi_dex", "ETH", "ownership"),
        (led.bridge_eth, f"{BRIDGE_NAME}: Ethereum vault", "defi_bridge", "ETH", "ownership"),
        (led.bridge_tron, f"{BRIDGE_NAME}: TRON vault", "defi_bridge", "TRX", "ownership"),
        (led.hot["Northmint"], "Northmint", "exchange", "TRX", "service_data"),
        (led.hot["Kupolex"], "Kupolex", "exchange", "TRX", "service_data"),
        (led.eth_hot["Northmint"], "Northmint", "exchange", "ETH", "service_data"),
        (led.eth_hot["Kupolex"], "Kupolex", "exchange", "ETH", "service_data"),
    ] + [(a, label, cat, cur, "service_data" if cat == "exchange" else "ownership")
         for a, label, cat, cur in more]  # fmt: skip
    tags = [{"address": a, "label": label, "category": cat, "currency": cur, "confidence": conf,
             "source": f"https://tags.example.org/{cat}/{label.split(':')[0].lower().replace(' ', '-')}"}
            for a, label, cat, cur, conf in rows]  # fmt: skip
    header = {
        "title": "Training attribution tags, account chains (chaintrace course dataset)",
        "creator": "chaintrace course team",
        "description": "Contracts and service wallets only: deposit addresses are not tagged.",
        "lastmod": date_text(end_time),
        "is_public": True,
        "tags": tags,
    }
    return yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000).encode()


FREEZE_COLUMNS = ("chain", "tx_hash", "block", "time", "address", "asset", "event")


def freezes_csv(freezes: list[dict]) -> bytes:
    """Issuer blacklist events, in time order."""
    rows = sorted(freezes, key=lambda r: (r["time"], r["tx_hash"]))
    lines = [",".join(FREEZE_COLUMNS)] + [",".join(str(r[k]) for k in FREEZE_COLUMNS) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def extend(eco, seed, eth_rows: list[dict], actors: dict, with_case: bool = True):
    """The whole account-model ledger: the older Ethereum rows, everything above, and the
    2026 economy of :mod:`chaintrace.sim.crosschain` (its own RNG: nothing above changes).

    Returns ``(rows, files, case, xchain)``: the rows in time order, the other ``account/``
    files (prices, rates, tokens, freezes, tags), the ``stablecoin-01`` case dict (None
    without cases) and ``xchain``: ``{"cases": {case_id: {"brief", "truth"}}, "designations":
    [designation records]}`` (see :func:`chaintrace.sim.crosschain.designation`).
    """
    from . import crosschain

    led = Ledger(seed, eco, actors)
    prices, eth_usd, usdt_usd = prices_csv(led.rng, led.n_days)
    _background(led, eth_usd)
    case = _case(led, eth_usd, usdt_usd) if with_case else None
    old = [{"chain": "ethereum", "log_index": 0, **r, "fee_sun": None, "bridge_ref": ""}
           for r in eth_rows]  # fmt: skip
    services = {a for group in actors.values() for a in group}
    people = {("tron", u) for u in led.tron_users} | {("ethereum", u) for u in led.eth_users}
    people |= {("ethereum", r["from"]) for r in old if r["from"] not in services}
    people.add(("ethereum", led.provider))
    if case:
        people |= {("ethereum", case["victim"]), ("ethereum", case["gas"])}
    mine = [("tron", a) for a in (*led.hot.values(), led.bridge_tron)]
    mine += [("ethereum", a) for a in (led.bridge_eth, led.pool)]
    _top_up(led, old, people, {("ethereum", a) for a in services} | set(mine))
    _newer_columns(old + led.rows, {led.bridge_eth, led.bridge_tron})
    new_rows, files, cases, designations, freezes, tags = crosschain.build(
        seed, led, old + led.rows, actors, prices, with_case
    )
    rows = sorted(
        old + led.rows + new_rows,
        key=lambda r: (r["time"], r["chain"], r["tx_hash"], r["log_index"]),
    )
    files["account/freezes.csv"] = freezes_csv(led.freezes + freezes)
    files["account/tags.yaml"] = tags_yaml(led, eco.times[-1], tags)
    return rows, files, case, {"cases": cases, "designations": designations}


def _newer_columns(rows: list[dict], vaults: set[str]) -> None:
    """The columns the 2026 ledger added, filled in for the older rows: the token ``contract``,
    the transaction's sender ``tx_from`` (who paid the fee) and the called ``method``."""
    sender = {r["tx_hash"]: r["from"] for r in rows if r["log_index"] == 0}
    legs: dict[str, int] = {}
    for r in rows:
        legs[r["tx_hash"]] = legs.get(r["tx_hash"], 0) + 1
    for r in rows:
        r["contract"] = "" if r["asset"] == "ETH" else (USDT_ETH if r["chain"] == "ethereum"
                                                        else USDT_TRON)  # fmt: skip
        r["tx_from"] = sender.get(r["tx_hash"], r["from"])
        if r["bridge_ref"]:
            r["method"] = "lock" if r["to"] in vaults else "release"
        elif legs[r["tx_hash"]] > 1:
            r["method"] = "swap"
        elif r["from"] == ZERO[r["chain"]]:
            r["method"] = "mint"
        else:
            r["method"] = "transfer"
