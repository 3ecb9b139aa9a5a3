"""The dataset's engine index (``graph/``): the chain as integer arrays, ready to load.

The three chain tables are for people: txids and addresses as text, one row per thing. Decoding
that text is what makes a big dataset slow to open (~1.2 s at 10^6 transactions, nearly all of
it spent on 64-character hex). The engine needs none of it to trace, cluster or taint, so the
generator also writes what :class:`~chaintrace.graph.TxGraph`, the one engine index every
analysis reads, is made of, as integer columns in chain order:

* ``graph/transactions.parquet``: ``txid`` (32 raw bytes, display order), ``time``, ``height``,
  ``version``, ``locktime``, ``coinbase``, ``n_inputs``, ``n_outputs``;
* ``graph/outputs.parquet``: ``value``, ``vout``, ``address`` (id, -1 for OP_RETURN),
  ``script_type`` (index into :data:`~chaintrace.graph.SCRIPT_TYPES`);
* ``graph/inputs.parquet``: ``spends`` (the id of the output the input spends), ``sequence``;
* ``graph/addresses.parquet``: ``address`` text by id (first appearance in chain order).

Output ids count outputs in chain order (grouped by transaction, in ``vout`` order); inputs are
grouped by transaction in ``vin`` order. The files are derived from the tables (:func:`tables`
builds them from a graph made from the tables) and covered by ``SHA256SUMS`` like every other
file. A manifest is no seal, though: anyone can recompute it after editing the index. So
verifying a dataset also checks the index against the tables (:func:`cross_check`), and an
index that disagrees is refused until ``chaintrace index FOLDER`` rebuilds it. A dataset
without the index still works: the engine then builds its arrays from the text tables, only
slower.

>>> from chaintrace.graph import build_graph
>>> g = load(load_dataset("course"))
>>> g.n_tx == build_graph("course").n_tx, g.txids[0] == load_dataset("course").transactions.txid[0]
(True, True)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from .dataset import _RESTORE, Dataset, DatasetError, load_dataset  # noqa: F401 (load_dataset: doctest)

__all__ = [
    "FILES", "SOURCE_COLUMNS", "tables", "write", "has_index", "load", "read_arrays",
    "read_addresses", "hex_text", "arrow_ints", "arrow_strings", "cross_check",
]  # fmt: skip

FOLDER = "graph"
# the columns of the three tables the index is made from (the rest is for people)
SOURCE_COLUMNS = {
    "transactions": [
        "txid", "height", "time", "version", "locktime", "n_inputs", "n_outputs", "coinbase",
    ],
    "outputs": ["txid", "vout", "address", "value", "script_type"],
    "inputs": ["txid", "vin", "prev_txid", "prev_vout", "sequence"],
}  # fmt: skip
FILES = tuple(f"{FOLDER}/{n}.parquet" for n in ("transactions", "outputs", "inputs", "addresses"))
# rows at the head of each Parquet row group whose text (txids, addresses) is compared with the
# index: every row of a dataset the size of the course, ~1 in 16 at 10^6 transactions
SAMPLE = 2**16
_REBUILD = "rebuild it from the tables with `chaintrace index {folder}`"


# ----------------------------------------------------------------------------- hex <-> bytes


def hex_text(raw: np.ndarray) -> pa.Array:
    """Rows of 32 raw bytes as an Arrow array of 64-character lowercase hex, without making
    a Python string per row (``bytes.hex`` of the whole block, then fixed offsets).

    >>> hex_text(np.array([[0] * 31 + [255]], dtype=np.uint8))[0].as_py()[-4:]
    '00ff'
    """
    from binascii import hexlify  # bytes out: no str to encode again (half the copying)

    n = len(raw)
    chars = hexlify(np.ascontiguousarray(raw).data)
    large = 64 * n >= 2**31  # beyond ~33 million txids string offsets need 64 bits
    offsets = np.arange(0, 64 * n + 1, 64, dtype=np.int64 if large else np.int32)
    kind = pa.large_string() if large else pa.string()
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])


# ``pa.array`` and ``pa.scalar`` import pandas (~0.4 s of CPU in a new process) to check whether
# they were handed a pandas object; these build arrays from their buffers, so a question that
# needs no table (a taint as a dict) never loads pandas.


def arrow_ints(values) -> pa.Array:
    """A numpy integer array as an Arrow int64 array (one copy at most, no pandas).

    >>> arrow_ints(np.array([3, 1], np.int32)).to_pylist()
    [3, 1]
    """
    values = np.ascontiguousarray(values, np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def arrow_strings(words: list[str], kind=None) -> pa.Array:
    """Python strings as an Arrow string array (``kind``: ``pa.string()`` or
    ``pa.large_string()``), without pandas.

    >>> arrow_strings(["0", "12"]).to_pylist(), arrow_strings([":"])[0].as_py()
    (['0', '12'], ':')
    """
    kind = kind or pa.string()
    data = [word.encode() for word in words]
    offsets = np.zeros(len(data) + 1, np.int64 if kind == pa.large_string() else np.int32)
    np.cumsum([len(d) for d in data], out=offsets[1:])
    return pa.Array.from_buffers(
        kind, len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    )


def _raw_txids(graph) -> np.ndarray:
    text = np.asarray(graph.txids, dtype="S64")
    return np.frombuffer(bytes.fromhex(b"".join(text).decode()), np.uint8).reshape(-1, 32)


# ----------------------------------------------------------------------------- writing


def tables(transactions, outputs, inputs) -> dict[str, pa.Table]:
    """The index files (paths in :data:`FILES`) for a dataset's three text tables.

    The ids are the ones :class:`~chaintrace.graph.TxGraph` gives the tables, so the index holds
    exactly what the slow path would compute (``tests/test_graphstore.py`` checks both engines).

    >>> ds = load_dataset("course")
    >>> files = tables(ds.transactions, ds.outputs, ds.inputs)
    >>> sorted(files) == sorted(FILES), files[FILES[2]].num_rows == len(ds.inputs)
    (True, True)
    """
    from .graph import SCRIPT_TYPES, TxGraph

    graph = TxGraph.from_tables(transactions, outputs, inputs)
    out_type = graph.out_type
    if (out_type < 0).any():
        raise DatasetError(
            f"outputs.script_type holds a type outside {', '.join(SCRIPT_TYPES)}; "
            "check the outputs table against docs/ARCHITECTURE.md"
        )
    raw = _raw_txids(graph)
    return {
        FILES[0]: pa.table(
            {
                "txid": pa.FixedSizeBinaryArray.from_buffers(
                    pa.binary(32), len(raw), [None, pa.py_buffer(raw.tobytes())]
                ),
                "time": pa.array(graph.tx_time, pa.int64()),
                "height": pa.array(graph.tx_height, pa.int32()),
                "version": pa.array(graph.tx_version, pa.int32()),
                "locktime": pa.array(graph.tx_locktime, pa.int64()),
                "coinbase": pa.array(graph.tx_coinbase, pa.bool_()),
                "n_inputs": pa.array(np.diff(graph.tx_in_ptr), pa.int32()),
                "n_outputs": pa.array(np.diff(graph.tx_out_ptr), pa.int32()),
            }
        ),
        FILES[1]: pa.table(
            {
                "value": pa.array(graph.out_value, pa.int64()),
                "vout": pa.array(graph.out_vout, pa.int32()),
                "address": pa.array(graph.out_addr, pa.int32()),
                "script_type": pa.array(out_type, pa.int8()),
            }
        ),
        FILES[2]: pa.table(
            {
                "spends": pa.array(graph.in_out, pa.int64()),
                "sequence": pa.array(graph.in_sequence, pa.int64()),
            }
        ),
        FILES[3]: pa.table({"address": pa.array(np.asarray(graph.addresses), pa.string())}),
    }


# ----------------------------------------------------------------------------- reading


def has_index_files(sums) -> bool:
    """True when a manifest (``relative path -> sha256``) lists every index file."""
    return all(name in sums for name in FILES)


def has_index(dataset: Dataset) -> bool:
    """True when ``dataset`` ships every index file (listed in its ``SHA256SUMS``)."""
    return has_index_files(dataset._sums)


def read_parquet(path: Path, columns=None, **options) -> pa.Table:
    """A Parquet file (or some of its columns) as an Arrow table.

    ``ParquetFile.read`` rather than ``pq.read_table``: the latter goes through
    ``pyarrow.dataset``, whose import loads pandas, ~0.3 s of CPU that a question asked in a
    new process (a cluster, a taint) would pay for nothing.
    """
    import pyarrow.parquet as pq

    return pq.ParquetFile(path, **options).read(columns=columns)


def read_arrays(dataset: Dataset) -> dict[str, np.ndarray]:
    """The index columns of ``dataset`` as numpy arrays (``tx_*``, ``out_*``, ``in_*``).

    Address text is not read here: it loads on first use (:func:`read_addresses`).
    """
    checked = _CHECKED.pop(_index_key(dataset), None)
    if checked is not None:  # just read and cross-checked while the dataset was verified
        return checked
    arrays = {}
    for name, prefix in zip(FILES[:3], ("tx_", "out_", "in_"), strict=True):
        table = read_parquet(dataset._file(name))
        for column in table.column_names:
            chunked = table.column(column)
            if column == "txid":
                flat = chunked.combine_chunks()
                data = np.frombuffer(flat.buffers()[1], np.uint8)
                arrays["tx_txid"] = data[flat.offset * 32 : (flat.offset + len(flat)) * 32]
            else:
                arrays[prefix + column] = _numpy(chunked)
    arrays["tx_txid"] = arrays["tx_txid"].reshape(-1, 32)
    _check(arrays, dataset)
    return arrays


def _numpy(chunked: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as numpy, read from its buffers: ``to_numpy`` imports pandas (~0.3 s
    of CPU in a new process), which opening the engine index does not otherwise need."""
    parts = [_chunk_numpy(chunk) for chunk in chunked.chunks]
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, chunked.type.to_pandas_dtype())


