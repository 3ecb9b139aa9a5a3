"""Turn a finished economy into the dataset files and the ground truth, byte-reproducibly.

Transaction ids come from the real serialisation, block by block (fake but deterministic
unlocking data, see :mod:`chaintrace.rebuild`): :class:`Chain` takes them from
:mod:`chaintrace.sim.txids`, computed here or alongside the simulation. Parquet files are
written with zstd compression, a fixed row order and no timestamps, so the same seed gives the
same bytes.

>>> sha256_manifest({"a.txt": b"x"})
'2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  a.txt\\n'
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .addresses import SPEND_TYPE, TRUE_TYPES
from .txids import TxidPass, block_records


class Ref:
    """A placeholder in case truth for something whose public id is known only at write time."""

    def __init__(self, kind: str, idx: int):
        self.kind, self.idx = kind, idx

    def __repr__(self) -> str:
        return f"Ref({self.kind!r}, {self.idx})"


def tx_ref(i: int) -> Ref:
    return Ref("tx", i)


def addr_ref(i: int) -> Ref:
    return Ref("addr", i)


class Txids:
    """The display txids of a chain (``txids[t]`` is tx ``t``'s 64-hex txid), held as raw bytes.

    32 bytes per transaction instead of a Python string each (~113 bytes): at 10^7
    transactions that is 0.3 GB instead of 1.1 GB, and the text column is made in bulk.
    """

    def __init__(self, raw: bytearray):
        self._raw = raw

    def __len__(self) -> int:
        return len(self._raw) // 32

    def __getitem__(self, t: int) -> str:
        return self._raw[32 * t : 32 * t + 32][::-1].hex()

    def array(self) -> pa.Array:
        """Every txid as an Arrow string array (made 2^20 at a time: bounded extra memory)."""
        n = len(self)
        text = np.empty(64 * n, np.uint8)
        raw = np.frombuffer(self._raw, np.uint8).reshape(n, 32)
        for a in range(0, n, ROW_GROUP):
            b = min(n, a + ROW_GROUP)
            hexed = raw[a:b, ::-1].tobytes().hex().encode()
            text[64 * a : 64 * b] = np.frombuffer(hexed, np.uint8)
        offsets = np.arange(0, 64 * n + 1, 64, dtype=np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))


def _txid_pass(eco, progress=None) -> TxidPass:
    """The economy's txids: from its :class:`Pipeline` if it had one, else computed here."""
    if eco.txid_pipeline is not None:
        if progress:
            progress(0, len(eco.ledger.blocks), "computing txids")
        done = eco.txid_pipeline.finish(eco)
        eco.txid_pipeline = None
    else:
        done = TxidPass()
        for b in range(len(eco.ledger.blocks)):
            done.block(*block_records(eco, b))
            if progress and b % 1_000 == 0:
                progress(b, len(eco.ledger.blocks), "computing txids")
    if progress:
        progress(len(eco.ledger.blocks), len(eco.ledger.blocks), "computing txids")
    return done


class Chain:
    """Txids, sizes and block hashes of a ledger, computed in block order.

    Per-transaction figures are kept in compact arrays (``array.array``, 8 bytes each), not
    lists of Python ints, so a chain of 10^7 transactions adds ~1 GB, not ~4 GB, to the economy.
    """

    def __init__(self, eco, progress=None):
        self.eco = eco
        led = eco.ledger
        book = eco.book
        # spend type of every output, from its address's true type (-1: OP_RETURN, never spent),
        # as a code into SPEND_NAMES (one byte per output rather than a pointer)
        names = sorted({SPEND_TYPE[t] for t in set(book.true_type)}) + [""]
        self.spend_names = names
        code = {t: names.index(SPEND_TYPE[t]) for t in set(book.true_type)}
        true_type, none = book.true_type, len(names) - 1
        self.spend_code = bytes(code[true_type[a]] if a >= 0 else none for a in led.o_addr)
        done = _txid_pass(eco, progress)
        self._raw = done.txid_bytes()
        self.txid = Txids(self._raw)
        self.size, self.vsize, self.weight = done.size, done.vsize, done.weight
        self.position, self.order, self.block_hash = done.position, done.order, done.block_hash
        # what the pass decided that the tables show: each coinbase's witness commitment and
        # the inputs of BIP-69 wallets in their signed order
        for block, commitment in zip(led.blocks, done.commitments, strict=True):
            second = led.t_outputs[block[0]][1]
            if led.o_addr[second] < 0:
                led.o_data[second] = commitment
        for t, ins in done.input_orders.items():
            led.t_inputs[t] = ins
            for vin, o in enumerate(ins):
                led.o_vin[o] = vin

    @property
    def spend_type(self) -> list[str]:
        """The spend type of every output ("" for OP_RETURN), by output id."""
        return [self.spend_names[c] for c in self.spend_code]

    def spend_type_array(self) -> pa.Array:
        """:attr:`spend_type` as Arrow strings (made from the codes, not from Python strings)."""
        names = pa.array(self.spend_names, pa.string())
        return names.take(pa.array(np.frombuffer(self.spend_code, np.uint8)))

    @property
    def ledger(self):
        return self.eco.ledger

    def resolve(self, value):
        """Replace :class:`Ref` placeholders (recursively) with txids and addresses."""
        if isinstance(value, Ref):
            return self.txid[value.idx] if value.kind == "tx" else self.eco.book.address[value.idx]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.resolve(v) for v in value]
        return value


