"""Account-model chains (Ethereum, TRON, BNB Smart Chain): transfers, traces across swaps and
bridges, freezes.

An account chain keeps balances, not coins: a transfer moves an exact amount from one account to
another, with no change and no inputs to link. Tracing follows an amount to the next transfers
out of the account that received it; a *swap* (one asset in, another out in one transaction,
through a pool or an aggregator's router) and a *bridge* crossing (the two legs carry the same
``bridge_ref``: a deposit nonce, an attested message hash or an intent's order id; see
:mod:`chaintrace.crossing`) are followed through. Amounts are read with each row's own
``decimals``: USDT has 6 on Ethereum and TRON but 18 on BNB Smart Chain. A token's issuer can
blacklist an address holding it ("freeze") only if its contract has a blacklist (Tether's USDT
does; the BNB Smart Chain peg of USDT does not); nobody can blacklist native ETH, BNB or TRX.

>>> ledger = load_transfers()
>>> sorted(ledger["chain"].unique())
['bsc', 'ethereum', 'tron']
>>> row = ledger[(ledger["asset"] == "USDT") & (ledger["chain"] == "bsc")].iloc[0]
>>> row["units"] == int(row["value"]), bool(row["amount"] == row["units"] / 10**18)
(True, True)
"""

from __future__ import annotations

import re

import pandas as pd

from .address import parse_address
from .dataset import as_dataset
from .errors import ChaintraceError

__all__ = [
    "AccountError",
    "account_key",
    "load_transfers",
    "load_freezes",
    "prepare",
    "counterparties",
    "trace_transfers",
    "freeze_points",
    "load_tokens",
    "custodian_of",
    "freezable",
    "freezable_by_holder",
]

# who issues the public USDT contracts and whether it can blacklist an address; a dataset's
# account/tokens.csv (load_tokens) says so for every token it holds
DEFAULT_TOKENS = {
    ("ethereum", "USDT"): ("Tether", True),
    ("tron", "USDT"): ("Tether", True),
    ("bsc", "USDT"): ("Binance (BSC-USD peg custodian)", False),
}
NATIVE = {"ethereum": "ETH", "bsc": "BNB", "tron": "TRX"}
ISSUED = frozenset({"USDT"})  # kept for older code: tokens some issuer can blacklist
_HASH = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_TRACE_COLUMNS = ["hop", "via", "chain", "tx_hash", "log_index", "time", "from", "to", "asset",
                  "amount", "units", "bridge_ref", "evidence"]  # fmt: skip


class AccountError(ChaintraceError, ValueError):
    """Input the account tools cannot use; the message says what is wrong and what to do."""


def account_key(address: str) -> str:
    """The form an account address is matched under: Ethereum in lower case, TRON as written.

    EIP-55 mixed case is only a checksum: ``0xAbc...`` and ``0xabc...`` are one account. TRON
    Base58 is case-sensitive, and a TRON address in hex (``41...``) is turned into ``T...``.

    >>> account_key("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'
    >>> account_key("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'
    >>> account_key("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    Traceback (most recent call last):
    ...
    chaintrace.account.AccountError: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq is a Bitcoin address; the account tools take Ethereum (0x...) or TRON (T...) addresses. Trace Bitcoin with chaintrace.trace_forward / trace_backward.
    """
    text = str(address).strip()
    if _HASH.match(text):
        raise AccountError(
            f"{text} is a transaction hash (64 hex digits), not an account address. Pass it as "
            "`start` to trace_transfers, or give the address the transfer came from or went to."
        )
    parsed = parse_address(text)
    if parsed.chain == "bitcoin":
        raise AccountError(
            f"{text} is a Bitcoin address; the account tools take Ethereum (0x...) or TRON "
            "(T...) addresses. Trace Bitcoin with chaintrace.trace_forward / trace_backward."
        )
    return parsed.text.lower() if parsed.chain == "ethereum" else parsed.text


def _keys(column: pd.Series) -> pd.Series:
    """:func:`account_key` of a whole column, without re-validating every row."""
    is_eth = column.str.startswith("0x")
    return column.where(~is_eth, column.str.lower())


