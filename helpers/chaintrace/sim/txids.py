"""Transaction ids, sizes and block hashes, block by block, in this process or a second one.

A txid is the double SHA-256 of the transaction's serialisation, and an input names the txid
of the coin it spends, so txids are computed in block order. Everything the computation needs
of a block (its transactions' inputs, outputs and fields, the block's time) is copied out of
the ledger as plain tuples (:func:`block_records`) and handed to a :class:`TxidPass`. The
pass never reads the ledger, so it can run in a second process that is fed each day's blocks
while the economy is still being simulated (:class:`Pipeline`): at 10^6 transactions that
takes the ~25 s the pass costs off the generator's wall time. Both ways run the same pass and
give the same bytes (``tests/test_sim_txids.py``).

>>> p = TxidPass()
>>> coinbase = (0, 840_000, 2, 0, 0xFFFFFFFF, False, (), ((50, b"\\x51"), (0, b"\\x6a")))
>>> p.block(1_700_000_000, [coinbase])
>>> len(p.txid_bytes()), p.commitments[0][:6].hex(), p.block_hash[0][:19]
(32, '6a24aa21a9ed', '0000000000000000000')
"""

import gc
import marshal
import multiprocessing
import struct
from array import array
from typing import NoReturn

from ..encoding import sha256d
from ..errors import ChaintraceError
from ..rebuild import COINBASE_VOUT, coinbase_script_sig
from .addresses import SPEND_TYPE
from .fastser import output, transaction, unlock, varint

_COINBASE_PREV = bytes(32) + struct.pack("<I", COINBASE_VOUT)
_COINBASE_WITNESS = b"\x01\x20" + bytes(32)
_COMMITMENT = b"\x6a\x24\xaa\x21\xa9\xed"  # OP_RETURN, push 36, the BIP-141 commitment tag
BLOCKS_PER_MESSAGE = 144  # a day of blocks per message to the second process


def varint_sig(height: int) -> bytes:
    """The coinbase script_sig of ``height`` with its length prefix."""
    script = coinbase_script_sig(height)
    return varint(len(script)) + script


def _merkle(hashes: list[bytes]) -> bytes:
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def block_records(eco, b: int) -> tuple:
    """``(time, records)`` of block ``b``: one tuple per transaction, coinbase first.

    A record is ``(tx, height, version, locktime, sequence, sorts_inputs, inputs, outputs)``
    with inputs as ``(output id, its tx, its vout, spend type)`` and outputs as ``(value,
    locking script)``.
    """
    led, book = eco.ledger, eco.book
    spk, true_type = book.script_pubkey, book.true_type
    o_addr, o_tx, o_vout, o_value, o_data = (
        led.o_addr,
        led.o_tx,
        led.o_vout,
        led.o_value,
        led.o_data,
    )
    records = []
    for t in led.blocks[b]:
        ins = tuple(
            (o, o_tx[o], o_vout[o], SPEND_TYPE[true_type[o_addr[o]]]) for o in led.t_inputs[t]
        )
        # an output pays an address's script, or is an OP_RETURN holding its own (o_addr -1)
        outs = tuple(
            (o_value[o], o_data[o] if o_addr[o] < 0 else spk[o_addr[o]]) for o in led.t_outputs[t]
        )
        fields = (led.t_height[t], led.t_version[t], led.t_locktime[t], led.t_sequence[t])
        records.append((t, *fields, t in led.sorted_inputs, ins, outs))
    return eco.times[b], records


