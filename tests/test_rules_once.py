"""Each change rule and CoinJoin shape is defined once, over the engine's arrays.

The dataset-wide tables (``change_table``, ``coinjoin_table``) and the explanations of one
transaction (``change_candidates``, ``is_coinjoin``) run the same definitions. The rules
written the plain way, one transaction at a time (``_change_oracle``, ``_coinjoin_oracle``:
the way the lessons describe them, and the toolkit's code before the rules were unified),
must give the same answers: on every transaction of the course dataset and of economies
generated from other seeds.
"""

from __future__ import annotations

import _change_oracle as change_oracle
import _coinjoin_oracle as coinjoin_oracle
import numpy as np
import pytest
from chaintrace import (
    LocalChain,
    change_candidates,
    change_table,
    coinjoin_table,
    is_coinjoin,
    load_dataset,
)


def _generated(seed: int, folder) -> LocalChain:
    from chaintrace.sim import generate

    generate(seed, 3_000, folder / "data", folder / "truth", name=f"seed-{seed}", cases=False)
    return LocalChain(load_dataset(folder / "data"))


@pytest.fixture(scope="module", params=["course", 7, 23])
def chain(request, tmp_path_factory):
    if request.param == "course":
        return LocalChain(load_dataset("course"))
    return _generated(request.param, tmp_path_factory.mktemp(f"seed-{request.param}"))


def _vote(votes) -> list[tuple]:
    return [(v.heuristic, v.vout, v.reason) for v in votes]


def test_change_table_is_the_plain_rules_on_every_transaction(chain):
    table = change_table(chain.dataset)
    candidates = table[table["n_candidates"] >= 2]
    assert len(candidates) > 1_000
    for row in candidates.itertuples(index=False):
        vout, confidence, votes = change_oracle.change_votes(chain.tx(row.txid), chain)
        for v in votes:
            assert getattr(row, v.heuristic) == (-1 if v.vout is None else v.vout), row.txid
        assert row.vout == (-1 if vout is None else vout), row.txid
        if confidence is not None:
            assert row.confidence == pytest.approx(confidence, abs=1e-9)


def test_each_explanation_is_the_plain_rules_in_the_same_words(chain):
    """With a chain to ask, and without one (the rules needing spenders or histories say so)."""
    table = change_table(chain.dataset)
    rows = np.flatnonzero(table["n_candidates"].to_numpy() >= 2)
    for i in np.random.default_rng(11).choice(rows, 200, replace=False):
        tx = chain.tx(table["txid"].iloc[int(i)])
        for asked in (chain, None):
            vout, confidence, votes = change_oracle.change_votes(tx, asked)
            verdict = change_candidates(tx, asked)
            assert _vote(verdict.votes) == _vote(votes), tx.txid
            assert (verdict.vout, verdict.confidence) == (vout, confidence)


def test_coinjoin_table_and_verdicts_are_the_plain_rules_on_every_transaction(chain):
    table = coinjoin_table(chain.dataset)
    explained = set(np.random.default_rng(3).choice(len(table), 300, replace=False).tolist())
    explained |= set(np.flatnonzero(table["kind"].notna().to_numpy()).tolist())  # every shape
    for i, row in enumerate(table.itertuples(index=False)):
        tx = chain.tx(row.txid)
        plain = coinjoin_oracle.is_coinjoin(tx)
        kind = row.kind if isinstance(row.kind, str) else None  # the table's text column: NaN
        assert (row.is_coinjoin, kind, row.denomination, row.n_equal) == (
            plain.is_coinjoin,
            plain.kind,
            plain.denomination,
            plain.n_equal,
        ), row.txid
        if i in explained:
            assert is_coinjoin(tx) == plain