# --------------------------------------------------------------------------- loading
def load_transfers(dataset=None) -> pd.DataFrame:
    """The account ledger (``account/transfers.parquet``) ready to trace.

    ``dataset``: a :class:`chaintrace.Dataset`, a dataset name or folder (default: the course
    dataset). Adds ``units`` (the exact integer amount in base units, Python ints: sums stay
    exact), ``amount`` (float, in USDT or ETH, for display) and ``when`` (UTC datetime). A
    ledger written before TRON was added gets ``chain`` = ``ethereum``, ``log_index`` 0 and an
    empty ``bridge_ref``.

    >>> t = load_transfers("course")
    >>> t[t["chain"] == "tron"]["from"].str.startswith("T").all()
    np.True_
    """
    return prepare(as_dataset(dataset).transfers)


def prepare(transfers: pd.DataFrame) -> pd.DataFrame:
    """Add ``units``, ``amount``, ``when`` (and missing newer columns) to a transfers table.

    >>> t = prepare(pd.DataFrame({"tx_hash": ["0x" + "1" * 64], "block": [1], "time": [0],
    ...     "from": ["0x" + "a" * 40], "to": ["0x" + "b" * 40], "asset": ["USDT"],
    ...     "value": ["1500000"], "decimals": [6], "fee_wei": ["0"]}))
    >>> t.loc[0, "amount"], t.loc[0, "units"], t.loc[0, "chain"]
    (np.float64(1.5), 1500000, 'ethereum')
    """
    missing = {"tx_hash", "time", "from", "to", "asset", "value", "decimals"} - set(transfers)
    if missing:
        raise AccountError(
            f"this table lacks {sorted(missing)}: pass dataset.transfers or load_transfers()"
        )
    if "units" in transfers and "amount" in transfers:
        return transfers
    out = transfers.copy()
    defaults = {"chain": "ethereum", "log_index": 0, "bridge_ref": "", "contract": "",
                "method": ""}  # fmt: skip
    for column, value in defaults.items():
        if column not in out:
            out[column] = value
    if "tx_from" not in out:  # the sender of a transaction is the sender of its first transfer
        first = out.sort_values("log_index").drop_duplicates("tx_hash").set_index("tx_hash")
        out["tx_from"] = out["tx_hash"].map(first["from"])
    out["units"] = pd.Series([int(v) for v in out["value"]], index=out.index, dtype=object)
    out["amount"] = [u / 10 ** int(d) for u, d in zip(out["units"], out["decimals"], strict=True)]
    out["when"] = pd.to_datetime(out["time"], unit="s", utc=True)
    return out


def load_freezes(dataset=None) -> pd.DataFrame:
    """The issuer's blacklist events (``account/freezes.csv``) with a ``when`` column.

    >>> f = load_freezes()
    >>> set(f["event"]) <= {"AddedBlackList", "RemovedBlackList"}
    True
    """
    ds = as_dataset(dataset)
    frame = pd.read_csv(ds._file("account/freezes.csv"), dtype={"tx_hash": "str"})
    frame["when"] = pd.to_datetime(frame["time"], unit="s", utc=True)
    return frame


# --------------------------------------------------------------------------- counterparties
def counterparties(transfers: pd.DataFrame, address: str, tags=None) -> pd.DataFrame:
    """Everyone ``address`` sent to or received from, per counterparty and asset.

    Columns ``counterparty``, ``chain``, ``asset``, ``received`` and ``sent`` (in the asset's
    units, from ``address``'s side), ``n_transfers``, ``first``, ``last`` (UTC), and ``label``
    when a :class:`chaintrace.TagPack` is given. Biggest total first. Checksummed and lower-case
    Ethereum addresses are the same account.

    >>> t = load_transfers()
    >>> who = counterparties(t, t.iloc[0]["to"].lower())
    >>> int(who["n_transfers"].sum()) >= 1
    True
    """
    t = prepare(transfers)
    key = account_key(address)
    frm, to = _keys(t["from"]), _keys(t["to"])
    out_rows, in_rows = t[frm == key], t[to == key]
    if out_rows.empty and in_rows.empty:
        raise AccountError(
            f"{address} has no transfers in this ledger; check the address (and the chain)."
        )
    parts = [
        pd.DataFrame(
            {
                "counterparty": rows[side],
                "chain": rows["chain"],
                "asset": rows["asset"],
                "received": rows["amount"] * inbound,
                "sent": rows["amount"] * (1 - inbound),
                "time": rows["time"],
            }
        )  # fmt: skip
        for rows, side, inbound in ((out_rows, "to", 0), (in_rows, "from", 1))
    ]
    both = pd.concat(parts, ignore_index=True)
    table = both.groupby(["counterparty", "chain", "asset"], as_index=False).agg(
        received=("received", "sum"), sent=("sent", "sum"), n_transfers=("time", "size"),
        first=("time", "min"), last=("time", "max"),
    )  # fmt: skip
    for column in ("first", "last"):
        table[column] = pd.to_datetime(table[column], unit="s", utc=True)
    if tags is not None:
        table["label"] = [tags.attribute(a).label for a in table["counterparty"]]
    order = (table["received"] + table["sent"]).sort_values(ascending=False).index
    return table.loc[order].reset_index(drop=True)