def _chunk_numpy(chunk: pa.Array) -> np.ndarray:
    kind = chunk.type
    if chunk.null_count or not (pa.types.is_integer(kind) or pa.types.is_boolean(kind)):
        return chunk.to_numpy(zero_copy_only=False)
    data = chunk.buffers()[1]
    if pa.types.is_boolean(kind):  # one bit per value, least significant first
        bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
        return bits[chunk.offset : chunk.offset + len(chunk)].astype(bool)
    values = np.frombuffer(data, kind.to_pandas_dtype())
    return values[chunk.offset : chunk.offset + len(chunk)]


def read_addresses(dataset: Dataset):
    """Address text by id, as an Arrow-backed pandas array (no 10^6 Python strings)."""
    column = read_parquet(dataset._file(FILES[3])).column("address")
    return column.combine_chunks().to_pandas(types_mapper=None).array


def _check(arrays: dict, dataset: Dataset) -> None:
    """The cheap consistency checks: the row counts the transactions promise are there."""
    n_out, n_in = int(arrays["tx_n_outputs"].sum()), int(arrays["tx_n_inputs"].sum())
    if n_out != len(arrays["out_value"]) or n_in != len(arrays["in_spends"]):
        raise DatasetError(
            f"the engine index of dataset {dataset.name!r} ({dataset.path / FOLDER}) does not "
            f"match itself ({n_out} outputs and {n_in} inputs promised, "
            f"{len(arrays['out_value'])} and {len(arrays['in_spends'])} found); "
            f"{_REBUILD.format(folder=dataset.path)} or regenerate the dataset with "
            "`chaintrace generate`"
        )
    spends = arrays["in_spends"]
    if len(spends) and (spends.min() < 0 or spends.max() >= n_out):
        raise DatasetError(
            f"the engine index of dataset {dataset.name!r} ({dataset.path / FILES[2]}) has an "
            f"input spending an output that does not exist; {_REBUILD.format(folder=dataset.path)}"
        )


