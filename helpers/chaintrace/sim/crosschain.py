"""The account-chain economy of 2026: a third chain, a rouble stablecoin, three bridge designs,
a custodial instant-swap service, a DEX aggregator, a fixed-denomination mixer, address
poisoning, official exchange rates, and the sanctions designations all of it implies.

Everything here draws from its own RNG (``chaintrace-xchain-<seed>``; each case from
``chaintrace-xchain-<seed>/<case id>/<attempt>``, :mod:`chaintrace.sim.xcases`), so the Bitcoin
chain, the older account rows and ``stablecoin-01`` stay byte-identical when this module changes,
and a case changes nothing in another case's truth.

Modelled on public cases (sources in the datasheet, ``datasets/README.md``):

- BNB Smart Chain, where USDT ("Binance-Peg BSC-USD") has 18 decimals and is backed by a
  custodian rather than issued by Tether: its contract has no blacklist;
- a rouble-backed stablecoin (``RUBX``, after A7A5) with its own issuer, able to freeze;
- lock-and-release (Arcway, :mod:`chaintrace.sim.accounts`), burn-and-mint (Mintlane, after
  Circle's CCTP and OFT-style USDT0) and intent (Relaya, after Across: a relayer pays the
  destination from its own funds and is refunded later in batches);
- a custodial instant-swap service (Swapline), a DEX aggregator (Prism) routing one swap
  through two pools, a mixer with fixed deposit sizes (Vortex Cash, after Tornado Cash), and
  address poisoning (a look-alike address sending zero-value transfers into a victim's history).

>>> mk = Maker(random.Random(1))
>>> fake = mk.lookalike("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
>>> fake[:8].lower() == "0x5aaeb6", fake[-4:].lower() == "eaed", fake != "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
(True, True, True)
>>> TOKENS[("bsc", "USDT")].decimals, TOKENS[("tron", "USDT")].decimals
(18, 6)
"""

import random
from dataclasses import dataclass

from ..encoding import keccak256
from .accounts import (
    TRON_START_BLOCK,
    USDT_ETH,
    USDT_TRON,
    ZERO,
    Ledger,
    tron_address,
)
from .calendar import START_TIME, date_text
from .extras import ETH_START_BLOCK, eip55

BSC_START_BLOCK = 36_730_000  # about 2024-02-29 on BNB Smart Chain; 3-second blocks
USDT_BSC = "0x55d398326f99059fF775485246999027B3197955"  # Binance-Peg BSC-USD (18 decimals)
ZERO = {**ZERO, "bsc": "0x" + "0" * 40}
SLOTS = {
    "ethereum": (ETH_START_BLOCK, 12),
    "tron": (TRON_START_BLOCK, 3),
    "bsc": (BSC_START_BLOCK, 3),
}
NATIVE = {"ethereum": ("ETH", 18), "tron": ("TRX", 6), "bsc": ("BNB", 18)}
RUBX = "RUBX"
RUBX_ISSUER = "Tengri Vector LLC"
TETHER = "Tether"
BSC_PEG = "Binance (BSC-USD peg custodian)"


def _fixed_evm(label: str) -> str:
    return eip55(keccak256(b"chaintrace contract " + label.encode())[-20:].hex())


@dataclass(frozen=True)
class Token:
    """A token contract on one chain: what ``decimals`` it declares, who issues it, and whether
    its contract lets the issuer blacklist an address (freeze it)."""

    chain: str
    asset: str
    contract: str
    decimals: int
    issuer: str
    blacklist: bool


TOKENS = {
    ("ethereum", "USDT"): Token("ethereum", "USDT", USDT_ETH, 6, TETHER, True),
    ("tron", "USDT"): Token("tron", "USDT", USDT_TRON, 6, TETHER, True),
    ("bsc", "USDT"): Token("bsc", "USDT", USDT_BSC, 18, BSC_PEG, False),
    ("ethereum", RUBX): Token("ethereum", RUBX, _fixed_evm("RUBX ethereum"), 6, RUBX_ISSUER, True),
    ("tron", RUBX): Token(
        "tron",
        RUBX,
        tron_address(keccak256(b"chaintrace contract RUBX tron")[-20:]),
        6,
        RUBX_ISSUER,
        True,
    ),  # fmt: skip
}

# the services of the economy, by name (addresses are drawn per seed)
MINTLANE, RELAYA, SWAPLINE, PRISM, VORTEX = (
    "Mintlane", "Relaya", "Swapline", "Prism Aggregator", "Vortex Cash",
)  # fmt: skip
ALTAMIRA = "Altamira"  # a second large exchange, on all three chains
VORTEX_DENOMINATIONS = (1, 10, 100)  # ETH, as Tornado Cash's 0.1/1/10/100 ETH pools
MINTLANE_FEE = 0  # burn-and-mint: what is burnt is minted (the fee is paid in gas)
RELAYA_FEE = (0.0005, 0.002)  # an intent's relayer fee, share of the amount
SWAPLINE_FEE = (0.005, 0.01)  # instant swap: spread plus fee
VORTEX_RELAYER_FEE = 0.003