# --------------------------------------------------------------------------- tracing
def _start_rows(t: pd.DataFrame, start) -> pd.DataFrame:
    hashes = [start] if isinstance(start, str) else list(start)
    wanted = {h.strip().lower() for h in hashes}
    rows = t[t["tx_hash"].str.lower().isin(wanted)]
    if rows.empty:
        first = hashes[0]
        if not _HASH.match(str(first).strip()):
            raise AccountError(
                f"start {first!r} is not a transfer hash. Give the hash of the transfer to "
                "follow (look it up with counterparties(...) for an address)."
            )
        raise AccountError(
            f"no transfer {first} in this account ledger. A Bitcoin txid is traced with "
            "chaintrace.trace_forward; an Ethereum hash starts with 0x, a TRON hash does not."
        )
    return rows


def _linked(legs: list[dict], row, forward: bool):
    """The swap or bridge leg that continues ``row``, as ``(via, row)``, else None.

    ``legs``: the ledger's rows (as records, in ledger order) sharing ``row``'s transaction or
    bridge reference. A bridge leg continues on the other chain's leg with the same
    ``bridge_ref``; a swap leg continues with the transfer, in the same transaction and in
    another asset, that pays back the one who paid in (forward: to ``row``'s sender; backward:
    from ``row``'s recipient), whether a pool paid it directly or an aggregator's router did,
    after several legs."""
    if row["bridge_ref"]:
        later = [leg for leg in legs if leg["bridge_ref"] == row["bridge_ref"]
                 and leg["chain"] != row["chain"]
                 and (leg["time"] >= row["time"] if forward else leg["time"] <= row["time"])]  # fmt: skip
        if later:
            return "bridge", later[0]
    same = [leg for leg in legs if leg["tx_hash"] == row["tx_hash"]
            and leg["chain"] == row["chain"] and leg["asset"] != row["asset"]]  # fmt: skip
    if forward:
        pair = [x for x in same if x["to"] == row["from"] and x["log_index"] > row["log_index"]]
    else:
        pair = [x for x in same if x["from"] == row["to"] and x["log_index"] < row["log_index"]]
    if pair:
        return "swap", pair[-1] if forward else pair[0]
    return None


_EVIDENCE = {  # what links a crossing's legs, by the method its source leg called
    "lock": "shared reference", "release": "shared reference",
    "depositForBurn": "attestation", "receiveMessage": "attestation",
    "deposit": "relayer fill", "fillRelay": "relayer fill",
}  # fmt: skip


def _evidence(via: str, leg) -> str:
    if via == "swap":
        return "same transaction"
    if via == "bridge":
        return _EVIDENCE.get(leg.get("method", ""), "shared reference")
    return ""