# ----------------------------------------------------------------------------- cross-check


class _Disagreement(Exception):
    """The cheap comparison found rows that differ (or could not line the rows up)."""


def cross_check(dataset: Dataset) -> None:
    """Refuse an engine index that disagrees with the tables it is derived from.

    ``SHA256SUMS`` says only that the files are the ones it lists, and anyone can recompute it
    after editing the index. The tables are what people read, so the index must agree with
    them. Checked without decoding the tables' text, so it stays cheap at 10^6 transactions:

    * row counts, and every number the index copies (times, heights, versions, locktimes,
      coinbase flags, input and output counts, values, vouts, sequences, script types), row by
      row, in chain order (the order the generator writes);
    * every spend: the output an input spends has the input's ``prev_vout`` and ``value``,
      and names the input back (``spent_vin``); no other output is marked spent;
    * address ids number addresses by first appearance, one per row of the addresses file;
    * the text (txids, previous txids, addresses) of the first :data:`SAMPLE` rows of every
      row group of each table (:func:`_heads`): all of them in a course-sized dataset.

    When the cheap comparison finds a difference, or tables in another order, the index is
    derived again from the tables and compared whole: a dataset is refused only for a real
    difference, and the message names the file, column and row.
    """
    try:
        arrays = read_arrays(dataset)
        _compare_cheaply(dataset, arrays)
    except DatasetError:
        raise  # already says what is wrong (an index that contradicts itself)
    except (_Disagreement, LookupError, ValueError, TypeError, pa.ArrowException):
        _compare_whole(dataset)  # a difference, or an index too malformed to compare cheaply
        return
    # the graph load that usually follows opening a dataset takes these instead of reading
    # the index again (one slot: at most one dataset's arrays wait here)
    _CHECKED.clear()
    _CHECKED[_index_key(dataset)] = arrays


