"""The simulated chain's state: outputs, transactions and who can spend what.

The ledger enforces the rules a real node does, so a bug in a behaviour fails loudly here rather
than producing a chain a trainee could catch lying: value is conserved (inputs = outputs + fee),
nothing is spent twice, and an output can be spent only from the next block on (a coinbase
output only after 100 blocks).

>>> import random
>>> from chaintrace.sim.addresses import AddressBook
>>> book = AddressBook(random.Random(1))
>>> ledger = Ledger(book)
>>> a = book.new(0, "coinbase", "p2wpkh")
>>> t = ledger.coinbase(100, [(a, 50_000)])
>>> ledger.release(200)
>>> ledger.balance(0, "coinbase")
50000
"""

import heapq
from array import array

from ..errors import ChaintraceError
from .calendar import COINBASE_MATURITY

# which pocket of its owner's wallet an output lands in, by the role of the address it pays
POCKETS = {
    "deposit": "deposit",
    "hot": "hot",
    "cold": "cold",
    "held": "held",
    "invoice": "deposit",
    "escrow": "deposit",
    "coinbase": "coinbase",
    "mix_in": "deposit",
    "premix": "premix",
    "postmix": "postmix",
    "wallet_b": "b",
}


class LedgerError(ChaintraceError, RuntimeError):
    """A behaviour tried something a node would reject (a generator bug)."""


