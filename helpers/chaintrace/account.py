"""Account-model chains (Ethereum, TRON): transfers, traces across swaps and bridges, freezes.

An account chain keeps balances, not coins: a transfer moves an exact amount from one account to
another, with no change and no inputs to link. Tracing follows an amount to the next transfers
out of the account that received it; a *swap* (USDT in, ETH out in one transaction) and a
*bridge* (USDT locked on one chain, released minus a fee on the other, both legs carrying the
bridge's transfer id) are followed through. The USDT issuer can blacklist an address holding
USDT ("freeze"); nobody can blacklist native ETH or TRX.

>>> ledger = load_transfers()
>>> sorted(ledger["chain"].unique())
['ethereum', 'tron']
>>> row = ledger[ledger["asset"] == "USDT"].iloc[0]
>>> row["units"] == int(row["value"]), bool(row["amount"] == row["units"] / 10**6)
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
]

ISSUED = frozenset({"USDT"})  # tokens whose issuer can blacklist an address
_HASH = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_TRACE_COLUMNS = ["hop", "via", "chain", "tx_hash", "log_index", "time", "from", "to", "asset",
                  "amount", "units", "bridge_ref"]  # fmt: skip


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
    defaults = {"chain": "ethereum", "log_index": 0, "bridge_ref": ""}
    for column, value in defaults.items():
        if column not in out:
            out[column] = value
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


def _linked(t: pd.DataFrame, row, forward: bool):
    """The swap or bridge leg that continues ``row``, as ``(via, row)``, else None."""
    if row["bridge_ref"]:
        legs = t[(t["bridge_ref"] == row["bridge_ref"]) & (t["chain"] != row["chain"])]
        later = legs[legs["time"] >= row["time"]] if forward else legs[legs["time"] <= row["time"]]
        if not later.empty:
            return "bridge", later.iloc[0]
    same = t[(t["tx_hash"] == row["tx_hash"]) & (t["asset"] != row["asset"])]
    pair = same[(same["from"] == row["to"]) & (same["to"] == row["from"])]
    if not pair.empty:
        return "swap", pair.iloc[0]
    return None


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
    ``asset``, ``amount``, ``units``, ``bridge_ref``.

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
            row = _through(t, row, forward, hop - 1, take, seen)
            if row is None:
                continue
            account = account_key(row["to"] if forward else row["from"])
            if account in stops:
                continue
            if forward:
                cand = t[(frm == account) & (t["time"] >= row["time"])]
            else:
                cand = t[(to == account) & (t["time"] <= row["time"])]
            for _, c in cand[cand["amount"] >= min_value].iterrows():
                if take(c, hop, "transfer"):
                    nxt.append(c)
        frontier = nxt
    return _trace_frame(out)


def _ident(row) -> tuple:
    return (row["tx_hash"], int(row["log_index"]), row["chain"])


def _through(t, row, forward, hop, take, seen):
    """Cross swaps and bridges from ``row``; the row the money ends in, or None if already seen."""
    came_from = None
    while (link := _linked(t, row, forward)) is not None:
        via, leg = link
        if _ident(leg) == came_from:  # a swap's second leg points back to its first
            break
        if _ident(leg) in seen:
            return None  # reached along another branch: followed there already
        take(leg, hop, via)  # the same money in another asset or on another chain
        came_from, row = _ident(row), leg
    return row


def _trace_frame(out: list[tuple]) -> pd.DataFrame:
    rows = [{"hop": hop, "via": via, **{k: row[k] for k in _TRACE_COLUMNS[2:]}}
            for hop, via, row in out]  # fmt: skip
    frame = pd.DataFrame(rows, columns=_TRACE_COLUMNS)
    frame["units"] = frame["units"].astype(object)
    return frame.sort_values(["hop", "time", "log_index"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- freezing
def _balances(t: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frm, to = _keys(t["from"]), _keys(t["to"])
    rows = []
    for key in keys:
        got, sent = t[to == key], t[frm == key]
        for (chain, asset), _ in pd.concat([got, sent]).groupby(["chain", "asset"]):
            units = sum(got[(got["chain"] == chain) & (got["asset"] == asset)]["units"]) - sum(
                sent[(sent["chain"] == chain) & (sent["asset"] == asset)]["units"]
            )
            if asset == "ETH":  # the sender of a transaction pays its fee in ETH
                paid = sent[(sent["chain"] == "ethereum") & (sent["log_index"] == 0)]
                units -= sum(int(f) for f in paid.drop_duplicates("tx_hash")["fee_wei"].dropna())
            rows.append({"address": key, "chain": chain, "asset": asset, "units": units})
    return pd.DataFrame(rows, columns=["address", "chain", "asset", "units"])


def freeze_points(
    transfers: pd.DataFrame, addresses, at: int | None = None, freezes=None, tags=None
) -> pd.DataFrame:
    """What each address holds at time ``at`` (Unix seconds; default: the end of the ledger),
    and whether the USDT issuer could still freeze it.

    One row per address, chain and asset with a non-zero balance: ``units`` (exact),
    ``balance`` (USDT or ETH), ``frozen`` (blacklisted at ``at`` per ``freezes``, the
    :func:`load_freezes` table), ``issuer_can_freeze`` (USDT, not yet frozen, balance above
    zero) and ``note`` in plain words; ``label`` when a TagPack is given (a labelled service
    pools its customers' money: ask the service, not the issuer). Balances are the ledger's sums
    of transfers in and out (ETH less the fees paid), so they are complete only if the
    address's whole history is in the ledger.

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
    table["balance"] = [int(u) / 10 ** (18 if a == "ETH" else 6)
                        for u, a in zip(table["units"], table["asset"], strict=True)]  # fmt: skip
    since = _frozen_since(freezes, at)
    table["frozen"] = [a in since for a in table["address"]]
    issued = table["asset"].isin(ISSUED)
    table["issuer_can_freeze"] = issued & ~table["frozen"] & (table["balance"] > 0)
    table["note"] = [_note(r, since) for r in table.to_dict("records")]
    if tags is not None:
        table["label"] = [tags.attribute(a).label for a in table["address"]]
    table["address"] = [_display(t, a) for a in table["address"]]
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


def _note(row: dict, since: dict[str, int]) -> str:
    if row["asset"] not in ISSUED:
        return f"native {row['asset']}: no issuer can freeze it; only a custodian holding it can"
    if row["frozen"]:
        day = pd.to_datetime(since[row["address"]], unit="s", utc=True)
        return f"already blacklisted by the issuer since {day:%Y-%m-%d %H:%M} UTC"
    if row["balance"] <= 0:
        return "nothing left to freeze"
    return "the issuer can blacklist this address and freeze the balance"


def _display(t: pd.DataFrame, key: str) -> str:
    """The address as the ledger writes it (EIP-55 for Ethereum)."""
    for column in ("to", "from"):
        hit = t[column][_keys(t[column]) == key]
        if not hit.empty:
            return hit.iloc[0]
    return key