_CHECKED: dict[tuple, dict] = {}


def _index_key(dataset: Dataset) -> tuple:
    return (dataset.path, *(dataset._sums.get(name) for name in FILES))


def _compare_cheaply(dataset: Dataset, g: dict) -> None:
    """Raise :class:`_Disagreement` unless the cheap checks of :func:`cross_check` all pass."""
    tx = _table(dataset, "transactions", SOURCE_COLUMNS["transactions"][1:])
    out = _table(dataset, "outputs", ["vout", "value", "spent_vin"])
    ins = _table(dataset, "inputs", ["vin", "prev_vout", "value", "sequence"])
    _compare_transactions(g, tx)
    _compare_outputs(dataset, g, out)
    _compare_inputs(g, ins, out["spent_vin"])
    _compare_sample(dataset, g)


def _table(dataset: Dataset, name: str, columns: list[str]) -> dict[str, np.ndarray]:
    """Numeric columns of a chain table as numpy (a missing value reads -1)."""
    import pyarrow.compute as pc

    table = read_parquet(dataset._file(f"{name}.parquet"), columns)
    found = {c: table.column(c) for c in columns}
    return {c: (pc.fill_null(a, -1) if a.null_count else a).to_numpy() for c, a in found.items()}


def _agree(ours, theirs) -> None:
    if len(ours) != len(theirs) or not np.array_equal(ours, theirs):
        raise _Disagreement


def _require(holds) -> None:
    if not holds:
        raise _Disagreement