def trace_transfers(
    transfers: pd.DataFrame,
    start,
    direction: str = "forward",
    hops: int = 4,
    min_value: float = 0.0,
    until: int | None = None,
    stop_at=(),
) -> pd.DataFrame:
    """Follow money from the transfer(s) ``start`` (hash or list of hashes) across accounts.

    Forward, each hop takes every later transfer out of the account that received the money
    (``min_value`` and more, in the transfer's own asset, up to ``until`` Unix seconds); a swap
    continues with its other leg in the same transaction (USDT in, ETH out) and a bridge lock
    with its release on the other chain (same ``bridge_ref``), both ``via`` those names and
    without counting a hop. Backward is the mirror image. Accounts in ``stop_at`` (e.g.
    exchange hot wallets) end a branch. Like poison taint, "every later transfer out" overreaches
    when an account also holds other people's money: check balances and counterparties.

    Returns one row per transfer: ``hop`` (0 = start), ``via`` (``start``, ``transfer``,
    ``swap``, ``bridge``), ``chain``, ``tx_hash``, ``log_index``, ``time``, ``from``, ``to``,
    ``asset``, ``amount``, ``units``, ``bridge_ref``, ``evidence`` (what links a swap or
    bridge leg to the one before: ``same transaction``, ``shared reference``, ``attestation``
    or ``relayer fill``; "" otherwise). Each hop stays on its chain: one EVM key can hold an
    account on Ethereum and on BNB Smart Chain, and only a bridge moves money between them.

    >>> t = load_transfers()
    >>> legs = t[t["bridge_ref"] != ""].sort_values("time")
    >>> lock = legs.drop_duplicates("bridge_ref").iloc[0]  # a crossing's first leg: the lock
    >>> trail = trace_transfers(t, lock["tx_hash"], hops=1)
    >>> trail["via"].tolist()[:2], trail.loc[0, "chain"] != trail.loc[1, "chain"]
    (['start', 'bridge'], True)
    """
    if direction not in ("forward", "backward"):
        raise AccountError(f"direction is 'forward' or 'backward', not {direction!r}")
    t = prepare(transfers)
    if until is not None:
        t = t[t["time"] <= until]
    forward = direction == "forward"
    stops = {account_key(a) for a in stop_at}
    frm, to = _keys(t["from"]), _keys(t["to"])
    # positions of each account's transfers, each transaction's and each bridge crossing's
    # legs: found once, so that a hop reads a few rows instead of filtering the whole ledger
    by_account = _positions((frm if forward else to).to_numpy())
    by_hash = _positions(t["tx_hash"].to_numpy())
    by_ref = _positions(t["bridge_ref"].to_numpy())
    columns = {c: t[c].to_numpy() for c in ("tx_hash", "bridge_ref", "chain", "time", "asset",
                                            "from", "to", "log_index")}  # fmt: skip

    def near(row) -> list[dict]:
        """The rows that can continue ``row`` as a swap or bridge leg, in ledger order, as
        records of the columns :func:`_linked` reads (``at``: the row's position)."""
        found = set(by_hash.get(row["tx_hash"], ()))
        if row["bridge_ref"]:
            found |= set(by_ref.get(row["bridge_ref"], ()))
        return [{"at": i, **{c: v[i] for c, v in columns.items()}} for i in sorted(found)]

    out: list[tuple] = []
    seen: set[tuple] = set()

    def take(row, hop, via):
        ident = _ident(row)
        if ident in seen:
            return False
        seen.add(ident)
        out.append((hop, via, row))
        return True

    frontier = []
    for _, row in _start_rows(t, start).iterrows():
        if take(row, 0, "start"):
            frontier.append(row)
    for hop in range(1, hops + 1):
        nxt = []
        for row in frontier:
            row = _through(near, t.iloc, row, forward, hop - 1, take, seen)
            if row is None:
                continue
            account = account_key(row["to"] if forward else row["from"])
            if account in stops:
                continue
            mine = t.iloc[by_account.get(account, [])]
            same_chain = mine["chain"] == row["chain"]  # one EVM key: accounts on two chains
            if forward:
                cand = mine[(mine["time"] >= row["time"]) & same_chain]
            else:
                cand = mine[(mine["time"] <= row["time"]) & same_chain]
            for _, c in cand[cand["amount"] >= min_value].iterrows():
                if take(c, hop, "transfer"):
                    nxt.append(c)
        frontier = nxt
    return _trace_frame(out)


def _positions(values) -> dict:
    """Value -> the positions it is found at, in order."""
    found: dict = {}
    for i, v in enumerate(values):
        found.setdefault(v, []).append(i)
    return found