class Ledger:
    """Parallel lists of outputs and transactions; wallets are ordered sets of output ids."""

    def __init__(self, book):
        self.book = book
        # Number columns are arrays of 64-bit integers, not lists: 8 bytes an entry instead of a
        # pointer plus an int object (~40), which is what lets 10^7 transactions fit in memory,
        # and the writer reads them as numpy arrays without copying.
        self.o_tx = array("q")
        self.o_vout = array("q")
        self.o_addr = array("q")  # -1 for OP_RETURN
        self.o_value = array("q")
        self.o_spent = array("q")  # spending tx id or -1
        self.o_vin = array("q")
        self.o_data: dict[int, bytes] = {}  # OP_RETURN scripts
        self.t_height = array("q")
        self.t_version = array("q")
        self.t_locktime = array("q")
        self.t_inputs: list[list[int]] = []
        self.t_sequence = array("q")
        self.t_outputs: list[list[int]] = []
        self.t_fee = array("q")
        self.t_entity = array("q")
        self.t_typology: list[str] = []
        self.t_change = array("q")
        self.blocks: list[list[int]] = []  # tx ids per block, coinbase first
        self.block_txs: list[int] = []  # non-coinbase txs of the block being built
        self.wallets: dict[tuple[int, str], dict[int, None]] = {}
        self.balances: dict[tuple[int, str], int] = {}  # running sum of each pocket
        self._pending: list[tuple[int, int]] = []  # (spendable from height, output id)
        # cases run apart from the background (see chaintrace.sim.casework): while a case's step
        # runs, ``scope`` is its id; the outputs it makes land in pockets only that case sees,
        # so the background never spends, sweeps or counts them
        self.scope: str | None = None
        self.o_scope: dict[int, str] = {}  # output id -> case id (outputs made by cases)
        self.t_case: dict[int, str] = {}  # tx id -> case id (transactions made by cases)
        # txs whose wallet sorts inputs as BIP-69 says (by previous txid): the writer does it,
        # as only it knows txids
        self.sorted_inputs: set[int] = set()

    # ------------------------------------------------------------------ wallets
    @staticmethod
    def pocket_key(entity: int, pocket: str, scope: str | None) -> tuple[int, str]:
        """The wallet key of a pocket: a case's pockets are apart from the background's.

        >>> Ledger.pocket_key(3, "hot", None), Ledger.pocket_key(3, "hot", "ransom-01")
        ((3, 'hot'), (3, 'hot@ransom-01'))
        """
        return (entity, pocket if scope is None else f"{pocket}@{scope}")

    def _key_of(self, out: int) -> tuple[int, str]:
        addr = self.o_addr[out]
        pocket = POCKETS.get(self.book.role[addr], "main")
        return self.pocket_key(self.book.entity[addr], pocket, self.o_scope.get(out))

    def pocket(self, entity: int, pocket: str = "main") -> dict[int, None]:
        """The ordered set of spendable output ids in one pocket of an entity's wallet."""
        key = self.pocket_key(entity, pocket, self.scope)
        if key not in self.wallets:
            self.wallets[key] = {}
        return self.wallets[key]

    def balance(self, entity: int, pocket: str = "main") -> int:
        """Spendable satoshis in one pocket."""
        return self.balances.get(self.pocket_key(entity, pocket, self.scope), 0)

    def release(self, height: int) -> None:
        """Make every output confirmed early enough spendable at ``height``."""
        pending = self._pending
        while pending and pending[0][0] <= height:
            _, out = heapq.heappop(pending)
            if self.o_spent[out] != -1:  # a case script spent it straight away
                continue
            key = self._key_of(out)
            self.wallets.setdefault(key, {})[out] = None
            self.balances[key] = self.balances.get(key, 0) + self.o_value[out]

    def take(self, outs) -> None:
        """Remove outputs from whichever pocket holds them (before spending them)."""
        for out in outs:
            key = self._key_of(out)
            if self.wallets.get(key, {}).pop(out, 0) is None:
                self.balances[key] -= self.o_value[out]

    # ------------------------------------------------------------------ transactions
    def _outputs(self, tx: int, outputs, available: int, scope: str | None) -> list[int]:
        ids, book = [], self.book
        for vout, (addr, value) in enumerate(outputs):
            out = len(self.o_value)
            self.o_tx.append(tx)
            self.o_vout.append(vout)
            self.o_value.append(value)
            self.o_spent.append(-1)
            self.o_vin.append(-1)
            if isinstance(addr, bytes):  # an OP_RETURN script
                self.o_addr.append(-1)
                self.o_data[out] = addr
            else:
                self.o_addr.append(addr)
                if scope is not None:
                    self.o_scope[out] = scope
                book.used[addr] = True
                heapq.heappush(self._pending, (available, out))
            ids.append(out)
        return ids

    def add(
        self,
        height: int,
        inputs: list[int],
        outputs: list[tuple],
        *,
        entity: int,
        typology: str,
        change_vout: int = -1,
        version: int = 2,
        locktime: int = 0,
        sequence: int = 0xFFFFFFFF,
    ) -> int:
        """Record a transaction spending ``inputs`` (output ids) and paying ``outputs``.

        ``outputs`` are ``(address id, value)`` pairs, or ``(op_return_script_bytes, 0)``.
        The fee is what the inputs hold beyond the outputs. Returns the transaction id.
        """
        tx = len(self.t_height)
        total_in = 0
        for vin, out in enumerate(inputs):
            if self.o_scope.get(out) != self.scope:
                raise LedgerError(
                    f"tx {tx} ({typology}) of {self.scope or 'the background'} spends output "
                    f"{out} of {self.o_scope.get(out) or 'the background'}: cases and the "
                    "background never spend each other's coins"
                )
            if self.o_spent[out] != -1:
                raise LedgerError(f"output {out} spent twice (tx {tx}, typology {typology})")
            self.o_spent[out] = tx
            self.o_vin[out] = vin
            total_in += self.o_value[out]
        total_out = sum(v for _, v in outputs)
        if not inputs or total_out > total_in or min(v for _, v in outputs) < 0:
            raise LedgerError(f"tx {tx} ({typology}) spends {total_in} but pays {total_out}")
        self.take(inputs)
        self.t_height.append(height)
        self.t_version.append(version)
        self.t_locktime.append(locktime)
        self.t_inputs.append(list(inputs))
        self.t_sequence.append(sequence)
        self.t_fee.append(total_in - total_out)
        self.t_entity.append(entity)
        self.t_typology.append(typology)
        self.t_change.append(change_vout)
        self.t_outputs.append(self._outputs(tx, outputs, height + 1, self.scope))
        if self.scope is not None:
            self.t_case[tx] = self.scope
        self.block_txs.append(tx)
        return tx

    def coinbase(
        self, height: int, outputs: list[tuple], entity: int = -1, scope: str | None = None
    ) -> int:
        """Close the block at ``height`` with its coinbase (placed first in the block).

        ``scope`` puts the reward in a pocket apart from the background's (a case's endowment,
        or the reserve of a block holding case transactions, which nobody spends).
        """
        tx = len(self.t_height)
        self.t_height.append(height)
        self.t_version.append(2)
        self.t_locktime.append(0)
        self.t_inputs.append([])
        self.t_sequence.append(0xFFFFFFFF)
        self.t_fee.append(0)
        self.t_entity.append(entity)
        self.t_typology.append("coinbase")
        self.t_change.append(-1)
        self.t_outputs.append(self._outputs(tx, outputs, height + COINBASE_MATURITY, scope))
        self.blocks.append([tx, *self.block_txs])
        self.block_txs = []
        return tx

    def block_fees(self) -> int:
        """Fees of the transactions in the block being built (the miner's to claim)."""
        return sum(self.t_fee[t] for t in self.block_txs)
