"""Hand-built transactions for the analytics tests (heuristics, CoinJoin, clustering).

``tx("a", ins, outs)`` makes a :class:`chaintrace.Transaction` whose txid is ``"a" * 64`` (or
the given 64-hex text); ``addr("label", type)`` a valid mainnet address; ``FakeChain`` answers
just what the change heuristics ask (spenders, an address's txids).
"""

from datetime import UTC, datetime

from _chain_fixtures import address as addr  # noqa: F401 (re-exported)
from chaintrace.model import Transaction, TxInput, TxOutput

WHEN = datetime(2024, 3, 1, tzinfo=UTC)


def tx(txid, ins, outs, *, version=2, locktime=0, seq=0xFFFFFFFD, height=830_000, prevs=None):
    """ins: [(address, value, type)]; outs: [(address, value, type, spent_txid or None)].

    ``prevs`` optionally gives each input's (prev_txid, prev_vout); by default they are made up.
    """
    prevs = prevs or [(f"{n:064x}", 0) for n in range(1, len(ins) + 1)]
    outs = [o if len(o) == 4 else (*o, None) for o in outs]
    return Transaction(
        txid=txid * 64 if len(txid) == 1 else txid,
        inputs=tuple(
            TxInput(p, pv, a, v, t, seq) for (p, pv), (a, v, t) in zip(prevs, ins, strict=True)
        ),
        outputs=tuple(
            TxOutput(n, a, v, t, s, 0 if s else None) for n, (a, v, t, s) in enumerate(outs)
        ),
        fee=sum(v for _, v, _ in ins) - sum(o[1] for o in outs),
        size=200,
        vsize=150,
        weight=600,
        version=version,
        locktime=locktime,
        height=height,
        time=WHEN,
        confirmations=1,
        coinbase=not ins,
    )


class FakeChain:
    """Just enough of a Chain: spenders by txid and each address's txids, newest first."""

    def __init__(self, txs, history=None):
        self.txs = {t.txid: t for t in txs}
        self.history = history or {}

    def tx(self, txid):
        return self.txs[txid]

    def address_txids(self, address):
        return self.history.get(address, [])
