"""Following money across chains and through swaps, by the evidence each design leaves.

Three bridge designs, three kinds of evidence linking the legs:

- **lock-and-release** (a vault on each chain): the lock into the source vault and the release
  from the destination vault carry the same deposit nonce: a *shared reference*;
- **burn-and-mint** (e.g. Circle's CCTP): the tokens are burnt on the source chain (sent to the
  zero address) and minted on the destination once the bridge's attester has signed the burn
  message; both legs carry the message hash: an *attestation*;
- **intent** (e.g. Across): the user deposits into a pool with an order id and a *relayer* pays
  the recipient on the other chain from its own funds, its fill naming the order id: a
  *relayer fill*. The relayer's other transfers are its own business, not the user's money.

A custodial **instant-swap service** leaves no link at all: the payout comes from its hot
wallet, matched only by timing and amount (:func:`swap_candidates`: an inference; the service's
order records are the evidence). A **DEX aggregator** swap is several transfers in one
transaction (:func:`swap_summary`).

>>> import chaintrace
>>> t = chaintrace.load_transfers()
>>> burn = t[t["method"] == "depositForBurn"].iloc[0]
>>> c = follow_crossing(t, burn["tx_hash"])
>>> c.design, c.evidence, c.funds_from
('burn-and-mint', 'attestation', 'newly minted (from the zero address)')
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .account import AccountError, _keys, account_key, prepare
from .messages import translate

__all__ = ["Crossing", "follow_crossing", "crossings", "transaction_legs", "swap_summary",
           "swap_candidates", "DESIGNS"]  # fmt: skip

# the method each leg calls -> (design, evidence, source or destination leg)
DESIGNS = {
    "lock": ("lock-and-release", "shared reference", "source"),
    "release": ("lock-and-release", "shared reference", "destination"),
    "depositForBurn": ("burn-and-mint", "attestation", "source"),
    "receiveMessage": ("burn-and-mint", "attestation", "destination"),
    "deposit": ("intent", "relayer fill", "source"),
    "fillRelay": ("intent", "relayer fill", "destination"),
}
ZERO = {"0x" + "0" * 40, "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"}


@dataclass(frozen=True)
class Crossing:
    """One bridge crossing: its two legs and what links them.

    ``design`` (``lock-and-release``, ``burn-and-mint``, ``intent``), ``evidence`` (``shared
    reference``, ``attestation``, ``relayer fill``), ``reference`` (the nonce, message hash or
    order id both legs carry), ``source`` and ``destination`` (the legs as dicts: chain,
    tx_hash, from, to, asset, units, decimals, amount, time), ``funds_from`` (where the
    destination's money came from), ``fee`` (whole tokens kept on the way) and ``delay``
    (seconds between the legs).
    """

    design: str
    evidence: str
    reference: str
    source: dict
    destination: dict
    funds_from: str
    fee: float
    delay: int


_LEG_FIELDS = ["chain", "tx_hash", "log_index", "time", "from", "to", "asset", "units",
               "decimals", "amount", "method"]  # fmt: skip


def _leg(row) -> dict:
    out = {k: row[k] for k in _LEG_FIELDS}
    out["units"], out["time"], out["decimals"] = (
        int(out["units"]),
        int(out["time"]),
        int(out["decimals"]),
    )
    return out


def _design(source, destination) -> tuple[str, str]:
    for leg in (source, destination):
        if leg.get("method") in DESIGNS:
            design, evidence, _ = DESIGNS[leg["method"]]
            return design, evidence
    return "lock-and-release", "shared reference"  # a ledger without methods: Arcway only


def _funds_from(design: str, destination: dict) -> str:
    """Who paid the destination leg, in the reader's language (:mod:`chaintrace.messages`)."""
    if destination["from"] in ZERO:
        return translate("newly minted (from the zero address)")
    if design == "intent":
        return translate(f"the relayer's own funds ({destination['from']})")
    return translate(f"the bridge's vault on {destination['chain']} ({destination['from']})")


def follow_crossing(transfers: pd.DataFrame, tx_hash: str) -> Crossing:
    """The crossing one leg (``tx_hash``, either side) belongs to, with its other leg.

    Raises :class:`chaintrace.AccountError` when the transaction is not a bridge leg (an
    instant-swap service leaves no reference: use :func:`swap_candidates`) or its other leg is
    not in the ledger.
    """
    t = prepare(transfers)
    rows = t[t["tx_hash"].str.lower() == str(tx_hash).strip().lower()]
    if rows.empty:
        raise AccountError(f"no transfer {tx_hash} in this ledger; check the hash and the chain")
    legs = rows[rows["bridge_ref"] != ""]
    if legs.empty:
        raise AccountError(
            f"{tx_hash} carries no bridge reference: it is not a bridge leg. A custodial swap "
            "service links its legs only in its own records: try swap_candidates(...)"
        )
    row = legs.iloc[0]
    other = t[(t["bridge_ref"] == row["bridge_ref"]) & (t["chain"] != row["chain"])]
    if other.empty:
        raise AccountError(
            f"the other leg of {row['bridge_ref']} is not in this ledger (still pending, or on a "
            "chain the ledger does not hold)"
        )
    pair = sorted([_leg(row), _leg(other.iloc[0])], key=lambda leg: leg["time"])
    source, destination = pair
    if DESIGNS.get(source.get("method"), ("", "", "source"))[2] == "destination":
        source, destination = destination, source
    design, evidence = _design(source, destination)
    return Crossing(
        design=design,
        evidence=evidence,
        reference=str(row["bridge_ref"]),
        source=source,
        destination=destination,
        funds_from=_funds_from(design, destination),
        fee=round(source["amount"] - destination["amount"], 12),
        delay=destination["time"] - source["time"],
    )


def crossings(transfers: pd.DataFrame) -> pd.DataFrame:
    """Every crossing in the ledger, one row each: ``reference``, ``design``, ``evidence``,
    ``source_chain``, ``source_tx_hash``, ``source_from``, ``source_amount``,
    ``destination_chain``, ``destination_tx_hash``, ``destination_to``, ``destination_amount``,
    ``paid_by`` (vault, zero address or relayer), ``delay`` (seconds).

    >>> import chaintrace
    >>> table = crossings(chaintrace.load_transfers())
    >>> sorted(table["design"].unique())
    ['burn-and-mint', 'intent', 'lock-and-release']
    """
    t = prepare(transfers)
    legs = t[t["bridge_ref"] != ""].sort_values(["time", "chain"], kind="stable")
    out = []
    for ref, group in legs.groupby("bridge_ref", sort=False):
        if group["chain"].nunique() < 2:
            continue
        c = follow_crossing(group, group.iloc[0]["tx_hash"])
        out.append({
            "reference": ref, "design": c.design, "evidence": c.evidence,
            "source_chain": c.source["chain"], "source_tx_hash": c.source["tx_hash"],
            "source_from": c.source["from"], "source_amount": c.source["amount"],
            "destination_chain": c.destination["chain"],
            "destination_tx_hash": c.destination["tx_hash"], "destination_to": c.destination["to"],
            "destination_amount": c.destination["amount"], "paid_by": c.destination["from"],
            "delay": c.delay,
        })  # fmt: skip
    return pd.DataFrame(out).sort_values("reference").reset_index(drop=True)


def transaction_legs(transfers: pd.DataFrame, tx_hash: str) -> pd.DataFrame:
    """Every transfer of one transaction, in ``log_index`` order (an aggregator's swap is
    several: in to the router, out to pools, back from them, out to the trader).

    >>> import chaintrace
    >>> t = chaintrace.load_transfers()
    >>> swap = t[(t["method"] == "swap") & (t["log_index"] == 5)].iloc[0]
    >>> transaction_legs(t, swap["tx_hash"])["log_index"].tolist()
    [0, 1, 2, 3, 4, 5]
    """
    t = prepare(transfers)
    rows = t[t["tx_hash"].str.lower() == str(tx_hash).strip().lower()]
    if rows.empty:
        raise AccountError(f"no transfer {tx_hash} in this ledger; check the hash and the chain")
    return rows.sort_values("log_index").reset_index(drop=True)


def swap_summary(transfers: pd.DataFrame, tx_hash: str) -> dict:
    """What the trader of a swap transaction gave and got, whatever route it took:
    ``trader`` (who sent the transaction), ``gave`` and ``got`` (``{asset: amount}``, whole
    tokens), ``gave_units`` / ``got_units`` (exact), ``n_transfers`` and ``route`` (the other
    accounts the transaction moved money through, in order).

    >>> import chaintrace
    >>> t = chaintrace.load_transfers()
    >>> swap = t[(t["method"] == "swap") & (t["log_index"] == 5)].iloc[0]
    >>> s = swap_summary(t, swap["tx_hash"])
    >>> s["n_transfers"], len(s["route"]), sorted(s["gave"]) != sorted(s["got"])
    (6, 3, True)
    """
    legs = transaction_legs(transfers, tx_hash)
    trader = legs.iloc[0]["tx_from"] if "tx_from" in legs else legs.iloc[0]["from"]
    key = account_key(trader)
    frm, to = _keys(legs["from"]), _keys(legs["to"])
    net: dict[str, int] = {}
    decimals: dict[str, int] = {}
    for (asset, dec), part in legs.groupby(["asset", "decimals"]):
        net[asset] = sum(part[to[part.index] == key]["units"]) - sum(
            part[frm[part.index] == key]["units"]
        )
        decimals[asset] = int(dec)
    route = list(dict.fromkeys(a for pair in zip(legs["from"], legs["to"], strict=True)
                               for a in pair if account_key(a) != key))  # fmt: skip
    return {
        "trader": trader,
        "gave": {a: -u / 10 ** decimals[a] for a, u in net.items() if u < 0},
        "got": {a: u / 10 ** decimals[a] for a, u in net.items() if u > 0},
        "gave_units": {a: -u for a, u in net.items() if u < 0},
        "got_units": {a: u for a, u in net.items() if u > 0},
        "n_transfers": len(legs),
        "route": route,
    }


def swap_candidates(
    transfers: pd.DataFrame, tx_hash: str, service_wallets, prices, within: int = 2 * 3_600,
    keep: tuple[float, float] = (0.0, 0.03),
) -> pd.DataFrame:  # fmt: skip
    """Payouts that could answer a deposit into a custodial swap service: transfers out of
    ``service_wallets`` (its hot wallets, on any chain) within ``within`` seconds after the
    deposit ``tx_hash``, worth what the deposit was worth less the share the service keeps
    (``keep``: from 0 to 3 % by default), valued in USD on their days (``prices``:
    :func:`chaintrace.money.load_prices`). Closest in time first.

    This is an inference, not a link: two customers can swap similar amounts minutes apart.
    The service's order records (a request to it) are the evidence. Columns: ``tx_hash``,
    ``chain``, ``time``, ``delay``, ``to``, ``asset``, ``amount``, ``usd``, ``kept`` (share of
    the deposit's value not paid out), ``evidence``.

    >>> import chaintrace
    >>> t, prices = chaintrace.load_transfers(), chaintrace.load_prices()
    >>> tags = chaintrace.load_tagpack(chaintrace.load_dataset().path / "account" / "tags.yaml")
    >>> swapline = [tag.address for tag in tags if tag.label.startswith("Swapline")]
    >>> sweep = t[t["to"].isin(swapline) & (t["method"] == "transfer")].iloc[0]  # a swept deposit
    >>> paid_in = t[(t["to"] == sweep["from"]) & (t["time"] <= sweep["time"])].iloc[0]
    >>> found = swap_candidates(t, paid_in["tx_hash"], swapline, prices)
    >>> len(found) >= 1, found.loc[0, "evidence"].startswith("timing and amount")
    (True, True)
    """
    from .money import value

    t = prepare(transfers)
    dep = transaction_legs(t, tx_hash).iloc[0]
    wallets = {account_key(a) for a in service_wallets}
    when = int(dep["time"])
    paid_in = value(dep["units"], dep["asset"], when, "USD", prices, decimals=int(dep["decimals"]))
    out = t[_keys(t["from"]).isin(wallets) & (t["time"] >= when) & (t["time"] <= when + within)]
    rows = []
    for r in out.to_dict("records"):
        usd = value(
            r["units"], r["asset"], int(r["time"]), "USD", prices, decimals=int(r["decimals"])
        )
        kept = 1 - usd / paid_in if paid_in else 1.0
        if keep[0] <= kept <= keep[1]:
            rows.append({"tx_hash": r["tx_hash"], "chain": r["chain"], "time": int(r["time"]),
                         "delay": int(r["time"]) - when, "to": r["to"], "asset": r["asset"],
                         "amount": r["amount"], "usd": usd, "kept": kept,
                         "evidence": "timing and amount only (an inference): ask the service"})  # fmt: skip
    columns = [
        "tx_hash",
        "chain",
        "time",
        "delay",
        "to",
        "asset",
        "amount",
        "usd",
        "kept",
        "evidence",
    ]
    return (
        pd.DataFrame(rows, columns=columns)
        .sort_values("delay", kind="stable")
        .reset_index(drop=True)
    )
