"""The reference set: transactions whose change output is known from the wallets themselves.

Investigators measure a heuristic against wallets whose records they hold: devices seized in
earlier cases, victims who hand over their wallet files, test wallets of their own. This is
what `labelled/reference-wallets.csv` imitates: every spend of a random subset of ordinary
users' wallets, with the change output their wallet file records. Like a real reference set it
is not a random sample of the chain: only ordinary users (no services, no CoinJoin wallets),
and never anyone a case is about (the set must not answer a case question).

>>> import io, json, pyarrow as pa, pyarrow.parquet as pq
>>> def parquet(table):
...     sink = io.BytesIO(); pq.write_table(pa.table(table), sink); return sink.getvalue()
>>> truth = {
...     "entities.parquet": parquet({"entity_id": [0, 1, 2], "kind": ["individual"] * 3,
...                                  "wallet": ["core", "core", "wasabi"]}),
...     "addresses.parquet": parquet({"address": ["a0", "a1", "a2"], "entity_id": [0, 1, 2]}),
...     "transactions.parquet": parquet({"txid": ["t0", "t1", "t2"], "entity_id": [0, 1, 2],
...         "typology": ["payment"] * 3, "change_vout": [1, 0, 1]}),
...     "cases/x.json": json.dumps({"suspect_address": "a1"}).encode(),
... }
>>> print(reference_csv(truth, seed=1, share=1.0).decode(), end="")
wallet,txid,change_vout
W0001,t0,1
"""

from __future__ import annotations

import io
import json
import random

import pyarrow.parquet as pq

# wallets a reference set would not come from: they obfuscate change on purpose
EXCLUDED_WALLETS = frozenset({"wasabi", "samourai", "joinmarket"})
# spends by ordinary users; anything else (darknet orders, mixer deposits...) is case material
ORDINARY = frozenset(
    {"payment", "merchant_payment", "exchange_deposit", "gambling_deposit", "consolidation"}
)
SHARE = 0.15  # of eligible wallets


def _frame(truth: dict[str, bytes], name: str):
    return pq.read_table(io.BytesIO(truth[name])).to_pandas()


def _case_strings(truth: dict[str, bytes]) -> set[str]:
    """Every string a ground-truth case file states (addresses, txids, names)."""
    found: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for name, data in truth.items():
        if name.startswith("cases/"):
            walk(json.loads(data))
    return found


def reference_csv(truth: dict[str, bytes], seed, share: float = SHARE) -> bytes:
    """CSV bytes (``wallet,txid,change_vout``) of the reference set, from ground-truth files.

    ``wallet`` is a pseudonym (``W0001``...) numbered in chain order of the wallet's first
    spend; ``change_vout`` is -1 when the wallet kept no change.
    """
    entities = _frame(truth, "entities.parquet")
    addresses = _frame(truth, "addresses.parquet")
    txs = _frame(truth, "transactions.parquet")
    named = _case_strings(truth)
    in_cases = set(addresses.loc[addresses["address"].isin(named), "entity_id"])
    in_cases |= set(txs.loc[txs["txid"].isin(named), "entity_id"])
    in_cases |= set(txs.loc[~txs["typology"].isin(ORDINARY | {"coinbase"}), "entity_id"])
    eligible = entities[
        (entities["kind"] == "individual")
        & ~entities["wallet"].isin(EXCLUDED_WALLETS)
        & ~entities["entity_id"].isin(in_cases)
    ]["entity_id"].tolist()
    rng = random.Random(f"chaintrace-reference-{seed}")  # its own stream: nothing else moves
    chosen = set(rng.sample(eligible, round(len(eligible) * share)))
    rows = txs[txs["entity_id"].isin(chosen) & txs["typology"].isin(ORDINARY)]
    pseudonym = {e: f"W{n:04d}" for n, e in enumerate(dict.fromkeys(rows["entity_id"]), 1)}
    lines = ["wallet,txid,change_vout"]
    lines += [
        f"{pseudonym[e]},{t},{int(c)}"
        for e, t, c in zip(rows["entity_id"], rows["txid"], rows["change_vout"], strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()
