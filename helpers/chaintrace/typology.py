"""Typologies: the shape of money's first move, and a market's vendor payouts matched to escrows.

Each criminal business model moves money in its own way (module 10): a ransomware group splits
a ransom two ways, a darknet market pools one-use escrow addresses into one output, an exchange
sweeps a nested service's reused deposit address, a thief fans the loot out over many fresh
addresses. The most stable part of that shape is the **first move**: the transaction that first
spends what was received. :func:`first_move` measures it in a few numbers a rule can read.

Inside a market's pooled wallet coins lose their identity, but the market's accounting does
not: it owes each vendor a fixed share of that vendor's escrows. :func:`match_payouts` explains
each output of a batch payout as that share of a set of the sweep's escrows, or says it found
none. That is arithmetic, not a heuristic about ownership, and it fails loudly when the assumed
share is wrong.

>>> import chaintrace as ct
>>> chain = ct.open_chain()
>>> case = ct.load_case("darknet-01")
>>> move = first_move(case.order_txid, case.escrow_address, chain=chain)
>>> move.outputs, move.one_use_inputs                 # the escrows of one sweep, pooled into one output
(1, 1.0)
>>> move.blocks >= 0
True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ChaintraceError

if TYPE_CHECKING:  # pandas is imported where used
    import pandas as pd

    from .chain import Chain
    from .model import Transaction

# a sweep pooling more escrows than this makes the subset search too slow to be worth it
# (2**16 subsets per output); split the question instead
MAX_ESCROWS = 16


class TypologyError(ChaintraceError, ValueError):
    """A first move or a payout match cannot be measured; the message says what to check."""


@dataclass(frozen=True)
class FirstMove:
    """The first transaction that spent money an address received, in numbers.

    ``one_use_inputs`` is the share of the move's *distinct* input addresses that received
    exactly one payment on the whole chain (escrows and fresh addresses are used once; deposit
    addresses and wallets are not). ``blocks`` counts blocks from the receiving transaction to
    the move: the order the chain guarantees. ``hours`` comes from block times, which miners set
    themselves (up to two hours off, and not always increasing), so read it as approximate.
    ``input_once`` says, input by input, whether its address received exactly one payment;
    ``followed_vin`` is the input that spends the money followed.
    """

    received_txid: str
    address: str
    txid: str
    inputs: int
    outputs: int
    input_addresses: int
    one_use_inputs: float
    largest_share: float
    output_sats: tuple[int, ...]
    input_once: tuple[bool, ...]
    followed_vin: int | None
    blocks: int | None
    hours: float | None

    def as_dict(self) -> dict:
        """The numbers a typology rule reads (the keys of module 10's table)."""
        return {
            "inputs": self.inputs,
            "outputs": self.outputs,
            "largest_share": self.largest_share,
            "one_use_inputs": self.one_use_inputs,
            "blocks": self.blocks,
            "hours": self.hours,
        }


def _chain(chain: Chain | None) -> Chain:
    if chain is not None:
        return chain
    from .chain import open_chain

    return open_chain()


def first_move(txid: str, address: str, *, chain: Chain | None = None) -> FirstMove:
    """The shape of the transaction that first spent what ``txid`` paid to ``address``.

    If ``txid`` paid ``address`` several outputs, the first (lowest ``vout``) is followed.
    ``chain`` defaults to ``open_chain()`` (the active course dataset); pass an ``Esplora``
    to measure a live chain.

    >>> import chaintrace as ct
    >>> case = ct.load_case("ransom-01")
    >>> move = first_move(case.payment_txid, case.ransom_address)
    >>> move.outputs, 0.5 <= move.largest_share < 1
    (2, True)
    >>> first_move(case.payment_txid, case.victim_address)
    Traceback (most recent call last):
    ...
    chaintrace.typology.TypologyError: transaction ... pays no output to ...
    """
    chain = _chain(chain)
    received = chain.tx(txid)
    paying = [o for o in received.outputs if o.address == address]
    if not paying:
        raise TypologyError(
            f"transaction {txid} pays no output to {address}: check the address (the one that "
            "received the money) and the txid (the transaction that paid it)"
        )
    output = paying[0]
    if not output.spent_txid:
        raise TypologyError(
            f"the output {txid}:{output.vout} paying {address} is unspent: the money has not "
            "moved yet, so there is no first move to measure"
        )
    move = chain.tx(output.spent_txid)
    spent_from = {i.address for i in move.inputs if i.address}
    used_once = {a: chain.address_summary(a).funded_count == 1 for a in spent_from}
    once = sum(used_once.values())
    values = tuple(o.value for o in move.outputs)
    total = sum(values)
    blocks = (
        move.height - received.height
        if move.height is not None and received.height is not None
        else None
    )
    hours = (
        (move.time - received.time).total_seconds() / 3600
        if move.time is not None and received.time is not None
        else None
    )
    return FirstMove(
        received_txid=received.txid,
        address=address,
        txid=move.txid,
        inputs=len(move.inputs),
        outputs=len(move.outputs),
        input_addresses=len(spent_from),
        one_use_inputs=once / len(spent_from) if spent_from else 0.0,
        largest_share=max(values) / total if total else 0.0,
        output_sats=values,
        input_once=tuple(used_once.get(i.address, False) for i in move.inputs),
        followed_vin=next(
            (
                n
                for n, i in enumerate(move.inputs)
                if (i.prev_txid, i.prev_vout) == (received.txid, output.vout)
            ),
            None,  # only if the chain source mislinks its spends
        ),
        blocks=blocks,
        hours=hours,
    )


def match_payouts(
    batch: Transaction,
    sweep: Transaction,
    wallet,
    *,
    commission: float = 0.05,
    tolerance: int = 10,
) -> pd.DataFrame:
    """Explain each output of a market's batch payout by the escrows of a sweep.

    A market owes each vendor ``(1 - commission)`` times the sum of that vendor's escrows.
    For every output of ``batch`` paying outside ``wallet`` (the market's own addresses), this
    finds the smallest set of ``sweep``'s inputs (the escrows) whose share lies within
    ``tolerance`` sats of the output (the market rounds each share down). One row per output:
    ``vout``, ``address``, ``sats``, ``explained_by`` (``"change to the market"``, ``"95 % of 2
    escrow(s)"``, or ``"no match"``) and ``escrow_vins``, the input indices of ``sweep`` that
    were matched (``sweep.inputs[vin].prev_txid`` is that buyer's order).

    A "no match" is information: a wrong commission, a batch paying another sweep's escrows,
    or an output that is not a vendor's share at all.

    >>> from chaintrace.model import Transaction, TxInput, TxOutput
    >>> def tx(txid, ins, outs):
    ...     return Transaction(txid, tuple(TxInput("00" * 32, n, a, v, "p2wpkh", 0)
    ...         for n, (a, v) in enumerate(ins)), tuple(TxOutput(n, a, v, "p2wpkh", None, None)
    ...         for n, (a, v) in enumerate(outs)), 0, 0, 0, 0, 2, 0, None, None, 0, False)
    >>> sweep = tx("s" * 64, [("e1", 100_000), ("e2", 300_000), ("e3", 200_000)], [("m", 599_000)])
    >>> batch = tx("b" * 64, [("m", 599_000)], [("v1", 475_000), ("v2", 95_000), ("m", 28_000)])
    >>> match_payouts(batch, sweep, {"m"})[["vout", "explained_by", "escrow_vins"]]
       vout          explained_by escrow_vins
    0     0  95 % of 2 escrow(s)      (1, 2)
    1     1  95 % of 1 escrow(s)        (0,)
    2     2  change to the market          ()
    """
    import pandas as pd

    if not 0 <= commission < 1:
        raise TypologyError(
            f"commission {commission!r} is not a fraction: give the market's cut as a number "
            "from 0 to 1 (5 % is 0.05)"
        )
    escrows = [i.value for i in sweep.inputs]
    if len(escrows) > MAX_ESCROWS:
        raise TypologyError(
            f"the sweep pools {len(escrows)} escrows; trying every set of more than "
            f"{MAX_ESCROWS} is too slow. Match against part of the sweep's inputs at a time."
        )
    wallet = set(wallet)
    share = 1 - commission
    # every set of escrows, smallest first, so the simplest explanation wins
    subsets = [
        combo
        for size in range(1, len(escrows) + 1)
        for combo in itertools.combinations(range(len(escrows)), size)
    ]
    rows = []
    for output in batch.outputs:
        if output.address in wallet:
            found, words = (), "change to the market"
        else:
            found = next(
                (
                    combo
                    for combo in subsets
                    if abs(output.value - share * sum(escrows[i] for i in combo)) <= tolerance
                ),
                None,
            )
            words = (
                f"{share:.0%} of {len(found)} escrow(s)".replace("%", " %") if found else "no match"
            )
        rows.append(
            {
                "vout": output.vout,
                "address": output.address,
                "sats": output.value,
                "explained_by": words,
                "escrow_vins": tuple(found or ()),
            }
        )
    return pd.DataFrame(rows, columns=["vout", "address", "sats", "explained_by", "escrow_vins"])