def units_of(chain: str, asset: str) -> int:
    """Base units per whole token on ``chain`` (read from the contract's ``decimals``).

    >>> units_of("bsc", "USDT") // units_of("tron", "USDT")
    1000000000000
    """
    native, decimals = NATIVE[chain]
    return 10 ** (decimals if asset == native else TOKENS[(chain, asset)].decimals)


class Maker:
    """Addresses, hashes and look-alikes on one RNG."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def evm(self) -> str:
        return eip55(keccak256(self.rng.randbytes(64))[-20:].hex())

    def tron(self) -> str:
        return tron_address(keccak256(self.rng.randbytes(64))[-20:])

    def address(self, chain: str) -> str:
        return self.tron() if chain == "tron" else self.evm()

    def hash(self, chain: str) -> str:
        digest = keccak256(self.rng.randbytes(32)).hex()
        return digest if chain == "tron" else "0x" + digest

    def lookalike(self, target: str, head: int = 6, tail: int = 4) -> str:
        """An EVM address sharing ``target``'s first ``head`` and last ``tail`` hex digits:
        what an address-poisoning scammer grinds keys for (here simply drawn)."""
        body = target[2:].lower()
        middle = self.rng.randbytes(20).hex()[: 40 - head - tail]
        return eip55(body[:head] + middle + body[-tail:])


def network_fee(rng: random.Random, chain: str, gas: int) -> str:
    """The transaction fee: wei of ETH or BNB on EVM chains, sun of TRX burnt on TRON."""
    if chain == "tron":
        return str(rng.choice([13_844_700, 27_255_900]))
    price = int(rng.lognormvariate(3.2, 0.5) * 10**9) if chain == "ethereum" else 3 * 10**9
    return str(gas * price)


def transfer(mk: Maker, chain, t, frm, to, asset, units, *, tx=None, log_index=0, ref="",
             method="transfer", tx_from=None, fee=None) -> dict:  # fmt: skip
    """One ledger row in the dataset's format (``account/transfers.parquet``)."""
    native, _ = NATIVE[chain]
    token = None if asset == native else TOKENS[(chain, asset)]
    if fee is None:
        fee = network_fee(
            mk.rng, chain, 21_000 if token is None else mk.rng.randrange(46_000, 65_000)
        )
    start, slot = SLOTS[chain]
    return {
        "chain": chain,
        "tx_hash": tx or mk.hash(chain),
        "log_index": log_index,
        "block": start + (t - START_TIME) // slot,
        "time": t,
        "from": frm,
        "to": to,
        "asset": asset,
        "value": str(int(units)),
        "decimals": NATIVE[chain][1] if token is None else token.decimals,
        "fee_wei": None if chain == "tron" else fee,
        "fee_sun": fee if chain == "tron" else None,
        "bridge_ref": ref,
        "contract": "" if token is None else token.contract,
        "tx_from": tx_from or frm,
        "method": method,
    }


def one_transaction(mk: Maker, chain, t, tx_from, legs, method, gas) -> list[dict]:
    """Several transfers in one transaction (``legs``: ``(from, to, asset, units)``), one fee,
    log indexes in order."""
    tx, fee = mk.hash(chain), network_fee(mk.rng, chain, gas)
    return [transfer(mk, chain, t, frm, to, asset, units, tx=tx, log_index=i, method=method,
                     tx_from=tx_from, fee=fee)
            for i, (frm, to, asset, units) in enumerate(legs)]  # fmt: skip


# ---------------------------------------------------------------------------- money
def _walk(rng, start, sd, n, drift=0.0) -> list[float]:
    out = [start]
    for _ in range(n - 1):
        out.append(out[-1] * (1 + rng.gauss(drift, sd)))
    return out


def fx_rates(rng: random.Random, n_days: int) -> dict[str, list[float]]:
    """Daily official rates: UAH per USD as the National Bank of Ukraine sets it (each
    business day; Saturdays and Sundays keep Friday's rate), EUR and RUB per USD."""
    uah, eur, rub = [], [], []
    u, e, r = 37.93, 0.9234, 91.13  # about the official rates of 2024-02-29
    for d in range(n_days):
        weekday = (3 + d) % 7  # 2024-02-29 was a Thursday (Monday = 0)
        if d and weekday < 5:
            u = u * (1 + rng.gauss(0.0002, 0.0025))
            e = e * (1 + rng.gauss(0.0, 0.003))
            r = r * (1 + rng.gauss(0.0, 0.005))
        uah.append(round(u, 4))
        eur.append(round(e, 4))
        rub.append(round(r, 4))
    return {"uah_per_usd": uah, "eur_per_usd": eur, "rub_per_usd": rub}


def rates_csv(rates: dict[str, list[float]]) -> bytes:
    """``account/rates.csv``: one row a day."""
    keys = list(rates)
    lines = ["date," + ",".join(keys)] + [
        date_text(START_TIME + 86_400 * d) + "," + ",".join(f"{rates[k][d]:.4f}" for k in keys)
        for d in range(len(rates[keys[0]]))
    ]
    return ("\n".join(lines) + "\n").encode()