# ---------------------------------------------------------------------------- tables
def _table(columns: dict, types: dict) -> pa.Table:
    return pa.table({k: pa.array(v, type=types[k]) for k, v in columns.items()})


# rows per Parquet row group: pyarrow's default, so a table written a row group at a time has
# the bytes ``pq.write_table`` gives the whole table (and memory follows the group, not the table)
ROW_GROUP = 1024 * 1024
_PARQUET = {"compression": "zstd", "store_schema": False}


def parquet_bytes(table: pa.Table, level: int = 9) -> bytes:
    """Deterministic Parquet bytes (zstd at ``level``, statistics on, no pandas metadata)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression_level=level, **_PARQUET)
    return sink.getvalue().to_pybytes()


def write_parquet(path, n_rows: int, rows, level: int = 9) -> None:
    """Write a table of ``n_rows`` rows to ``path``, one row group at a time.

    ``rows(a, b)`` makes rows ``a`` to ``b - 1`` as an Arrow table; it is called for at most
    :data:`ROW_GROUP` rows at once, so only one group is ever held. The bytes equal those of
    :func:`parquet_bytes` on the whole table:

    >>> import tempfile, pathlib
    >>> t = pa.table({"n": pa.array(range(5), pa.int64())})
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> write_parquet(f, 5, lambda a, b: t.slice(a, b - a))
    >>> f.read_bytes() == parquet_bytes(t)
    True
    """
    if n_rows <= ROW_GROUP:
        pq.write_table(rows(0, n_rows), str(path), compression_level=level, **_PARQUET)
        return
    out = None
    try:
        for a in range(0, n_rows, ROW_GROUP):
            group = rows(a, min(n_rows, a + ROW_GROUP))
            if out is None:
                out = pq.ParquetWriter(str(path), group.schema, compression_level=level, **_PARQUET)
            out.write_table(group)
    finally:
        if out is not None:
            out.close()


def write_table(path, table: pa.Table, level: int = 9) -> None:
    """A whole table to ``path``, as :func:`write_parquet` writes it (the same row groups)."""
    write_parquet(path, table.num_rows, lambda a, b: table.slice(a, b - a), level)


def _col(values, index, type_, null=None) -> pa.Array:
    """``values[index]`` as an Arrow array of ``type_`` (null where the ``null`` mask is set)."""
    arr = values.take(pa.array(index, mask=null)) if isinstance(values, pa.Array) else None
    if arr is None:
        arr = pa.array(np.asarray(values)[index], type=type_, mask=null)
    return arr.cast(type_) if arr.type != type_ else arr


def release_shared(chain: Chain, keep=()) -> None:
    """Drop the arrays :func:`shared` made, except ``keep`` (their memory goes back)."""
    cache = chain.__dict__.get("_shared", {})
    for name in [n for n in cache if n not in keep]:
        del cache[name]


def shared(chain: Chain, name: str):
    """Arrays several tables read, made once per chain (``ledger.<name>`` as numpy; a few
    orders and texts as numpy or Arrow): made before the table writers fork, they are read
    from memory the writers share, instead of each writer iterating the ledger's Python lists
    (which copies every page it touches: with ``gc.freeze`` it took the peak memory of a
    2 x 10^5 run from 1.27 to 1.20 GiB, the same bytes written)."""
    cache = chain.__dict__.setdefault("_shared", {})
    if name not in cache:
        cache[name] = (
            _SHARED[name](chain) if name in _SHARED else np.asarray(getattr(chain.ledger, name))
        )
    return cache[name]


def _input_vin(chain: Chain) -> np.ndarray:
    counts = shared(chain, "n_inputs")[np.asarray(chain.order)]
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum()), dtype=np.int64) - starts


_SHARED = {
    "txids": lambda c: c.txid.array(),
    "addresses": lambda c: pa.array(c.eco.book.address + [""]),
    "visible_types": lambda c: _visible_types(c.eco.book),
    "output_order": lambda c: np.fromiter(
        (o for t in c.order for o in c.ledger.t_outputs[t]), np.int64
    ),
    "input_tx": lambda c: np.fromiter((t for t in c.order for _ in c.ledger.t_inputs[t]), np.int64),
    "input_order": lambda c: np.fromiter(
        (o for t in c.order for o in c.ledger.t_inputs[t]), np.int64
    ),
    "input_vin": _input_vin,
    "spend_names": lambda c: pa.array(c.spend_names, pa.string()),
    "spend_codes": lambda c: np.frombuffer(c.spend_code, np.uint8),
    # per transaction id; read here so the writers never touch the ledger's lists of lists
    "n_inputs": lambda c: np.fromiter(map(len, c.ledger.t_inputs), np.int64),
    "n_outputs": lambda c: np.fromiter(map(len, c.ledger.t_outputs), np.int64),
    "book_entity": lambda c: np.asarray(c.eco.book.entity),
    "book_beneficiary": lambda c: np.asarray(c.eco.book.beneficiary),
}
# what the table writers read: made in the parent before it forks them
SHARED_BEFORE_FORK = (
    "txids", "addresses", "visible_types", "output_order", "input_tx", "input_order",
    "input_vin", "spend_names", "spend_codes", "n_inputs", "n_outputs", "book_entity",
    "book_beneficiary", "t_height", "t_entity", "t_change", "t_version", "t_locktime",
    "o_addr", "o_tx", "o_vout", "o_value", "o_spent", "o_vin", "t_sequence",
)  # fmt: skip


# what index_tables reads of them (the rest is dropped once the tables are written)
INDEX_READS = (
    "addresses", "visible_types", "output_order", "input_order", "input_tx", "n_inputs",
    "n_outputs", "o_addr", "o_value", "o_vout", "t_height", "t_locktime", "t_sequence",
    "t_version",
)  # fmt: skip


def table_rows(chain: Chain) -> dict[str, tuple[int, object]]:
    """blocks, transactions, outputs and inputs: name -> (rows, ``rows(a, b)`` maker).

    Rows are in block order; :func:`write_parquet` asks for them a row group at a time.
    """
    led = chain.ledger
    return {
        "blocks": (len(led.blocks), lambda a, b: blocks_table(chain).slice(a, b - a)),
        "transactions": (len(chain.order), lambda a, b: transactions_rows(chain, a, b)),
        "outputs": (len(shared(chain, "output_order")), lambda a, b: outputs_rows(chain, a, b)),
        "inputs": (len(shared(chain, "input_order")), lambda a, b: inputs_rows(chain, a, b)),
    }


def chain_tables(chain: Chain, only=None) -> dict[str, pa.Table]:
    """blocks, transactions, outputs and inputs as whole Arrow tables, in block order.

    ``only`` names the tables to build (default all). The generator writes them a row group
    at a time instead (:func:`table_rows`); this is the same rows at once, for small chains.
    """
    made = table_rows(chain)
    return {k: f(0, n) for k, (n, f) in made.items() if only is None or k in only}


def blocks_table(chain: Chain) -> pa.Table:
    from .calendar import START_HEIGHT

    eco, led = chain.eco, chain.ledger
    return _table(
        {
            "height": [START_HEIGHT + i for i in range(len(led.blocks))],
            "hash": chain.block_hash,
            "time": eco.times[: len(led.blocks)],
            "n_tx": [len(b) for b in led.blocks],
        },
        {"height": pa.int32(), "hash": pa.string(), "time": pa.int64(), "n_tx": pa.int32()},
    )


def transactions_rows(chain: Chain, a: int, b: int) -> pa.Table:
    """Rows ``a`` to ``b - 1`` of the transactions table (in block order)."""
    from .calendar import START_HEIGHT

    eco, led = chain.eco, chain.ledger
    order = np.asarray(chain.order)[a:b]
    height = shared(chain, "t_height").astype(np.int64)[order]
    n_in = shared(chain, "n_inputs")[order]
    n_out = shared(chain, "n_outputs")[order]
    i32, i64 = pa.int32(), pa.int64()
    cols = {
        "txid": _col(shared(chain, "txids"), order, pa.string()),
        "height": pa.array(height, i32),
        "position": _col(chain.position, order, i32),
        "time": pa.array(np.asarray(eco.times, np.int64)[height - START_HEIGHT], i64),
        "version": _col(led.t_version, order, i32),
        "locktime": _col(led.t_locktime, order, i64),
        "size": _col(chain.size, order, i32),
        "vsize": _col(chain.vsize, order, i32),
        "weight": _col(chain.weight, order, i32),
        "fee": _col(led.t_fee, order, i64),
        "n_inputs": pa.array(n_in, i32),
        "n_outputs": pa.array(n_out, i32),
        "coinbase": pa.array(n_in == 0, pa.bool_()),
    }
    return pa.table(cols)


def _visible_types(book) -> pa.Array:
    """The on-chain script type of every address id, plus "op_return" at index ``len(book)``."""
    names = {t: TRUE_TYPES[t][0] for t in set(book.true_type)}
    return pa.array([names[t] for t in book.true_type] + ["op_return"])


def outputs_rows(chain: Chain, a: int, b: int) -> pa.Table:
    """Rows ``a`` to ``b - 1`` of the outputs table (in block order, then vout)."""
    led, book = chain.ledger, chain.eco.book
    o_ids = shared(chain, "output_order")[a:b]
    addr = shared(chain, "o_addr").astype(np.int64)[o_ids]
    addr[addr < 0] = len(book)
    spent = shared(chain, "o_spent").astype(np.int64)[o_ids]
    unspent = spent < 0
    op_return = [""] * len(o_ids)
    for k in np.flatnonzero(addr == len(book)):
        op_return[k] = led.o_data[int(o_ids[k])].hex()
    txids = shared(chain, "txids")
    return pa.table(
        {
            "txid": _col(txids, shared(chain, "o_tx").astype(np.int64)[o_ids], pa.string()),
            "vout": _col(shared(chain, "o_vout"), o_ids, pa.int32()),
            "address": _col(shared(chain, "addresses"), addr, pa.string()),
            "value": _col(shared(chain, "o_value"), o_ids, pa.int64()),
            "script_type": _col(shared(chain, "visible_types"), addr, pa.string()),
            "spent_txid": _col(txids, np.where(unspent, 0, spent), pa.string(), unspent),
            "spent_vin": _col(shared(chain, "o_vin"), o_ids, pa.int32(), unspent),
            "op_return": pa.array(op_return, pa.string()),
        }
    )


def inputs_rows(chain: Chain, a: int, b: int) -> pa.Table:
    """Rows ``a`` to ``b - 1`` of the inputs table (in block order, then vin)."""
    tx = shared(chain, "input_tx")[a:b]
    outs = shared(chain, "input_order")[a:b]
    addr = shared(chain, "o_addr").astype(np.int64)[outs]
    txids = shared(chain, "txids")
    s = pa.string()
    return pa.table(
        {
            "txid": _col(txids, tx, s),
            "vin": pa.array(shared(chain, "input_vin")[a:b], pa.int32()),
            "prev_txid": _col(txids, shared(chain, "o_tx").astype(np.int64)[outs], s),
            "prev_vout": _col(shared(chain, "o_vout"), outs, pa.int32()),
            "address": _col(shared(chain, "addresses"), addr, s),
            "value": _col(shared(chain, "o_value"), outs, pa.int64()),
            "script_type": _col(shared(chain, "visible_types"), addr, s),
            "sequence": _col(shared(chain, "t_sequence"), tx, pa.int64()),
            "spend_type": _col(shared(chain, "spend_names"), shared(chain, "spend_codes")[outs], s),
        }
    )


def index_tables(chain: Chain) -> dict[str, pa.Table]:
    """The engine index (``graph/``, :func:`chaintrace.graphstore.tables`) from the chain's own
    arrays: the same ids (transactions, outputs and inputs in table order, addresses numbered
    by first appearance in chain order), without reading the written tables back as text.

    Reading the txid and address columns back took ~1.8 GB at 10^6 transactions (~18 GB at
    10^7); this takes a few integer arrays. ``tests/test_sim.py`` checks it against
    ``graphstore.tables`` on the written tables.
    """
    from ..graph import SCRIPT_TYPES
    from ..graphstore import FILES
    from .calendar import START_HEIGHT

    book = chain.eco.book
    order = np.asarray(chain.order)
    height = shared(chain, "t_height")[order]
    n_in, n_out = shared(chain, "n_inputs")[order], shared(chain, "n_outputs")[order]
    raw = np.frombuffer(chain._raw, np.uint8).reshape(-1, 32)[order, ::-1]  # display order
    raw = np.ascontiguousarray(raw)
    o_ids = shared(chain, "output_order")
    row_of = np.empty(len(o_ids), np.int64)  # output id -> row of the outputs table
    row_of[o_ids] = np.arange(len(o_ids))
    addr = shared(chain, "o_addr")[o_ids]
    paid = addr >= 0
    ids, first = np.unique(addr[paid], return_index=True)
    seen = ids[np.argsort(first, kind="stable")]  # address ids by first appearance
    number = np.full(len(book) + 1, -1, np.int64)  # the last entry: OP_RETURN (addr -1)
    number[seen] = np.arange(len(seen))
    # script type code of every address id (and OP_RETURN last), from the visible types' text
    type_of = pc.index_in(shared(chain, "visible_types"), pa.array(SCRIPT_TYPES))
    type_of = type_of.to_numpy(zero_copy_only=False)
    inputs = shared(chain, "input_order")
    return {
        FILES[0]: pa.table(
            {
                "txid": pa.FixedSizeBinaryArray.from_buffers(
                    pa.binary(32), len(raw), [None, pa.py_buffer(raw)]
                ),
                "time": pa.array(np.asarray(chain.eco.times, np.int64)[height - START_HEIGHT]),
                "height": pa.array(height, pa.int32()),
                "version": pa.array(shared(chain, "t_version")[order], pa.int32()),
                "locktime": pa.array(shared(chain, "t_locktime")[order], pa.int64()),
                "coinbase": pa.array(n_in == 0, pa.bool_()),
                "n_inputs": pa.array(n_in, pa.int32()),
                "n_outputs": pa.array(n_out, pa.int32()),
            }
        ),
        FILES[1]: pa.table(
            {
                "value": pa.array(shared(chain, "o_value")[o_ids], pa.int64()),
                "vout": pa.array(shared(chain, "o_vout")[o_ids], pa.int32()),
                "address": pa.array(number[addr], pa.int32()),
                "script_type": pa.array(type_of[addr], pa.int8()),
            }
        ),
        FILES[2]: pa.table(
            {
                "spends": pa.array(row_of[inputs], pa.int64()),
                "sequence": pa.array(shared(chain, "t_sequence")[shared(chain, "input_tx")]),
            }
        ),
        FILES[3]: pa.table({"address": shared(chain, "addresses").take(pa.array(seen))}),
    }


def truth_rows(chain: Chain) -> dict[str, tuple[int, object]]:
    """Ground truth: entities, every address's owner, every transaction's spender and change
    (name -> (rows, ``rows(a, b)`` maker), as :func:`table_rows`)."""
    eco, led, book = chain.eco, chain.ledger, chain.eco.book
    i32, s = pa.int32(), pa.string()

    def entities(a, b):
        return _table(
            {
                "entity_id": [e.id for e in eco.entities[a:b]],
                "name": [e.name for e in eco.entities[a:b]],
                "kind": [e.kind for e in eco.entities[a:b]],
                "wallet": [e.profile.name for e in eco.entities[a:b]],
            },
            {"entity_id": i32, "name": s, "kind": s, "wallet": s},
        )

    def addresses(a, b):
        return _table(
            {
                "address": shared(chain, "addresses").slice(a, b - a),
                "entity_id": shared(chain, "book_entity")[a:b],
                "role": book.role[a:b],
                "script_type": book.true_type[a:b],
                "beneficiary_id": shared(chain, "book_beneficiary")[a:b],
            },
            {"address": s, "entity_id": i32, "role": s, "script_type": s, "beneficiary_id": i32},
        )

    def transactions(a, b):
        order = np.asarray(chain.order)[a:b]
        return pa.table(
            {
                "txid": _col(shared(chain, "txids"), order, s),
                "entity_id": _col(shared(chain, "t_entity"), order, i32),
                "typology": pa.array([led.t_typology[t] for t in order], s),
                "change_vout": _col(shared(chain, "t_change"), order, i32),
            }
        )

    return {
        "entities": (len(eco.entities), entities),
        "addresses": (len(book.address), addresses),
        "transactions": (len(chain.order), transactions),
    }


def truth_tables(chain: Chain) -> dict[str, pa.Table]:
    """:func:`truth_rows` as whole tables."""
    return {k: f(0, n) for k, (n, f) in truth_rows(chain).items()}


# ---------------------------------------------------------------------------- files
def json_bytes(obj) -> bytes:
    """Stable, readable JSON (sorted keys, two-space indent, trailing newline)."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def sha256_manifest(files: dict[str, bytes]) -> str:
    """``sha256sum``-format lines for ``files`` (relative path -> bytes), sorted by path."""
    return "".join(f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n" for p in sorted(files))


class Tree:
    """A dataset folder being written: files go to a staging folder beside ``root``, then
    :meth:`close` adds their ``SHA256SUMS`` and puts the folder in place of ``root``.

    Big tables are written straight to :meth:`path` (a row group at a time), small files with
    :meth:`put`, so no file need be held whole in memory. A run that fails leaves ``root`` as
    it was. Raises ``FileExistsError`` at once if ``root`` holds something else than a
    chaintrace dataset.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "d"
    >>> tree = Tree(root); tree.put("a.txt", b"x"); tree.close()
    >>> (root / "SHA256SUMS").read_text() == sha256_manifest({"a.txt": b"x"})
    True
    """

    def __init__(self, root):
        import shutil

        self.root = Path(root)
        if self.root.exists():
            if not (self.root / "SHA256SUMS").exists() and any(self.root.iterdir()):
                raise FileExistsError(
                    f"{self.root} exists and is not a chaintrace dataset (no SHA256SUMS); "
                    "choose an empty or new folder"
                )
        self.staging = self.root.with_name(f".{self.root.name}.partial")
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True)

    def path(self, rel: str) -> Path:
        """Where to write the file ``rel`` (its folder made)."""
        path = self.staging / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, rel: str, data: bytes) -> None:
        self.path(rel).write_bytes(data)

    def files(self) -> list[str]:
        """The relative paths written so far (``/``-separated)."""
        return sorted(p.relative_to(self.staging).as_posix() for p in self._paths())

    def read(self) -> dict[str, bytes]:
        """Every file written so far (for small datasets: the whole tree in memory)."""
        return {rel: (self.staging / rel).read_bytes() for rel in self.files()}

    def _paths(self):
        return (p for p in self.staging.rglob("*") if p.is_file())

    def close(self) -> None:
        """Write ``SHA256SUMS`` (hashing the files as written) and replace ``root``."""
        import shutil

        sums = {}
        for rel in self.files():
            digest = hashlib.sha256()
            with (self.staging / rel).open("rb") as f:
                while chunk := f.read(1 << 22):
                    digest.update(chunk)
            sums[rel] = digest.hexdigest()
        (self.staging / "SHA256SUMS").write_text(
            "".join(f"{sums[rel]}  {rel}\n" for rel in sorted(sums))
        )
        if self.root.exists():
            shutil.rmtree(self.root)
        self.staging.rename(self.root)

    def abandon(self) -> None:
        """Remove what was written (the run failed); ``root`` is left as it was."""
        import shutil

        shutil.rmtree(self.staging, ignore_errors=True)


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    """Replace ``root`` by exactly ``files`` plus their ``SHA256SUMS``."""
    tree = Tree(root)
    try:
        for rel, data in files.items():
            tree.put(rel, data)
        tree.close()
    except BaseException:
        tree.abandon()
        raise