def _ident(row) -> tuple:
    return (row["tx_hash"], int(row["log_index"]), row["chain"])


def _through(near, rows, row, forward, hop, take, seen):
    """Cross swaps and bridges from ``row``; the row the money ends in, or None if already seen.
    ``near(row)``: the ledger's rows that can continue ``row`` (its transaction's and bridge's);
    ``rows[i]``: the ledger's row at position ``i``."""
    came_from = None
    while (link := _linked(near(row), row, forward)) is not None:
        via, leg = link[0], rows[link[1]["at"]]
        if _ident(leg) == came_from:  # a swap's second leg points back to its first
            break
        if _ident(leg) in seen:
            return None  # reached along another branch: followed there already
        take(leg, hop, via)  # the same money in another asset or on another chain
        came_from, row = _ident(row), leg
    return row


def _trace_frame(out: list[tuple]) -> pd.DataFrame:
    rows = [{"hop": hop, "via": via, **{k: row[k] for k in _TRACE_COLUMNS[2:-1]},
             "evidence": _evidence(via, row)}
            for hop, via, row in out]  # fmt: skip
    frame = pd.DataFrame(rows, columns=_TRACE_COLUMNS)
    frame["units"] = frame["units"].astype(object)
    return frame.sort_values(["hop", "time", "log_index"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- freezing
def load_tokens(dataset=None) -> pd.DataFrame:
    """The token contracts of a dataset (``account/tokens.csv``): ``chain``, ``asset``,
    ``contract``, ``decimals``, ``issuer`` and ``blacklist`` (whether the issuer's contract can
    blacklist an address, i.e. freeze what it holds).

    >>> tokens = load_tokens()
    >>> bsc = tokens[(tokens["chain"] == "bsc") & (tokens["asset"] == "USDT")].iloc[0]
    >>> int(bsc["decimals"]), bool(bsc["blacklist"])
    (18, False)
    """
    ds = as_dataset(dataset)
    try:
        frame = pd.read_csv(ds._file("account/tokens.csv"), dtype={"contract": "str"})
    except FileNotFoundError as exc:
        raise AccountError(
            f"dataset {ds.name!r} has no account/tokens.csv (made before it was added): "
            "freeze_points falls back to the public USDT contracts when tokens is None"
        ) from exc
    frame["blacklist"] = frame["blacklist"].astype(str).str.lower().eq("true")
    return frame


def _token_rules(tokens) -> dict[tuple, tuple[str, bool]]:
    """``(chain, asset) -> (issuer, can blacklist)`` from a tokens table (or the defaults)."""
    if tokens is None:
        return dict(DEFAULT_TOKENS)
    return {(r["chain"], r["asset"]): (r["issuer"], bool(r["blacklist"]))
            for r in tokens.to_dict("records")}  # fmt: skip


def _balances(t: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Units each account holds per chain and asset: received less sent, and the native coin
    less the fees of the transactions it sent (``tx_from``), once per transaction."""
    frm, to = _keys(t["from"]), _keys(t["to"])
    payer = _keys(t["tx_from"]) if "tx_from" in t else frm
    mine = frm.isin(keys) | to.isin(keys) | payer.isin(keys)  # filter the ledger once, not per key
    t, frm, to, payer = t[mine], frm[mine], to[mine], payer[mine]
    wanted = set(keys)
    units: dict[tuple, int] = {}
    decimals: dict[tuple, int] = {}  # as the first transfer received (else sent) states them
    for side, sign in ((to, 1), (frm, -1)):
        for key, chain, asset, u, d in zip(side, t["chain"], t["asset"], t["units"],
                                           t["decimals"], strict=True):  # fmt: skip
            if key in wanted:
                units[(key, chain, asset)] = units.get((key, chain, asset), 0) + sign * int(u)
                decimals.setdefault((key, chain, asset), int(d))
    fees = t[t["chain"].isin(["ethereum", "bsc"]) & t["fee_wei"].notna()]
    fees = fees.assign(payer=payer[fees.index]).drop_duplicates(["chain", "tx_hash"])
    for key, chain, fee in zip(fees["payer"], fees["chain"], fees["fee_wei"], strict=True):
        if key in wanted:  # the sender of a transaction pays its fee, in the native coin
            native = (key, chain, NATIVE[chain])
            units[native] = units.get(native, 0) - int(fee)
    order = {key: i for i, key in enumerate(keys)}
    rows = [{"address": key, "chain": chain, "asset": asset, "units": units[(key, chain, asset)],
             "decimals": decimals.get((key, chain, asset), 18)}
            for key, chain, asset in sorted(units, key=lambda k: (order[k[0]], k[1], k[2]))]  # fmt: skip
    return pd.DataFrame(rows, columns=["address", "chain", "asset", "units", "decimals"])


def freeze_points(
    transfers: pd.DataFrame, addresses, at: int | None = None, freezes=None, tags=None,
    tokens=None,
) -> pd.DataFrame:  # fmt: skip
    """What each address holds at time ``at`` (Unix seconds; default: the end of the ledger),
    and whether the token's issuer could still freeze it.

    One row per address, chain and asset with a non-zero balance: ``units`` (exact),
    ``decimals`` (the contract's, read from the ledger), ``balance`` (whole tokens), ``issuer``
    (who can blacklist it; "" for a native coin), ``frozen`` (blacklisted at ``at`` per
    ``freezes``, the :func:`load_freezes` table), ``issuer_can_freeze`` (the contract has a
    blacklist, the address is not yet frozen, balance above zero) and ``note`` in plain words;
    ``label`` when a TagPack is given (a labelled service pools its customers' money: ask the
    service, not the issuer). ``tokens``: the :func:`load_tokens` table (default: the public
    USDT contracts: Tether's on Ethereum and TRON can blacklist, the BNB Smart Chain peg
    cannot). Balances are the ledger's sums of transfers in and out (native coins less the fees
    of the transactions the address sent), so they are complete only if the address's whole
    history is in the ledger.

    >>> t = load_transfers()
    >>> pool_swap = t[(t["log_index"] == 1) & (t["asset"] == "ETH")].iloc[0]
    >>> held = freeze_points(t, [pool_swap["to"]], at=int(pool_swap["time"]))
    >>> held.loc[held["asset"] == "ETH", "issuer_can_freeze"].tolist()
    [False]
    """
    t = prepare(transfers)
    if at is not None:
        t = t[t["time"] <= at]
    at = int(t["time"].max()) if at is None else int(at)
    keys = list(dict.fromkeys(account_key(a) for a in ([addresses] if isinstance(addresses, str)
                                                          else addresses)))  # fmt: skip
    table = _balances(t, keys)
    table = table[table["units"] != 0].reset_index(drop=True)
    table["balance"] = [int(u) / 10 ** int(d)
                        for u, d in zip(table["units"], table["decimals"], strict=True)]  # fmt: skip
    rules = _token_rules(tokens)
    since = _frozen_since(freezes, at)
    table["issuer"] = [rules.get((c, a), ("", False))[0]
                       for c, a in zip(table["chain"], table["asset"], strict=True)]  # fmt: skip
    blacklist = pd.Series([rules.get((c, a), ("", False))[1]
                           for c, a in zip(table["chain"], table["asset"], strict=True)],
                          index=table.index, dtype=bool)  # fmt: skip
    table["frozen"] = [a in since for a in table["address"]]
    table["issuer_can_freeze"] = blacklist & ~table["frozen"] & (table["balance"] > 0)
    table["note"] = [_note(r, since, rules) for r in table.to_dict("records")]
    if tags is not None:
        table["label"] = [tags.attribute(a).label for a in table["address"]]
    shown = t[_keys(t["to"]).isin(keys) | _keys(t["from"]).isin(keys)]  # one filter, not per key
    table["address"] = [_display(shown, a) for a in table["address"]]
    return table


def _frozen_since(freezes, at: int) -> dict[str, int]:
    """Address key -> time it was blacklisted, for addresses still blacklisted at ``at``."""
    if freezes is None:
        return {}
    since: dict[str, int] = {}
    for event in freezes[freezes["time"] <= at].sort_values("time").to_dict("records"):
        key = account_key(event["address"])
        if event["event"] == "AddedBlackList":
            since[key] = int(event["time"])
        else:
            since.pop(key, None)
    return since


def _note(row: dict, since: dict[str, int], rules: dict) -> str:
    if row["asset"] == NATIVE.get(row["chain"]):
        return f"native {row['asset']}: no issuer can freeze it; only a custodian holding it can"
    issuer, blacklist = rules.get((row["chain"], row["asset"]), ("", False))
    if not blacklist:
        who = f" ({issuer})" if issuer else ""
        return f"{row['asset']} on {row['chain']}: its contract has no blacklist{who}"
    if row["frozen"]:
        day = pd.to_datetime(since[row["address"]], unit="s", utc=True)
        return f"already blacklisted by the issuer since {day:%Y-%m-%d %H:%M} UTC"
    if row["balance"] <= 0:
        return "nothing left to freeze"
    return f"{issuer or 'the issuer'} can blacklist this address and freeze the balance"


def _display(t: pd.DataFrame, key: str) -> str:
    """The address as the ledger writes it (EIP-55 for Ethereum)."""
    for column in ("to", "from"):
        hit = t[column][_keys(t[column]) == key]
        if not hit.empty:
            return hit.iloc[0]
    return key


# --------------------------------------------------------------------------- who holds what
CUSTODIAL = frozenset({"exchange"})  # tag categories of services that keep customers' money


def custodian_of(transfers: pd.DataFrame, addresses, tags) -> dict[str, str]:
    """Which service holds the money paid to each of ``addresses``: the label of the tagged
    custodial wallet (category ``exchange``: exchanges and swap services) every outgoing
    transfer of the address went to, as an exchange's deposit address is swept into its hot
    wallet. Addresses that sent elsewhere (a bridge or a pool passes the money on), or nothing,
    are left out: their balance is their own. A swap service holds an order only until it pays
    it out (check with :func:`chaintrace.swap_candidates`).

    >>> t = load_transfers()
    >>> import chaintrace
    >>> tags = chaintrace.load_tagpack(chaintrace.load_dataset().path / "account" / "tags.yaml")
    >>> hot = {tag.address for tag in tags if tag.label == "Northmint"}
    >>> sweep = t[t["to"].isin(hot) & (t["chain"] == "tron") & (t["method"] == "transfer")].iloc[0]
    >>> custodian_of(t, [sweep["from"]], tags)[sweep["from"]]
    'Northmint'
    """
    t = prepare(transfers)
    frm = _keys(t["from"])
    out: dict[str, str] = {}
    for address in [addresses] if isinstance(addresses, str) else addresses:
        sent = t[frm == account_key(address)]
        found = {(b.label, b.category) if (b := tags.attribute(a).best) else (None, None)
                 for a in sent["to"]} if len(sent) else {(None, None)}  # fmt: skip
        if len(found) == 1 and (best := found.pop())[0] and best[1] in CUSTODIAL:
            out[address] = best[0]
    return out


FREEZABLE_COLUMNS = ["holder", "kind", "chain", "address", "asset", "units", "decimals",
                     "amount", "usd", "uah", "note"]  # fmt: skip


def freezable(
    transfers: pd.DataFrame, addresses, at: int, prices, freezes=None, tokens=None,
    custodians: dict | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Who could still freeze what at time ``at``, valued in USD and UAH on that day.

    ``addresses``: every address the money reached (the successors' wallets, customers', the
    destinations of bridges and swaps, deposit addresses). ``custodians``: address -> the
    service that holds what it received (:func:`custodian_of`): an exchange or a swap service
    credits the deposit to a customer account, so it can freeze the whole amount the address
    received up to ``at`` (at most: the customer may have withdrawn some; its records say).
    Every other address holds its own balance, which the token's issuer can freeze if its
    contract has a blacklist and the address is not frozen yet. ``prices``: the
    :func:`chaintrace.money.load_prices` table.

    One row per holding: ``holder`` (the service or the token's issuer), ``kind``
    (``custodian`` or ``issuer``), ``chain``, ``address``, ``asset``, ``units``, ``decimals``,
    ``amount`` (whole tokens), ``usd``, ``uah`` (unrounded: round totals, not rows), ``note``.
    Native coins and tokens without a blacklist are left out (nobody can freeze them on chain).

    >>> import chaintrace
    >>> t, prices = load_transfers(), chaintrace.load_prices()
    >>> tags = chaintrace.load_tagpack(chaintrace.load_dataset().path / "account" / "tags.yaml")
    >>> hot = {tag.address for tag in tags if tag.label == "Northmint"}
    >>> sweep = t[t["to"].isin(hot) & (t["chain"] == "tron") & (t["method"] == "transfer")].iloc[0]
    >>> held = freezable(t, [sweep["from"]], at=int(sweep["time"]), prices=prices,
    ...                  custodians=custodian_of(t, [sweep["from"]], tags))
    >>> sorted(set(held["holder"])), bool((held["uah"] > held["usd"]).all())
    (['Northmint'], True)
    """
    from .money import value

    t = prepare(transfers)
    t = t[t["time"] <= int(at)]
    custodians = {account_key(a): h for a, h in (custodians or {}).items()}
    keys = list(dict.fromkeys(account_key(a) for a in addresses))
    day = pd.to_datetime(int(at), unit="s", utc=True).strftime("%Y-%m-%d")
    rows = []
    to = _keys(t["to"])
    frm = _keys(t["from"])
    held = [k for k in keys if k in custodians]
    shown = t[to.isin(held) | frm.isin(held)]  # how the ledger writes them: one filter for all
    for key in held:
        own = set(_keys(t[frm == key]["to"]))  # the wallets it sweeps into: the custodian's
        got = t[(to == key) & ~frm.isin(own)]  # not the gas the custodian sent it to sweep
        for (chain, asset, decimals), part in got.groupby(["chain", "asset", "decimals"]):
            rows.append((custodians[key], "custodian", chain, _display(shown, key), asset,
                         sum(part["units"]), int(decimals),
                         "credited to a customer account: the service can freeze it"))  # fmt: skip
    own = [k for k in keys if k not in custodians]
    if own:
        points = freeze_points(t, own, at=at, freezes=freezes, tokens=tokens)
        for r in points[points["issuer_can_freeze"]].to_dict("records"):
            rows.append((r["issuer"], "issuer", r["chain"], r["address"], r["asset"], r["units"],
                         int(r["decimals"]), r["note"]))  # fmt: skip
    out = []
    for holder, kind, chain, address, asset, units, decimals, note in rows:
        amount = int(units) / 10**decimals
        usd = value(units, asset, day, "USD", prices, decimals=decimals)
        uah = value(units, asset, day, "UAH", prices, decimals=decimals)
        out.append((holder, kind, chain, address, asset, int(units), decimals, amount, usd, uah,
                    note))  # fmt: skip
    frame = pd.DataFrame(out, columns=FREEZABLE_COLUMNS)
    frame["units"] = frame["units"].astype(object)
    return frame.sort_values(["holder", "chain", "address"], kind="stable").reset_index(drop=True)


def freezable_by_holder(table: pd.DataFrame) -> pd.DataFrame:
    """Totals per holder of a :func:`freezable` table, in USD and UAH rounded once to the cent,
    biggest first: whom to ask, and for how much.

    >>> rows = pd.DataFrame({"holder": ["Tether", "Tether", "Northmint"], "usd": [1.004, 2.004, 5.0],
    ...                      "uah": [40.1, 80.2, 200.0], "address": ["a", "b", "c"]})
    >>> freezable_by_holder(rows).to_dict("records")[1]
    {'holder': 'Tether', 'usd': 3.01, 'uah': 120.3, 'n_addresses': 2}
    """
    from decimal import ROUND_HALF_EVEN, Decimal

    def cents(values) -> float:
        total = sum((Decimal(str(v)) if not isinstance(v, Decimal) else v for v in values),
                    Decimal(0))  # fmt: skip
        return float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))

    groups = table.groupby("holder", sort=True)
    out = pd.DataFrame({
        "holder": list(groups.groups),
        "usd": [cents(g["usd"]) for _, g in groups],
        "uah": [cents(g["uah"]) for _, g in groups],
        "n_addresses": [g["address"].nunique() for _, g in groups],
    })  # fmt: skip
    return out.sort_values("usd", ascending=False, kind="stable").reset_index(drop=True)