def extend_prices(old: bytes, rng: random.Random, rates) -> tuple[bytes, dict[str, list[float]]]:
    """``account/prices.csv`` with BNB and RUBX beside ETH, TRX and USDT (USD closes)."""
    lines = old.decode().strip().split("\n")
    header, body = lines[0].split(","), [line.split(",") for line in lines[1:]]
    n = len(body)
    bnb = _walk(rng, 411.0, 0.035, n, drift=0.006)
    rubx = [1 / rates["rub_per_usd"][d] * (1 + rng.gauss(0, 0.0015)) for d in range(n)]
    out = [",".join([*header, "bnb_usd", "rubx_usd"])] + [
        ",".join([*row, f"{bnb[d]:.2f}", f"{rubx[d]:.6f}"]) for d, row in enumerate(body)
    ]
    cols = {k: [float(row[i]) for row in body] for i, k in enumerate(header) if k != "date"}
    cols.update(bnb_usd=[round(b, 2) for b in bnb], rubx_usd=[round(x, 6) for x in rubx])
    return ("\n".join(out) + "\n").encode(), cols


USD_COLUMN = {"ETH": "eth_usd", "TRX": "trx_usd", "USDT": "usdt_usd", "BNB": "bnb_usd",
              RUBX: "rubx_usd"}  # fmt: skip


class Book:
    """The rows, freezes, tags and designations of the 2026 economy being built."""

    def __init__(self, seed, led: Ledger, old_rows: list[dict], eth_actors: dict):
        self.seed = seed
        self.rng = random.Random(f"chaintrace-xchain-{seed}")
        self.mk = Maker(self.rng)
        self.led = led
        self.start, self.end = led.start, led.end
        self.n_days = led.n_days
        self.rows: list[dict] = []
        self.freezes: list[dict] = []
        self.tags: list[tuple] = []  # (address, label, category, currency)
        self.designations: list[dict] = []
        self.scripted: set[tuple] = set()  # (chain, address) whose balances a case keeps
        self.old_rows = old_rows
        self.eth_actors = eth_actors

    def day(self, t: int) -> int:
        return (t - START_TIME) // 86_400

    def t(self, lo=0.0, hi=1.0, rng=None) -> int:
        rng = rng or self.rng
        span = self.end - self.start
        return self.start + int(span * lo) + rng.randrange(max(1, int(span * (hi - lo))))

    def add(self, mk, *args, **kw) -> dict:
        row = transfer(mk, *args, **kw)
        self.rows.append(row)
        return row

    def add_tx(self, mk, *args, **kw) -> list[dict]:
        rows = one_transaction(mk, *args, **kw)
        self.rows += rows
        return rows

    def freeze(self, mk, chain, t, address, asset="USDT", event="AddedBlackList") -> dict:
        start, slot = SLOTS[chain]
        row = {"chain": chain, "tx_hash": mk.hash(chain), "block": start + (t - START_TIME) // slot,
               "time": t, "address": address, "asset": asset, "event": event}  # fmt: skip
        self.freezes.append(row)
        return row

    def usd(self, asset: str, t: int) -> float:
        return self.prices[USD_COLUMN[asset]][min(self.day(t), self.n_days - 1)]


# ---------------------------------------------------------------------------- services
class Services:
    """Addresses of the services every case and the background use."""

    def __init__(self, book: Book):
        mk, led = book.mk, book.led
        self.hot = {  # exchanges' hot wallets per chain
            "Northmint": {"tron": led.hot["Northmint"], "ethereum": led.eth_hot["Northmint"],
                          "bsc": mk.evm()},
            ALTAMIRA: {"tron": mk.tron(), "ethereum": mk.evm(), "bsc": mk.evm()},
        }  # fmt: skip
        self.arcway = {"ethereum": led.bridge_eth, "tron": led.bridge_tron}
        self.relaya_pool = {"ethereum": mk.evm(), "bsc": mk.evm()}  # the "spoke pools"
        self.relayers = [mk.evm() for _ in range(3)]  # one EOA on both EVM chains
        self.mintlane_executor = {c: mk.address(c) for c in ("ethereum", "tron", "bsc")}
        self.swapline = {"tron": mk.tron(), "ethereum": mk.evm(), "bsc": mk.evm()}
        self.prism_router = mk.evm()
        self.rubx_pools = [mk.evm(), mk.evm()]  # two USDT/RUBX pools on Ethereum
        self.bnb_pool = mk.evm()  # a USDT/BNB pool on BSC
        self.vortex = {d: mk.evm() for d in VORTEX_DENOMINATIONS}
        self.vortex_relayers = [mk.evm() for _ in range(2)]
        self.deposits: dict[tuple, str] = {}
        book.tags += [
            (USDT_BSC, "Binance-Peg BSC-USD (BEP-20 contract)", "service", "BNB"),
            (TOKENS[("ethereum", RUBX)].contract, f"{RUBX} token ({RUBX_ISSUER})", "service", "ETH"),
            (TOKENS[("tron", RUBX)].contract, f"{RUBX} token ({RUBX_ISSUER})", "service", "TRX"),
            (self.hot["Northmint"]["bsc"], "Northmint", "exchange", "BNB"),
            *[(a, ALTAMIRA, "exchange", _cur(c)) for c, a in self.hot[ALTAMIRA].items()],
            *[(a, f"{RELAYA}: spoke pool", "defi_bridge", _cur(c)) for c, a in self.relaya_pool.items()],
            *[(a, SWAPLINE, "exchange", _cur(c)) for c, a in self.swapline.items()],
            (self.prism_router, f"{PRISM}: router", "defi_dex", "ETH"),
            (self.rubx_pools[0], "Meridian Swap USDT/RUBX pool", "defi_dex", "ETH"),
            (self.rubx_pools[1], "Kama Swap USDT/RUBX pool", "defi_dex", "ETH"),
            (self.bnb_pool, "Lotus Swap USDT/BNB pool", "defi_dex", "BNB"),
            *[(a, f"{VORTEX}: {d} ETH pool", "mixing_service", "ETH") for d, a in self.vortex.items()],
        ]  # fmt: skip

    def deposit_address(self, mk: Maker, exchange: str, chain: str, customer: str) -> str:
        return self.deposits.setdefault((exchange, chain, customer), mk.address(chain))