def _positions(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each group of ``counts`` rows: the vout/vin of rows in chain order."""
    ptr = np.concatenate([[0], np.cumsum(counts)])
    return np.arange(ptr[-1]) - np.repeat(ptr[:-1], counts)


def _compare_transactions(g: dict, tx: dict) -> None:
    for column in ("time", "height", "version", "locktime", "coinbase", "n_outputs"):
        _agree(g[f"tx_{column}"], tx[column])
    _agree(g["tx_n_inputs"], np.where(tx["coinbase"], 0, tx["n_inputs"]))


def _script_codes(dataset: Dataset) -> np.ndarray:
    """outputs.script_type as indexes into SCRIPT_TYPES, read as Parquet stores it: a few
    distinct words and a code per row, so no text is made per row."""
    from .graph import SCRIPT_TYPES

    path = dataset._file("outputs.parquet")
    column = read_parquet(path, ["script_type"], read_dictionary=["script_type"])[0]
    codes = []
    for chunk in column.chunks:
        words = chunk.dictionary.to_pylist()
        lookup = np.array([SCRIPT_TYPES.index(w) if w in SCRIPT_TYPES else -1 for w in words])
        codes.append(lookup[chunk.indices.to_numpy(zero_copy_only=False)])
    return np.concatenate(codes) if codes else np.empty(0, np.int64)


def _compare_outputs(dataset: Dataset, g: dict, out: dict) -> None:
    import pyarrow.parquet as pq

    from .graph import SCRIPT_TYPES

    _agree(out["vout"], _positions(g["tx_n_outputs"]))  # the table is in chain order
    _agree(g["out_vout"], out["vout"])
    _agree(g["out_value"], out["value"])
    _agree(g["out_script_type"], _script_codes(dataset))
    ids = g["out_address"]
    has_address = ids >= 0
    _agree(has_address, g["out_script_type"] != SCRIPT_TYPES.index("op_return"))
    _require(len(ids) == 0 or ids.min() >= -1)  # -1: no address (OP_RETURN)
    # ids number addresses by first appearance: each id is at most one more than all before
    seen = np.maximum.accumulate(ids[has_address])
    n_names = pq.ParquetFile(dataset._file(FILES[3])).metadata.num_rows
    _require(not (np.diff(seen, prepend=-1) > 1).any())
    _require((seen[-1] + 1 if len(seen) else 0) == n_names)  # and every name is used


def _compare_inputs(g: dict, ins: dict, spent_vin: np.ndarray) -> None:
    spends = g["in_spends"]
    _agree(ins["vin"], _positions(g["tx_n_inputs"]))  # the table is in chain order
    _agree(g["in_sequence"], ins["sequence"])
    _agree(g["out_vout"][spends], ins["prev_vout"])
    _agree(g["out_value"][spends], ins["value"])
    _agree(spent_vin[spends], ins["vin"])
    _require(np.count_nonzero(spent_vin >= 0) == len(spends))  # no other output is spent


def _heads(dataset: Dataset, relative: str, columns: list[str], groups: int = 2**31) -> tuple:
    """Row numbers and columns (Arrow) of the first :data:`SAMPLE` rows of every row group of
    a file (of the first ``groups`` row groups).

    A Parquet reader starts a row group without decoding the rows before it, so these rows
    cost what they hold; a sample spread over the file would decode whole columns of text.
    """
    import pyarrow.parquet as pq

    # a small read buffer, not the default whole column chunk: only the pages needed are read
    file = pq.ParquetFile(dataset._file(relative), buffer_size=2**16, pre_buffer=False)
    rows, heads, start = [], [], 0
    for group in range(min(groups, file.metadata.num_row_groups)):
        batches = file.iter_batches(batch_size=SAMPLE, row_groups=[group], columns=columns)
        head = next(batches, None)
        if head is not None:
            rows.append(np.arange(start, start + head.num_rows))
            heads.append(head)
        start += file.metadata.row_group(group).num_rows
    if not heads:
        return np.empty(0, np.int64), {c: pa.array([], pa.string()) for c in columns}
    table = pa.Table.from_batches(heads)
    return np.concatenate(rows), {c: table.column(c).combine_chunks() for c in columns}


def _same_text(found: pa.Array, expected: pa.Array) -> None:
    if found.type != expected.type:  # string and large_string: same text, other offsets
        found, expected = found.cast(pa.large_string()), expected.cast(pa.large_string())
    _require(found.equals(expected))


def _compare_sample(dataset: Dataset, g: dict) -> None:
    def txids(tx_ids) -> pa.Array:
        return hex_text(g["tx_txid"][tx_ids])

    out_end, in_end = np.cumsum(g["tx_n_outputs"]), np.cumsum(g["tx_n_inputs"])

    def owner(ends, rows):  # the transaction of each row, for these rows only
        return np.searchsorted(ends, rows, side="right")

    rows, text = _heads(dataset, "transactions.parquet", ["txid"])
    _same_text(text["txid"], txids(rows))
    rows, text = _heads(dataset, "outputs.parquet", ["txid", "address"])
    _same_text(text["txid"], txids(owner(out_end, rows)))
    _compare_addresses(dataset, g["out_address"][rows], text["address"])
    rows, text = _heads(dataset, "inputs.parquet", ["txid", "prev_txid"])
    _same_text(text["txid"], txids(owner(in_end, rows)))
    _same_text(text["prev_txid"], txids(owner(out_end, g["in_spends"][rows])))


def _compare_addresses(dataset: Dataset, ids: np.ndarray, found: pa.Array) -> None:
    """Address text of outputs against the addresses file, for the ids at its head (the first
    outputs use the first ids: ids count by first appearance)."""
    _, names = _heads(dataset, FILES[3], ["address"], groups=1)
    named = (ids >= 0) & (ids < len(names["address"]))
    expected = names["address"].take(pa.array(ids[named]))
    _same_text(found.filter(pa.array(named)), expected)
    blank = found.filter(pa.array(ids < 0))  # OP_RETURN: no address
    _same_text(blank, pa.array([""] * len(blank), blank.type))


def _compare_whole(dataset: Dataset) -> None:
    """Derive the index from the tables again and raise on the first file that differs."""
    import pyarrow.parquet as pq

    try:
        derived = tables(dataset.transactions, dataset.outputs, dataset.inputs)
    except (ValueError, LookupError) as exc:  # tables that do not make a chain
        raise DatasetError(
            f"the chain tables of dataset {dataset.name!r} ({dataset.path}) do not make a chain "
            f"({exc}); {_RESTORE}"
        ) from None
    for name, table in derived.items():
        try:
            where = _difference(table, pq.read_table(dataset._file(name)))
        except (OSError, pa.ArrowException) as exc:
            where = f"not readable as Parquet: {exc}"
        if where:
            # each index file copies the table of the same name; address text comes from outputs
            source = "outputs.parquet" if name == FILES[3] else name.removeprefix(f"{FOLDER}/")
            raise DatasetError(
                f"the engine index file {dataset.path / name} does not match {source}, the table "
                f"it is derived from ({where}): it was edited or built from other tables; "
                f"{_REBUILD.format(folder=dataset.path)}"
            )


def _difference(derived: pa.Table, stored: pa.Table) -> str | None:
    """Where ``stored`` first differs from ``derived`` (None when they are the same)."""
    import pyarrow.compute as pc

    if stored.num_rows != derived.num_rows:
        return f"{stored.num_rows:,} rows, {derived.num_rows:,} expected"
    for column in derived.column_names:
        if column not in stored.column_names:
            return f"no column {column!r}"
        want, got = derived.column(column).combine_chunks(), stored.column(column).combine_chunks()
        if got.equals(want):
            continue
        try:
            differs = pc.fill_null(pc.not_equal(got.cast(want.type), want), True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return f"column {column!r} is {got.type}, not {want.type}"
        row = pc.index(differs, True).as_py()
        if row < 0:  # same values, stored as another type
            return f"column {column!r} is {got.type}, not {want.type}"
        return f"column {column!r}, row {row:,}: {_show(got[row])} instead of {_show(want[row])}"
    return None


def _show(scalar) -> str:
    value = scalar.as_py()
    return value.hex() if isinstance(value, bytes) else repr(value)


def load(dataset: Dataset):
    """The :class:`~chaintrace.graph.TxGraph` of ``dataset`` from its index, or None without one."""
    if not has_index(dataset):
        return None
    from .graph import TxGraph

    return TxGraph.from_arrays(read_arrays(dataset), name=dataset.name, dataset=dataset)


def write(folder: str | Path) -> list[Path]:
    """Add the engine index to a dataset folder that lacks it (e.g. one made by other tools).

    Builds the graph from the folder's tables, writes :data:`FILES` and adds them to
    ``SHA256SUMS``. Returns the files written.
    """
    import pyarrow.parquet as pq

    from .dataset import MANIFEST, _read_manifest, _sha256, verify

    folder = Path(folder)
    # never index (and re-sign) a damaged dataset; the old index is what is being replaced
    verify(folder, skip=FILES)
    ds = Dataset(folder, _read_manifest(folder))
    written = []
    for rel, table in tables(ds.transactions, ds.outputs, ds.inputs).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd", store_schema=False)
        written.append(path)
    sums = _read_manifest(folder)
    sums.update({rel: _sha256(folder / rel) for rel in FILES})
    text = "".join(f"{digest}  {rel}\n" for rel, digest in sorted(sums.items()))
    tmp = folder / f"{MANIFEST}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(folder / MANIFEST)  # atomic: an interrupted run leaves the old manifest valid
    return written