class TxidPass:
    """Serialise and hash blocks in chain order; what it learns is kept by transaction id.

    ``position``, ``size``, ``vsize`` and ``weight`` are indexed by transaction id, ``order``
    lists the ids in chain order, ``block_hash`` the blocks' display hashes,
    ``commitments`` each block's witness-commitment script (for its coinbase's second output) and
    ``input_orders`` the BIP-69 order of the inputs of every transaction that sorts them, when
    that is not the order the wallet chose them in.
    """

    def __init__(self):
        self._raw = bytearray()  # txids in internal (little-endian) byte order, 32 bytes each
        self.size, self.vsize, self.weight, self.position = (array("q") for _ in range(4))
        self.order = array("q")
        self.block_hash: list[str] = []
        self.commitments: list[bytes] = []
        self.input_orders: dict[int, list[int]] = {}
        self._prev_hash = bytes(32)

    def txid_bytes(self) -> bytearray:
        """Every txid so far, 32 raw bytes each in internal byte order, by transaction id (the
        pass's own buffer, not a copy: at 10^7 transactions it is 320 MB)."""
        return self._raw

    def _make_room(self, t: int) -> None:
        n = t + 1 - len(self.size)
        if n > 0:
            self._raw.extend(bytes(32 * n))
            for column in (self.size, self.vsize, self.weight, self.position):
                column.frombytes(bytes(8 * n))

    def block(self, time: int, records: list[tuple]) -> None:
        """Add one block (``records`` as :func:`block_records` makes them)."""
        self._make_room(max(r[0] for r in records))
        coinbase, rest = records[0], records[1:]
        wtxids = [bytes(32)] + [self._serialise(r) for r in rest]
        commitment = _COMMITMENT + sha256d(_merkle(wtxids) + bytes(32))
        self.commitments.append(commitment)
        t, *fields, sorts, ins, outs = coinbase
        if outs[1][1][:1] == b"\x6a":  # an OP_RETURN (no address script starts with 0x6a)
            outs = (outs[0], (outs[1][0], commitment), *outs[2:])
        # A coinbase that splits its reward over several addresses (a case's endowment slot)
        # has an address there and keeps its last output's placeholder of zeros: a known
        # quirk, kept because fixing it would move every txid that follows.
        self._serialise((t, *fields, sorts, ins, outs))
        ids = [r[0] for r in records]
        for pos, t in enumerate(ids):
            self.position[t] = pos
        self.order.extend(ids)
        root = _merkle([bytes(self._raw[32 * t : 32 * t + 32]) for t in ids])
        digest = sha256d(self._prev_hash + root + time.to_bytes(8, "little"))
        # no proof of work was done: the leading zeros only make it look like a block hash
        self.block_hash.append("0" * 19 + digest[::-1].hex()[19:])
        self._prev_hash = digest

    def _serialise(self, record: tuple) -> bytes:
        """Set the txid, size and weight of one transaction; returns its wtxid."""
        t, height, version, locktime, sequence, sorts, ins, outs = record
        raw = self._raw
        seq = struct.pack("<I", sequence)
        if sorts:  # as Electrum and Samourai sign: by previous txid (as displayed), then vout
            ordered = tuple(
                sorted(ins, key=lambda i: (raw[32 * i[1] : 32 * i[1] + 32][::-1], i[2]))
            )
            if ordered != ins:  # kept only when it moved (at 10^7: ~1 GB less)
                self.input_orders[t] = [i[0] for i in ordered]
                ins = ordered
        if ins:
            parts = []
            for _, prev_tx, prev_vout, spend_type in ins:
                vout = struct.pack("<I", prev_vout)
                prev = bytes(raw[32 * prev_tx : 32 * prev_tx + 32])
                sig, wit = unlock(spend_type, prev[::-1] + vout)
                parts.append((prev + vout + sig + seq, wit))
        else:
            parts = [(_COINBASE_PREV + varint_sig(height) + seq, _COINBASE_WITNESS)]
        base, full = transaction(version, locktime, parts, [output(v, s) for v, s in outs])
        raw[32 * t : 32 * t + 32] = sha256d(base)
        self.size[t] = len(full)
        weight = 3 * len(base) + len(full)
        self.weight[t] = weight
        self.vsize[t] = -(-weight // 4)
        return sha256d(full)


class PipelineError(ChaintraceError, RuntimeError):
    """The second process computing txids stopped (a generator bug, or it was killed)."""


def _work(conn) -> None:
    """The second process: run the pass on every message until an empty one, send it back."""
    # what it inherited stays untouched: a collection would write to every object's header
    # and so copy every page the fork shares with the generator
    gc.freeze()
    try:
        p = TxidPass()
        while message := conn.recv_bytes():
            for time, records in marshal.loads(message):
                p.block(time, records)
        columns = (p.size, p.vsize, p.weight, p.position, p.order)
        conn.send_bytes(marshal.dumps(["ok", *(c.tobytes() for c in columns)]))
        conn.send_bytes(p.txid_bytes())
        conn.send_bytes(marshal.dumps((p.block_hash, p.commitments, p.input_orders)))
    except EOFError:  # the generator closed the pipe: it stopped, and so does this
        pass
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        try:
            conn.send_bytes(marshal.dumps(["error", f"{type(exc).__name__}: {exc}"]))
        except OSError:  # the generator is gone too
            pass
    finally:
        conn.close()


class Pipeline:
    """A :class:`TxidPass` in a forked process, fed a day of closed blocks at a time.

    Made before the economy grows (the fork copies little); :meth:`feed` after blocks close,
    :meth:`finish` once the economy is done returns the pass's results; :meth:`close` stops
    the process if the economy is abandoned.
    """

    def __init__(self):
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_work, args=(child,), daemon=True)
        self._proc.start()
        child.close()
        self._sent, self._batch = 0, []

    def feed(self, eco, closed: int) -> None:
        """Blocks below ``closed`` are final: copy out those not yet sent (a day at a time)."""
        while self._sent < closed:
            self._batch.append(block_records(eco, self._sent))
            self._sent += 1
        if len(self._batch) >= BLOCKS_PER_MESSAGE:
            self._send()

    def _send(self, message: bytes | None = None) -> None:
        if message is None:
            if not self._batch:
                return
            message, self._batch = marshal.dumps(self._batch), []
        try:
            self._conn.send_bytes(message)
        except OSError as exc:  # the process is gone
            self._stopped(exc)

    def _stopped(self, cause: BaseException) -> NoReturn:
        self.close()
        raise PipelineError(
            "the second process computing txids stopped before it finished (killed, or out "
            "of memory?); generate again, or with fewer transactions"
        ) from cause

    def finish(self, eco) -> TxidPass:
        """Send the last blocks and wait for the pass; returns it (as if run here)."""
        self.feed(eco, len(eco.ledger.blocks))
        self._send()
        self._send(b"")
        try:
            status, *columns = marshal.loads(self._conn.recv_bytes())
            if status != "ok":
                detail = columns[0]
                raise PipelineError(f"computing txids failed in the second process: {detail}")
            p = TxidPass()
            names = ("size", "vsize", "weight", "position", "order")
            for name, blob in zip(names, columns, strict=True):
                getattr(p, name).frombytes(blob)
            # straight into the pass's buffer: no second copy (320 MB at 10^7 transactions)
            p._raw = bytearray(32 * len(p.size))
            self._conn.recv_bytes_into(p._raw)
            p.block_hash, p.commitments, p.input_orders = marshal.loads(self._conn.recv_bytes())
        except (EOFError, OSError) as exc:
            self._stopped(exc)
        finally:
            self.close()
        return p

    def close(self) -> None:
        """Stop the second process (if it still runs) and free the pipe."""
        self._conn.close()
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