def _cur(chain: str) -> str:
    return {"ethereum": "ETH", "tron": "TRX", "bsc": "BNB"}[chain]


# ---------------------------------------------------------------------------- primitives
class Moves:
    """What a case or the background can do, each leaving the evidence real ones leave."""

    def __init__(self, book: Book, svc: Services, mk: Maker):
        self.book, self.svc, self.mk, self.rng = book, svc, mk, mk.rng

    def send(self, chain, t, frm, to, asset, units, **kw) -> dict:
        return self.book.add(self.mk, chain, t, frm, to, asset, units, **kw)

    def deposit(self, exchange, chain, t, customer, asset, units, owner=None) -> tuple[dict, dict]:
        """Pay a deposit address issued to ``owner`` (default: the sender); the exchange sweeps
        it to its hot wallet within hours."""
        addr = self.svc.deposit_address(self.mk, exchange, chain, owner or customer)
        hot = self.svc.hot[exchange][chain]
        pay = self.send(chain, t, customer, addr, asset, units)
        t_sweep = t + self.rng.randrange(1_800, 6 * 3_600)
        if chain != "tron":  # the exchange sends the deposit address the gas its sweep costs
            native = NATIVE[chain][0]
            fee = network_fee(self.rng, chain, 60_000)
            self.send(chain, t_sweep - 60, hot, addr, native, int(fee) * 2)
            sweep = self.send(chain, t_sweep, addr, hot, asset, units, fee=fee)
        else:
            sweep = self.send(chain, t_sweep, addr, hot, asset, units)
        return pay, sweep

    def lock_release(self, src, dst, t, frm, to, units) -> tuple[dict, dict]:
        """Arcway: lock in the vault on ``src``, release minus 1 USDT + 0.1 % from the vault on
        ``dst``; both legs carry the deposit nonce (a shared reference)."""
        from .accounts import bridge_fee

        ref = f"ARC-{self.rng.randrange(100_000, 9_999_999):07d}"
        lock = self.send(src, t, frm, self.svc.arcway[src], "USDT", units, ref=ref, method="lock")
        out = self.send(dst, t + self.rng.randrange(120, 900), self.svc.arcway[dst], to, "USDT",
                        units - bridge_fee(units), ref=ref, method="release",
                        tx_from=self.svc.arcway[dst])  # fmt: skip
        return lock, out

    def burn_mint(self, src, dst, t, frm, to, units) -> tuple[dict, dict]:
        """Mintlane: burn on ``src`` (to the zero address), mint on ``dst`` (from it) once the
        attester has signed the burn message; both legs carry the message hash, and the mint's
        amount is the same number of tokens in the destination contract's decimals."""
        ref = self.mk.hash("ethereum")
        burn = self.send(src, t, frm, ZERO[src], "USDT", units, ref=ref, method="depositForBurn")
        whole = units * units_of(dst, "USDT") // units_of(src, "USDT")
        mint = self.send(
            dst,
            t + self.rng.randrange(60, 20 * 60),
            ZERO[dst],
            to,
            "USDT",
            whole,
            ref=ref,
            method="receiveMessage",
            tx_from=self.svc.mintlane_executor[dst],
        )  # fmt: skip  (it pays the gas)
        return burn, mint

    def intent(self, src, dst, t, frm, to, units, relayer=None) -> tuple[dict, dict]:
        """Relaya: the user deposits into the spoke pool on ``src`` with an order id; a relayer
        pays ``to`` on ``dst`` from its own funds seconds later, its fill naming the order id;
        the pool refunds the relayer later, in a batch without the order id."""
        relayer = relayer or self.rng.choice(self.svc.relayers)
        ref = self.mk.hash("ethereum")
        dep = self.send(src, t, frm, self.svc.relaya_pool[src], "USDT", units, ref=ref,
                        method="deposit")  # fmt: skip
        net = int(units * (1 - self.rng.uniform(*RELAYA_FEE)))
        whole = net * units_of(dst, "USDT") // units_of(src, "USDT")
        fill = self.send(dst, t + self.rng.randrange(5, 90), relayer, to, "USDT", whole, ref=ref,
                         method="fillRelay")  # fmt: skip
        self.book.intents.append((src, relayer, units, int(fill["time"])))
        return dep, fill

    def instant_swap(self, src, dst, t, frm, to, units, out_asset, paid=True) -> dict:
        """Swapline: a deposit address for this order on ``src``; the service pays ``to`` from
        its hot wallet on ``dst`` minutes later, in ``out_asset``, at the day's prices less its
        spread. No on-chain link between the legs: only the service's order records have it.
        ``paid=False``: the order is held (an AML check): the service sweeps the deposit in
        and pays nothing out; it holds the money."""
        addr = self.mk.address(src)
        self.book.people.add((src, addr))  # its sweep's gas: funded like a deposit address
        pay = self.send(src, t, frm, addr, "USDT", units)
        result = {"deposit": pay, "deposit_address": addr, "payout": None, "sweep": None}
        if not paid:
            result["sweep"] = self.send(src, t + self.rng.randrange(600, 2 * 3_600), addr,
                                        self.svc.swapline[src], "USDT", units)  # fmt: skip
            return result
        usd = units / units_of(src, "USDT") * self.book.usd("USDT", t)
        got = usd * (1 - self.rng.uniform(*SWAPLINE_FEE)) / self.book.usd(out_asset, t)
        t_out = t + self.rng.randrange(4 * 60, 35 * 60)
        result["payout"] = self.send(dst, t_out, self.svc.swapline[dst], to, out_asset,
                                     int(got * units_of(dst, out_asset)),
                                     tx_from=self.svc.swapline[dst])  # fmt: skip
        result["sweep"] = self.send(src, t_out + self.rng.randrange(600, 4 * 3_600), addr,
                                    self.svc.swapline[src], "USDT", units)  # fmt: skip
        return result

    def aggregate(self, t, trader, units, to_rubx=True) -> list[dict]:
        """Prism: one transaction, the router splitting the trade over two pools:
        trader -> router, router -> pool A, router -> pool B, pool A -> router,
        pool B -> router, router -> trader (six transfers, log indexes 0-5)."""
        router, (pa, pb) = self.svc.prism_router, self.svc.rubx_pools
        share = self.rng.uniform(0.35, 0.65)
        a_in = int(units * share)
        give, get = ("USDT", RUBX) if to_rubx else (RUBX, "USDT")
        usd_in = units / 10**6 * self.book.usd(give, t)
        rate = (1 - 0.003) * self.rng.uniform(0.994, 0.999) / self.book.usd(get, t)
        out_a = int(a_in / 10**6 * self.book.usd(give, t) * rate * 10**6)
        out_b = int(usd_in * rate * 10**6) - out_a
        legs = [(trader, router, give, units), (router, pa, give, a_in), (router, pb, give, units - a_in),
                (pa, router, get, out_a), (pb, router, get, out_b), (router, trader, get, out_a + out_b)]  # fmt: skip
        return self.book.add_tx(self.mk, "ethereum", t, trader, legs, method="swap",
                                gas=self.rng.randrange(180_000, 320_000))  # fmt: skip

    def pool_swap(self, t, trader, units) -> list[dict]:
        """Lotus Swap on BSC: USDT in, BNB out, one transaction."""
        bnb = int(
            units / 10**18 * 0.997 / self.book.usd("BNB", t) * self.rng.uniform(0.996, 1) * 10**18
        )
        legs = [(trader, self.svc.bnb_pool, "USDT", units), (self.svc.bnb_pool, trader, "BNB", bnb)]
        return self.book.add_tx(self.mk, "bsc", t, trader, legs, method="swap",
                                gas=self.rng.randrange(110_000, 160_000))  # fmt: skip

    def vortex_deposit(self, t, frm, denomination) -> dict:
        return self.send("ethereum", t, frm, self.svc.vortex[denomination], "ETH",
                         denomination * 10**18, method="deposit",
                         fee=network_fee(self.rng, "ethereum", self.rng.randrange(900_000, 1_100_000)))  # fmt: skip

    def vortex_withdraw(self, t, denomination, to) -> list[dict]:
        relayer = self.rng.choice(self.svc.vortex_relayers)
        fee = int(denomination * 10**18 * VORTEX_RELAYER_FEE)
        pool = self.svc.vortex[denomination]
        legs = [(pool, to, "ETH", denomination * 10**18 - fee), (pool, relayer, "ETH", fee)]
        return self.book.add_tx(self.mk, "ethereum", t, relayer, legs, method="withdraw",
                                gas=self.rng.randrange(300_000, 380_000))  # fmt: skip

    def usdt(self, chain, lo=6.5, sd=1.3) -> int:
        return int(round(self.rng.lognormvariate(lo, sd), 2) * 100) * units_of(chain, "USDT") // 100


