"""The transaction types every chain backend returns.

Whether a transaction came from the bundled dataset or from an Esplora server, it arrives as
the same frozen :class:`Transaction`, so a notebook works unchanged against either. Amounts
are integer satoshis; the ``btc`` columns and the printed forms are for reading only.

>>> from datetime import datetime, timezone
>>> tx = Transaction(
...     txid="ab" * 32,
...     inputs=(TxInput("cd" * 32, 1, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 60_000, "p2pkh", 0xFFFFFFFF),),
...     outputs=(TxOutput(0, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 50_000, "p2wpkh"),),
...     fee=10_000, size=191, vsize=191, weight=764, version=2, locktime=0, height=800_000,
...     time=datetime(2023, 7, 24, tzinfo=timezone.utc), confirmations=6, coinbase=False)
>>> tx.value_in, tx.value_out, round(tx.fee_rate, 2)
(60000, 50000, 52.36)
>>> tx.output(0).spent
False
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

from .messages import translate
from .units import SATS_PER_BTC, btc

__all__ = ["TxInput", "TxOutput", "Transaction", "AddressSummary", "Spend"]


@dataclass(frozen=True, slots=True)
class TxInput:
    """One input: the previous output it spends, and that output's address and value.

    >>> TxInput("00" * 32, 0, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 5_000, "p2pkh", 0).outpoint
    '0000000000000000000000000000000000000000000000000000000000000000:0'
    """

    prev_txid: str
    prev_vout: int
    address: str
    value: int
    script_type: str
    sequence: int

    @property
    def outpoint(self) -> str:
        """``txid:vout`` of the output this input spends."""
        return f"{self.prev_txid}:{self.prev_vout}"


@dataclass(frozen=True, slots=True)
class TxOutput:
    """One output; ``spent_txid``/``spent_vin`` name the spending input when it is spent.

    ``address`` is ``""`` for outputs without one (OP_RETURN data carriers).

    >>> TxOutput(0, "", 0, "op_return").spent
    False
    """

    vout: int
    address: str
    value: int
    script_type: str
    spent_txid: str | None = None
    spent_vin: int | None = None

    @property
    def spent(self) -> bool:
        """True when a known transaction spends this output."""
        return self.spent_txid is not None


@dataclass(frozen=True, slots=True)
class Spend:
    """Where an output went: the spending transaction, its input index, height and time."""

    txid: str
    vin: int
    height: int | None
    time: datetime | None


@dataclass(frozen=True, slots=True)
class AddressSummary:
    """Totals for one address, in the terms Esplora uses (counts of outputs, sums in sats).

    >>> AddressSummary("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 2, 2, 30_000, 1, 10_000, 20_000).balance
    20000
    """

    address: str
    tx_count: int
    funded_count: int
    funded_sum: int
    spent_count: int
    spent_sum: int
    balance: int

    def __str__(self) -> str:
        """The totals in one line, in the reader's language (:mod:`chaintrace.messages`)."""
        return translate(
            f"{self.address}: {self.tx_count} transactions, received {btc(self.funded_sum)} "
            f"in {self.funded_count} outputs, spent {btc(self.spent_sum)} in "
            f"{self.spent_count}, balance {btc(self.balance)}"
        )


@dataclass(frozen=True, slots=True)
class Transaction:
    """A transaction with its inputs (what it spends) and outputs (what it creates).

    ``height``/``time`` are ``None`` and ``confirmations`` is 0 while unconfirmed. ``time`` is
    a timezone-aware UTC datetime. A coinbase transaction has no inputs.

    ``unverified`` names the fields the backend could not check for itself and took on a
    server's word (empty for the bundled dataset; see ``chaintrace.Esplora``): ``"inputs"``
    (input addresses, values, script types), ``"fee"``, ``"height"``, ``"time"``,
    ``"confirmations"``, ``"spends"`` (the outputs' ``spent_txid``/``spent_vin``). It does not
    take part in ``==``: the same transaction is equal however well it was checked.
    """

    txid: str
    inputs: tuple[TxInput, ...]
    outputs: tuple[TxOutput, ...]
    fee: int
    size: int
    vsize: int
    weight: int
    version: int
    locktime: int
    height: int | None
    time: datetime | None
    confirmations: int
    coinbase: bool
    unverified: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def value_in(self) -> int:
        """Sum of input values in sats (0 for a coinbase)."""
        return sum(i.value for i in self.inputs)

    @property
    def value_out(self) -> int:
        """Sum of output values in sats."""
        return sum(o.value for o in self.outputs)

    @property
    def fee_rate(self) -> float:
        """Fee in sats per virtual byte."""
        return self.fee / self.vsize if self.vsize else 0.0

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    @property
    def n_outputs(self) -> int:
        return len(self.outputs)

    @property
    def confirmed(self) -> bool:
        return self.height is not None

    def output(self, vout: int) -> TxOutput:
        """The output at index ``vout``, with a clear error when there is none."""
        if not 0 <= vout < len(self.outputs):
            raise IndexError(
                f"transaction {self.txid} has {len(self.outputs)} outputs "
                f"(vout 0 to {len(self.outputs) - 1}); there is no vout {vout}"
            )
        return self.outputs[vout]

    def inputs_frame(self):
        """The inputs as a pandas DataFrame, with a ``btc`` column for reading."""
        import pandas as pd

        cols = ["prev_txid", "prev_vout", "address", "value", "script_type", "sequence"]
        frame = pd.DataFrame([[getattr(i, c) for c in cols] for i in self.inputs], columns=cols)
        frame.insert(4, "btc", frame["value"].astype("float64") / SATS_PER_BTC)
        return frame.astype({"prev_vout": "int64", "value": "int64", "sequence": "int64"})

    def outputs_frame(self):
        """The outputs as a pandas DataFrame, with a ``btc`` column for reading."""
        import pandas as pd

        cols = ["vout", "address", "value", "script_type", "spent_txid", "spent_vin"]
        rows = [[getattr(o, c) for c in cols] for o in self.outputs]
        frame = pd.DataFrame(rows, columns=cols)
        frame.insert(3, "btc", frame["value"].astype("float64") / SATS_PER_BTC)
        return frame.astype({"vout": "int64", "value": "int64", "spent_vin": "Int64"})

    def _when(self) -> str:
        if self.time is None:
            return translate("unconfirmed (in the mempool)")
        from .formats import date_text, number_text  # formats reads datasets: imported here

        return translate(
            f"{date_text(self.time)} {self.time:%H:%M:%S} UTC, block {number_text(self.height, 0)}, "
            f"{number_text(self.confirmations, 0)} confirmations"
        )

    def _fee(self) -> str:
        """The fee and its rate, in English with the reader's number forms (translated by the caller)."""
        from .formats import number_text

        return f"fee {btc(self.fee)} ({number_text(self.fee_rate, 1)} sat/vB), {self.vsize} vB"

    def __str__(self) -> str:
        """The transaction as ``print()`` shows it, in the reader's language (the data as is)."""
        coinbase = translate(" coinbase (new coins)") if self.coinbase else ""
        lines = [
            translate(f"Transaction {self.txid}"),
            f"  {self._when()}",
            "  " + translate(self._fee()),
            "  " + translate(f"inputs ({self.n_inputs}):") + coinbase,
        ]
        if self.unverified:  # an exhibit must not present a server's word as checked fact
            unverified = ", ".join(sorted(self.unverified))
            lines.insert(1, "  " + translate(f"unverified (server's word): {unverified}"))
        for i in self.inputs:
            address = i.address or translate("(no address)")
            lines.append(f"    {btc(i.value):>20}  {address}  <- {i.outpoint}")
        lines.append("  " + translate(f"outputs ({self.n_outputs}):"))
        for o in self.outputs:
            spent = "  " + translate(f"-> spent in {o.spent_txid}:{o.spent_vin}") if o.spent else ""
            lines.append(
                f"    {o.vout:>3} {btc(o.value):>20}  {o.address or '(' + o.script_type + ')'}{spent}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape

        def say(text: str) -> str:
            return e(translate(text))

        ins = (
            "".join(
                f"<tr><td><code>{e(i.address) or '-'}</code></td><td style='text-align:right'>"
                f"{btc(i.value, unit=False)}</td><td>{e(i.script_type)}</td>"
                f"<td><code>{e(i.prev_txid[:12])}…:{i.prev_vout}</code></td></tr>"
                for i in self.inputs
            )
            or f"<tr><td colspan='4'>{say('coinbase: newly minted coins and fees')}</td></tr>"
        )
        unspent = say("unspent")
        outs = "".join(
            f"<tr><td>{o.vout}</td><td><code>{e(o.address) or '-'}</code></td>"
            f"<td style='text-align:right'>{btc(o.value, unit=False)}</td><td>{e(o.script_type)}</td>"
            f"<td>{'<code>' + e(o.spent_txid[:12]) + f'…:{o.spent_vin}</code>' if o.spent else unspent}</td></tr>"
            for o in self.outputs
        )
        fee = f"{self._fee()}, in {btc(self.value_in)}, out {btc(self.value_out)}"
        return (
            "<div style='font-family:sans-serif'>"
            f"<b>{say('Transaction')}</b> <code>{e(self.txid)}</code><br>{e(self._when())}<br>"
            f"{say(fee)}"
            f"<table><tr><th>{say('input address')}</th><th>BTC</th><th>{say('type')}</th>"
            f"<th>{say('spends')}</th></tr>{ins}</table>"
            f"<table><tr><th>vout</th><th>{say('output address')}</th><th>BTC</th>"
            f"<th>{say('type')}</th><th>{say('spent by')}</th></tr>{outs}</table></div>"
        )
