"""Reference change heuristics, scored against the generator's ground truth.

Möser & Narayanan (FC'22, "Resurrecting Address Clustering") measured, on a ground-truth set of
real two-output transactions, how often each simple change heuristic names an output
(*coverage*) and how often that output really is the change (*precision*). This module runs the
same simple heuristics on a generated dataset so the realism report can compare: a heuristic
that is always right here would teach trainees a lie, one that never fires teaches nothing.

Ground-truth set (as in M&N, adapted): non-coinbase, non-CoinJoin transactions with exactly two
outputs (no OP_RETURN), a true change output, no output paying an input's address, both
outputs already spent (the fingerprint heuristics look at the spending transactions), and the
change spent together with other coins (a transaction of two or more inputs). M&N could only
know a change output once it was co-spent with the payer's other coins; what wallets do in such
multi-input spends is what the fingerprint heuristics then compare, so the set must be drawn
the same way (the generator knows every change, but the real set does not).

Heuristics (each names one output or abstains):

- ``optimal change``: exactly one output is smaller than every input;
- ``address type``: all inputs share one script type and exactly one output has it;
- ``one-time change``: exactly one output address appears for the first time;
- ``power of ten``: exactly one output is a multiple of 100 sat (the payment); the other is change;
- ``BIP-69`` / ``locktime`` / ``version`` fingerprints: of the two spending transactions, exactly
  one shares the transaction's own feature (inputs and outputs in BIP-69 order; locktime > 0;
  version).

>>> REAL["optimal change"]
(33.23, 92.08)
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..heuristics import PUBLISHED, ROUND_PUBLISHED

# GT coverage / precision (%) on real Bitcoin, Möser & Narayanan (FC'22), docs/realism-targets.md;
# the toolkit's heuristics keep the figures (chaintrace.heuristics.PUBLISHED)
_MN_NAMES = {
    "optimal change": "optimal_change",
    "address type": "address_type",
    "one-time change": "one_time_change",
    "power of ten": None,  # payments that are multiples of 100 sat: round_payment with 2 zeros
    "BIP-69": "bip69",
    "locktime fingerprint": "locktime",
    "version fingerprint": "version",
}
REAL = {
    label: tuple(round(100 * x, 2) for x in (PUBLISHED[key] if key else ROUND_PUBLISHED[2]))
    for label, key in _MN_NAMES.items()
}


@dataclass
class Score:
    heuristic: str
    coverage: float  # share of ground-truth transactions where it names an output
    precision: float  # share of those where the named output is the true change
    n: int  # size of the ground-truth set


def ground_truth_set(tx, outs, ins, truth) -> pd.DataFrame:
    """One row per ground-truth transaction: ``txid``, ``change`` (0/1) and its two outputs."""
    t = tx.loc[~tx["coinbase"] & (tx["n_outputs"] == 2), ["txid", "version", "locktime"]]
    tr = truth.set_index("txid")
    t = t[t["txid"].map(tr["change_vout"]).ge(0) & t["txid"].map(tr["typology"]).ne("coinjoin")]
    t = t.assign(change=t["txid"].map(tr["change_vout"]).to_numpy())
    o = outs[outs["txid"].isin(t["txid"])].sort_values(["txid", "vout"])
    wide = o.pivot(index="txid", columns="vout")
    cols = {}
    for k in (0, 1):
        for c in ("address", "value", "script_type", "spent_txid"):
            cols[f"{c}{k}"] = wide[(c, k)]
    t = t.join(pd.DataFrame(cols), on="txid")
    t = t[(t["script_type0"] != "op_return") & (t["script_type1"] != "op_return")]
    t = t[t["spent_txid0"].notna() & t["spent_txid1"].notna()]
    n_in = tx.set_index("txid")["n_inputs"]
    change_spend = np.where(t["change"] == 0, t["spent_txid0"], t["spent_txid1"])
    t = t[pd.Series(change_spend, index=t.index).map(n_in).ge(2)]
    back = ins[ins["txid"].isin(t["txid"])]
    pairs = set(zip(back["txid"], back["address"], strict=True))
    reuse = [
        (x, a0) in pairs or (x, a1) in pairs
        for x, a0, a1 in zip(t["txid"], t["address0"], t["address1"], strict=True)
    ]
    return t[~np.array(reuse, dtype=bool)].reset_index(drop=True)


def _one_of(flag0, flag1, pick_flagged=True) -> np.ndarray:
    """Index of the single flagged output (or the other one), -1 when not exactly one."""
    f0, f1 = np.asarray(flag0, bool), np.asarray(flag1, bool)
    out = np.full(len(f0), -1)
    out[f0 & ~f1] = 0 if pick_flagged else 1
    out[f1 & ~f0] = 1 if pick_flagged else 0
    return out


def _bip69(tx, outs, ins) -> pd.Series:
    """Per txid: are inputs and outputs in BIP-69 order (Möser & Narayanan's "sorted
    inputs and outputs" fingerprint)? Inputs ascend by previous txid then index, outputs by
    value (ties allowed); a coinbase or a single input or output is trivially in order.

    >>> t = pd.DataFrame({"txid": ["a", "b"]})
    >>> o = pd.DataFrame({"txid": ["a", "a", "b", "b"], "vout": [0, 1, 0, 1], "value": [1, 2, 1, 2]})
    >>> i = pd.DataFrame({"txid": ["a", "a", "b", "b"], "vin": [0, 1, 0, 1],
    ...                   "prev_txid": ["01", "02", "02", "01"], "prev_vout": [0, 0, 0, 0]})
    >>> _bip69(t, o, i).to_dict()
    {'a': True, 'b': False}
    """
    o = outs.sort_values(["txid", "vout"])
    step = o.groupby("txid", sort=False)["value"].diff()
    out_ok = step.fillna(0).ge(0).groupby(o["txid"], sort=False).all()
    i = ins.sort_values(["txid", "vin"])
    key = i["prev_txid"] + ":" + i["prev_vout"].astype(str).str.zfill(10)
    before = key.groupby(i["txid"], sort=False).shift()
    in_ok = (before.isna() | (key >= before)).groupby(i["txid"], sort=False).all()
    ok = pd.Series(True, index=tx["txid"])
    ok &= out_ok.reindex(ok.index, fill_value=True)
    ok &= in_ok.reindex(ok.index, fill_value=True)
    return ok


def predictions(gt, tx, outs, ins) -> dict[str, np.ndarray]:
    """Each heuristic's named output (0, 1 or -1) for every row of ``gt``."""
    mine = ins[ins["txid"].isin(gt["txid"])]
    min_in = gt["txid"].map(mine.groupby("txid")["value"].min()).to_numpy()
    types = mine.groupby("txid")["script_type"].agg(["nunique", "first"])
    one_type = gt["txid"].map(types["nunique"]).eq(1).to_numpy()
    in_type = gt["txid"].map(types["first"]).to_numpy()
    # the first output paying each address, in chain order (outs is sorted by block order)
    first = outs.drop_duplicates("address").set_index("address")["txid"]
    feat = tx.set_index("txid")
    order = _bip69(tx, outs, ins)
    pred = {
        "optimal change": _one_of(gt["value0"] < min_in, gt["value1"] < min_in),
        "address type": np.where(
            one_type,
            _one_of(gt["script_type0"] == in_type, gt["script_type1"] == in_type),
            -1,
        ),
        "one-time change": _one_of(
            gt["address0"].map(first) == gt["txid"], gt["address1"].map(first) == gt["txid"]
        ),
        "power of ten": _one_of(gt["value0"] % 100 == 0, gt["value1"] % 100 == 0, False),
    }
    fingerprints = {
        "BIP-69": order,
        "locktime fingerprint": feat["locktime"] > 0,
        "version fingerprint": feat["version"],
    }
    for name, f in fingerprints.items():
        own = gt["txid"].map(f).to_numpy()
        pred[name] = _one_of(
            gt["spent_txid0"].map(f).to_numpy() == own, gt["spent_txid1"].map(f).to_numpy() == own
        )
    return pred


def scores(tx, outs, ins, truth) -> list[Score]:
    """Coverage and precision of every heuristic on the dataset's ground-truth set."""
    gt = ground_truth_set(tx, outs, ins, truth)
    change = gt["change"].to_numpy()
    out = []
    for name, p in predictions(gt, tx, outs, ins).items():
        named = p >= 0
        cov = named.mean() if len(p) else 0.0
        prec = (p[named] == change[named]).mean() if named.any() else 0.0
        out.append(Score(name, float(cov), float(prec), len(gt)))
    return out