# ---------------------------------------------------------------------------- background
def background(book: Book, svc: Services) -> None:
    """Everyday use of the 2026 services by people no case is about."""
    mk, rng = book.mk, book.rng
    mv = Moves(book, svc, mk)
    users = {c: [mk.address(c) for _ in range(n)] for c, n in (("bsc", 50), ("ethereum", 30),
                                                                ("tron", 40))}  # fmt: skip
    book.people |= {(c, a) for c, group in users.items() for a in group}
    for _ in range(220):  # BSC: USDT and BNB between people, exchange withdrawals and deposits
        t, r = book.t(0.02, 0.98), rng.random()
        if r < 0.5:
            a, b = rng.sample(users["bsc"], 2)
            mv.send("bsc", t, a, b, "USDT", mv.usdt("bsc"))
        elif r < 0.7:
            a, b = rng.sample(users["bsc"], 2)
            mv.send("bsc", t, a, b, "BNB", int(rng.lognormvariate(-1.5, 1.0) * 10**18))
        elif r < 0.85:
            ex = rng.choice(("Northmint", ALTAMIRA))
            mv.send(
                "bsc", t, svc.hot[ex]["bsc"], rng.choice(users["bsc"]), "USDT", mv.usdt("bsc", 7)
            )
        else:
            mv.deposit(rng.choice(("Northmint", ALTAMIRA)), "bsc", t, rng.choice(users["bsc"]),
                       "USDT", mv.usdt("bsc", 6.8))  # fmt: skip
    for _ in range(60):  # Altamira on TRON and Ethereum
        chain = rng.choice(("tron", "ethereum"))
        t = book.t(0.02, 0.98)
        if rng.random() < 0.5:
            mv.send(
                chain,
                t,
                svc.hot[ALTAMIRA][chain],
                rng.choice(users[chain]),
                "USDT",
                mv.usdt(chain, 7),
            )
        else:
            mv.deposit(ALTAMIRA, chain, t, rng.choice(users[chain]), "USDT", mv.usdt(chain, 6.8))
    routes = [("tron", "bsc"), ("bsc", "tron"), ("ethereum", "bsc"), ("bsc", "ethereum"),
              ("tron", "ethereum"), ("ethereum", "tron")]  # fmt: skip
    for _ in range(45):  # Mintlane crossings
        src, dst = rng.choice(routes)
        mv.burn_mint(src, dst, book.t(0.03, 0.96), rng.choice(users[src]), rng.choice(users[dst]),
                     mv.usdt(src, 7.5, 1.1))  # fmt: skip
    for _ in range(45):  # Relaya intents between the EVM chains
        src, dst = rng.choice([("ethereum", "bsc"), ("bsc", "ethereum")])
        mv.intent(src, dst, book.t(0.03, 0.96), rng.choice(users[src]), rng.choice(users[dst]),
                  mv.usdt(src, 7.2, 1.1))  # fmt: skip
    for _ in range(40):  # Swapline orders, every pair of chains, some paid in the native coin
        src, dst = rng.choice(routes)
        out = rng.choice(["USDT", "USDT", NATIVE[dst][0]]) if dst != "tron" else "USDT"
        mv.instant_swap(src, dst, book.t(0.03, 0.96), rng.choice(users[src]), rng.choice(users[dst]),
                        mv.usdt(src, 7.0, 1.0), out)  # fmt: skip
    _rubx_background(book, mv, users)
    _vortex_background(book, mv, users)
    _poisoning_background(book, mv, users)
    for _ in range(25):  # swaps to BNB on BSC
        mv.pool_swap(book.t(0.03, 0.97), rng.choice(users["bsc"]), mv.usdt("bsc", 6.5))


def _rubx_background(book, mv, users) -> None:
    """RUBX: the issuer mints to two trading desks against rouble deposits; they sell it to
    people, who settle invoices with it; aggregator swaps both ways."""
    rng, mk = book.rng, book.mk
    desks = {c: [mk.address(c) for _ in range(2)] for c in ("tron", "ethereum")}
    book.people |= {(c, a) for c, group in desks.items() for a in group}
    for chain, group in desks.items():
        for desk in group:
            for _ in range(rng.randrange(2, 5)):
                mv.send(chain, book.t(0.0, 0.9), ZERO[chain], desk, RUBX,
                        rng.randrange(20, 90) * 10**6 * 10**6, method="mint",
                        tx_from=desk)  # fmt: skip
    for _ in range(70):
        chain = rng.choice(("tron", "ethereum"))
        t = book.t(0.1, 0.98)
        amount = int(rng.lognormvariate(13.0, 1.0)) * 10**6  # roubles
        if rng.random() < 0.5:
            mv.send(chain, t, rng.choice(desks[chain]), rng.choice(users[chain]), RUBX, amount)
        else:
            a, b = rng.sample(users[chain], 2)
            mv.send(chain, t, a, b, RUBX, amount // 3)
    for _ in range(30):
        t = book.t(0.05, 0.97)
        user = rng.choice(users["ethereum"])
        mv.aggregate(t, user, mv.usdt("ethereum", 7.5, 1.0), to_rubx=True)


def _vortex_background(book, mv, users) -> None:
    rng = book.rng
    pending: list[tuple[int, int]] = []
    for _ in range(50):
        d = rng.choices(VORTEX_DENOMINATIONS, weights=[5, 4, 1])[0]
        t = book.t(0.02, 0.9)
        mv.vortex_deposit(t, rng.choice(users["ethereum"]), d)
        pending.append((t, d))
    for t, d in pending[: int(len(pending) * 0.8)]:  # others withdraw later to fresh addresses
        t_out = t + rng.randrange(3_600, 5 * 86_400)
        if t_out < book.end:  # later ones fall after the window
            mv.vortex_withdraw(t_out, d, book.mk.evm())


def _poisoning_background(book, mv, users) -> None:
    """Victims paying a regular counterparty get a look-alike's zero-value transfers."""
    rng = book.rng
    for chain in ("ethereum", "bsc", "bsc"):
        victim, partner = rng.sample(users[chain], 2)
        poison(book, mv, chain, victim, partner, book.t(0.1, 0.7), fall=False)


def poison(book, mv, chain, victim, partner, t, fall: bool, amount=None) -> dict:
    """Address poisoning: ``victim`` pays ``partner``; seconds later a look-alike of ``partner``
    appears in the victim's history (a zero-value ``transferFrom`` the scammer sends, and a
    dust transfer). If ``fall``, the victim's next payment goes to the look-alike."""
    rng, mk = mv.rng, mv.mk
    scammer, fake = mk.evm(), mk.lookalike(partner)
    book.people.add((chain, scammer))  # funded like anyone in the background
    first = mv.send(chain, t, victim, partner, "USDT", amount or mv.usdt(chain, 7.5, 0.6))
    t1 = int(first["time"]) + rng.randrange(20, 300)
    dust_units = units_of(chain, "USDT") // 1000 * rng.randrange(1, 9)
    native = NATIVE[chain][0]
    mv.send(chain, t1 - 10, scammer, fake, native, units_of(chain, native) // 1000)  # its gas
    mv.send(chain, t1 - 5, scammer, fake, "USDT", dust_units)
    zero = mv.send(chain, t1, victim, fake, "USDT", 0, method="transferFrom", tx_from=scammer)
    dust = mv.send(chain, t1 + rng.randrange(30, 600), fake, victim, "USDT", dust_units)
    out = {"partner": partner, "fake": fake, "scammer": scammer, "first": first, "zero": zero,
           "dust": dust, "paid": None}  # fmt: skip
    if fall:
        t2 = int(dust["time"]) + rng.randrange(86_400 // 2, 3 * 86_400)
        out["paid"] = mv.send(chain, t2, victim, fake, "USDT", amount or int(first["value"]))
    return out


def refunds(book: Book, mk: Maker) -> None:
    """Relaya's batched refunds: every few hours the spoke pool repays each relayer what it
    fronted (plus its fee), with no order id: a fill is linked by its own reference only."""
    rng = mk.rng
    batches: dict[tuple, int] = {}
    step = 6 * 3_600
    for src, relayer, units, t in sorted(book.intents, key=lambda x: (x[3], x[1])):
        key = (src, relayer, (t // step + 1) * step + rng.randrange(600, 3_000))
        batches[key] = batches.get(key, 0) + units
    for (src, relayer, t), units in sorted(batches.items()):
        if t < book.end:
            book.add(mk, src, t, book.svc.relaya_pool[src], relayer, "USDT", units,
                     method="executeRelayerRefundLeaf", tx_from=relayer)  # fmt: skip


# ---------------------------------------------------------------------------- balances
def balances_low(rows: list[dict], who: set[tuple]) -> dict[tuple, int]:
    """Lowest running balance of each ``(chain, asset, address)`` for the addresses ``who``
    (``(chain, address)``), fees in the native coin charged once per transaction to its sender."""
    low: dict[tuple, int] = {}
    running: dict[tuple, int] = {}
    charged: set[tuple] = set()
    for r in sorted(rows, key=lambda r: (r["time"], r["chain"], r["tx_hash"], r["log_index"])):
        chain = r["chain"]
        moves = [((chain, r["asset"], r["to"]), int(r["value"])),
                 ((chain, r["asset"], r["from"]), -int(r["value"]))]  # fmt: skip
        payer = r.get("tx_from") or r["from"]
        if r["fee_wei"] and (chain, r["tx_hash"]) not in charged:
            charged.add((chain, r["tx_hash"]))
            moves.append(((chain, NATIVE[chain][0], payer), -int(r["fee_wei"])))
        for key, delta in moves:
            if (key[0], key[2]) in who:
                running[key] = running.get(key, 0) + delta
                low[key] = min(low.get(key, 0), running[key])
    return low


def fund(book: Book, rows: list[dict], people: set[tuple], services: set[tuple]) -> None:
    """Opening balances so nobody in the background goes below zero: people withdraw from an
    exchange at the window's start (their history before it is not in the ledger); services
    get their token float minted (their native coin before the window stays outside it)."""
    mk, rng = book.mk, book.rng
    low = balances_low(rows, people | services)
    for key in sorted(k for k, v in low.items() if v < 0):
        chain, asset, who = key
        margin = (rng.randrange(50, 500) * units_of(chain, asset) if asset not in ("ETH", "BNB")
                  else rng.randrange(5, 50) * units_of(chain, asset) // 100)  # fmt: skip
        units = -low[key] + margin
        if (chain, who) in services:
            if asset != NATIVE[chain][0]:
                book.add(mk, chain, book.start, ZERO[chain], who, asset, units, method="mint",
                         tx_from=who)  # fmt: skip
        elif asset == RUBX:
            book.add(mk, chain, book.start + 2, ZERO[chain], who, asset, units, method="mint",
                     tx_from=who)  # fmt: skip
        else:
            book.add(mk, chain, book.start + 1, book.svc.hot["Northmint"][chain], who, asset, units)


# ---------------------------------------------------------------------------- designations
def designation(entity, addresses, lists, listed, programs, aliases=(), delisted=None) -> dict:
    """One listing action: ``entity`` listed on ``lists`` on ``listed`` (and ``delisted`` on
    that date, or None). ``addresses``: ``[(chain, address), ...]``.

    >>> designation("X", [("tron", "T...")], ["UK"], "2024-03-10", ["TRAIN-RUSSIA"])["lists"]
    ['UK']
    """
    return {"entity": entity, "addresses": [tuple(a) for a in addresses], "lists": list(lists),
            "listed": listed, "delisted": delisted, "programs": list(programs),
            "aliases": list(aliases)}  # fmt: skip


def economy_designations(book: Book, svc: Services) -> list[dict]:
    """Listings not tied to one case: the mixer (listed before the window, delisted inside it,
    as Tornado Cash was on 2025-03-21) and the rouble stablecoin's issuer with its contracts."""
    delist = date_text(book.start + (book.end - book.start) * 11 // 20)
    mixer = [("ethereum", a) for a in svc.vortex.values()]
    issuer = [(c, TOKENS[(c, RUBX)].contract) for c in ("ethereum", "tron")]
    first = date_text(book.start + (book.end - book.start) // 6)
    return [
        designation(VORTEX, mixer, ["OFAC"], "2022-08-08", ["TRAIN-CYBER"], ["Vortex"], delist),
        designation(RUBX_ISSUER, issuer, ["UK"], first, ["TRAIN-RUSSIA"], [f"{RUBX} issuer"]),
        designation(
            RUBX_ISSUER,
            issuer,
            ["OFAC", "EU"],
            date_text(book.end - 4 * 86_400),
            ["TRAIN-RUSSIA-EO14024"],
            [f"{RUBX} issuer"],
        ),  # fmt: skip
    ]


DESIGNATION_FIELDS = ("entity", "addresses", "lists", "listed", "delisted", "programs", "aliases")


def build(seed, led: Ledger, old_rows: list[dict], eth_actors: dict, prices_bytes: bytes,
          with_cases: bool = True):  # fmt: skip
    """The 2026 economy on top of the older ledger: returns ``(rows, files, cases,
    designations, freezes, tags)``. ``files``: ``account/prices.csv`` (extended),
    ``account/rates.csv``, ``account/tokens.csv``."""
    from . import xcases

    book = Book(seed, led, old_rows, eth_actors)
    book.people, book.intents = set(), []
    rates = fx_rates(book.rng, book.n_days)
    prices, book.prices = extend_prices(prices_bytes, book.rng, rates)
    book.rates = rates
    svc = book.svc = Services(book)
    background(book, svc)
    cases = xcases.all_cases(book, svc) if with_cases else {}
    refunds(book, Maker(random.Random(f"chaintrace-xchain-{seed}/refunds")))
    services = {(c, a) for group in (svc.relaya_pool, svc.swapline) for c, a in group.items()}
    services |= {(c, r) for r in svc.relayers for c in ("ethereum", "bsc")}
    services |= {(c, a) for ex in svc.hot.values() for c, a in ex.items()}
    services |= {("ethereum", a) for a in (svc.prism_router, *svc.rubx_pools)}
    services |= {("bsc", svc.bnb_pool)} | {(c, a) for c, a in svc.arcway.items()}
    services |= {("ethereum", a) for a in (*svc.vortex.values(), *svc.vortex_relayers)}
    deposit_addrs = {(c, a) for (_, c, _), a in svc.deposits.items()}
    people = (book.people | deposit_addrs) - book.scripted - services
    fund_book = Maker(random.Random(f"chaintrace-xchain-{seed}/funding"))
    book.mk, book.rng = fund_book, fund_book.rng
    fund(book, old_rows + book.rows, people, set())  # people first: they withdraw from services
    fund(book, old_rows + book.rows, set(), services - book.scripted)
    files = {
        "account/prices.csv": prices,
        "account/rates.csv": rates_csv(rates),
        "account/tokens.csv": tokens_csv(),
    }
    designations = economy_designations(book, svc) + book.designations
    return book.rows, files, cases, designations, book.freezes, book.tags


TOKEN_COLUMNS = ("chain", "asset", "contract", "decimals", "issuer", "blacklist")


def tokens_csv() -> bytes:
    """``account/tokens.csv``: every token contract, its decimals, issuer and whether the
    issuer can blacklist an address."""
    lines = [",".join(TOKEN_COLUMNS)] + [
        ",".join(str(getattr(tok, k)).lower() if k == "blacklist" else str(getattr(tok, k))
                 for k in TOKEN_COLUMNS)
        for tok in TOKENS.values()
    ]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()
