"""The engine index (``graph/``): loads fast and gives exactly the engine the tables give."""

import hashlib
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _chain_fixtures import write_manifest
from _text_engine import rule_arrays, transactions_from_tables
from chaintrace import DatasetError, LocalChain, NotFound, graphstore, load_case, load_dataset
from chaintrace.graph import TxGraph, build_graph
from chaintrace.txtables import from_transactions, tables

GRAPH_ARRAYS = [
    "tx_time", "tx_height", "tx_coinbase", "tx_out_ptr", "tx_in_ptr", "out_tx", "out_vout",
    "out_value", "in_out", "out_spent_tx", "out_addr", "tx_version", "tx_locktime", "out_type",
    "in_sequence",
]  # fmt: skip


@pytest.fixture(scope="module")
def course():
    ds = load_dataset("course")
    assert graphstore.has_index(ds), "the bundled dataset ships its engine index"
    return ds


def assert_same_graph(a: TxGraph, b: TxGraph):
    for name in GRAPH_ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert list(a.txids) == list(b.txids)
    assert list(a.addresses) == list(b.addresses)


def test_index_gives_the_graph_the_tables_give(course):
    stored = graphstore.load(course)
    assert stored._store is not None
    assert_same_graph(
        stored, TxGraph.from_tables(course.transactions, course.outputs, course.inputs)
    )


def _assert_rule_arrays(T, expected: dict) -> None:
    for name, want in expected.items():
        if name in ("txid", "addresses", "in_prev_rank"):
            continue
        assert np.array_equal(getattr(T, name), want), name
    # BIP-69 only compares ranks: the same order, whatever the numbers
    dense = pd.factorize(np.asarray(T.in_prev_rank), sort=True)[0]
    assert np.array_equal(dense, pd.factorize(expected["in_prev_rank"], sort=True)[0])
    assert list(T.txid) == list(expected["txid"])
    assert list(T.addresses) == list(expected["addresses"])
    assert T.n_addresses == len(expected["addresses"])


def test_the_rules_read_what_the_text_tables_say(course):
    """The one index, loaded from graph/ or derived from the tables, under the rules' names,
    holds what the text tables say (matched as text, the plain way)."""
    expected = rule_arrays(course.transactions, course.outputs, course.inputs)
    _assert_rule_arrays(tables(course), expected)
    slow = TxGraph.from_tables(course.transactions, course.outputs, course.inputs)
    _assert_rule_arrays(tables(slow), expected)


def test_transactions_given_by_hand_go_through_the_same_index(course):
    """A chain's transactions handed in as objects give the arrays their tables give."""
    chain = LocalChain(course)
    first = course.transactions.iloc[5000:5400]  # most of their inputs spend older coins
    txs = [chain.tx(t) for t in first["txid"]]
    outputs = course.outputs[course.outputs["txid"].isin(first["txid"])].copy()
    outputs.loc[~outputs["spent_txid"].isin(first["txid"]), "spent_txid"] = None
    inputs = course.inputs[course.inputs["txid"].isin(first["txid"])]
    expected = rule_arrays(first, outputs, inputs)
    T = from_transactions(txs)
    _assert_rule_arrays(T, expected)
    assert T.graph.n_out > T.graph.n_own_out  # the older coins: outside outputs


def test_local_chain_answers_what_the_tables_say(course):
    """Every transaction the chain backend builds from the index is the one the tables hold."""
    chain = LocalChain(course)
    for txid, expected in transactions_from_tables(course).items():
        assert chain.tx(txid) == expected, txid


def test_build_graph_uses_the_index_and_decodes_text_only_when_asked(course):
    assert build_graph(course)._store is not None
    g = graphstore.load(course)  # a fresh one: nothing decoded yet
    case = load_case("ransom-01")
    t = g.tx_id(case.payment_txid)
    assert "txids" not in g.__dict__, "one lookup must not decode every txid"
    assert g.txids[t] == case.payment_txid
    wrong_tail = case.payment_txid[:-1] + ("0" if case.payment_txid[-1] != "0" else "1")
    with pytest.raises(NotFound, match="not in"):
        g.tx_id(wrong_tail)  # same first 64 bits, so only the full comparison catches it


def test_dataset_without_index_still_works_and_can_be_indexed(mini_path, tmp_path):
    folder = shutil.copytree(mini_path, tmp_path / "mini")
    plain = load_dataset(folder)
    assert not graphstore.has_index(plain) and graphstore.load(plain) is None
    slow = build_graph(plain)
    written = graphstore.write(folder)
    assert [p.relative_to(folder).as_posix() for p in written] == list(graphstore.FILES)
    indexed = load_dataset(folder)  # SHA256SUMS was updated, so it verifies
    assert graphstore.has_index(indexed)
    assert_same_graph(graphstore.load(indexed), slow)


def test_damaged_index_is_refused(mini_path, tmp_path):
    folder = shutil.copytree(mini_path, tmp_path / "mini")
    graphstore.write(folder)
    path = folder / "graph" / "outputs.parquet"
    path.write_bytes(path.read_bytes()[:-40] + b"\0" * 40)
    with pytest.raises(DatasetError, match="graph/outputs.parquet.*edited or damaged"):
        load_dataset(folder)


def test_index_that_contradicts_itself_is_refused(mini_path, tmp_path):
    folder = shutil.copytree(mini_path, tmp_path / "mini")
    graphstore.write(folder)
    path = folder / "graph" / "inputs.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(1), path)  # one input fewer than the transactions promise
    write_manifest(folder)  # re-signed, so only the consistency check can catch it
    with pytest.raises(DatasetError, match="does not match itself.*chaintrace generate"):
        build_graph(load_dataset(folder))


def test_hex_text_round_trips():
    raw = np.random.default_rng(1).integers(0, 256, (5, 32), dtype=np.uint8)
    text = graphstore.hex_text(raw)
    assert text.type == pa.string()
    assert [bytes.fromhex(t) for t in text.to_pylist()] == [bytes(r) for r in raw]


def test_index_command_indexes_a_dataset_and_refuses_a_damaged_one(mini_path, tmp_path, capsys):
    from chaintrace.cli import main

    folder = shutil.copytree(mini_path, tmp_path / "mini")
    assert main(["index", str(folder)]) == 0
    assert "wrote 4 index files" in capsys.readouterr().out
    assert graphstore.has_index(load_dataset(folder))
    (folder / "prices.csv").write_text("date,usd\n")  # damaged: indexing would re-sign it
    assert main(["index", str(folder)]) == 2
    assert "prices.csv does not match its SHA-256" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the index agrees
# with the tables: a rewritten index with a recomputed SHA256SUMS is refused, and rebuilt


@pytest.fixture
def indexed(mini_path, tmp_path):
    folder = shutil.copytree(mini_path, tmp_path / "mini")
    graphstore.write(folder)
    return folder


def rewrite(folder, name, change):
    """Edit one index file the way a tool would, then recompute SHA256SUMS to match."""
    path = folder / name
    columns = pq.read_table(path).to_pydict()
    change(columns)
    schema = pa.schema([f for f in pq.read_schema(path) if f.name in columns])
    pq.write_table(pa.table(columns, schema=schema), path)
    write_manifest(folder)


def test_edited_values_with_recomputed_checksums_are_refused_then_rebuilt(indexed, capsys):
    from chaintrace.cli import main

    true_total = int(load_dataset(indexed).outputs["value"].sum())
    rewrite(
        indexed,
        "graph/outputs.parquet",
        lambda c: c["value"].__setitem__(slice(None), [7] * len(c["value"])),
    )
    with pytest.raises(DatasetError) as refused:
        load_dataset(indexed)
    message = str(refused.value)
    assert "graph/outputs.parquet does not match outputs.parquet" in message
    assert "column 'value', row 0: 7 instead of" in message
    assert f"chaintrace index {indexed}" in message
    assert main(["index", str(indexed)]) == 0, capsys.readouterr().err
    assert build_graph(load_dataset(indexed)).out_value.sum() == true_total


@pytest.mark.parametrize(
    "name, change, column",
    [
        ("graph/transactions.parquet", lambda c: c["txid"].reverse(), "txid"),
        ("graph/transactions.parquet", lambda c: c["time"].__setitem__(-1, 0), "time"),
        ("graph/inputs.parquet", lambda c: c["spends"].reverse(), "spends"),
        ("graph/inputs.parquet", lambda c: c["sequence"].__setitem__(0, 1), "sequence"),
        ("graph/outputs.parquet", lambda c: c["address"].reverse(), "address"),
        ("graph/outputs.parquet", lambda c: c["script_type"].__setitem__(0, 5), "script_type"),
        ("graph/addresses.parquet", lambda c: c["address"].reverse(), "address"),
        ("graph/outputs.parquet", lambda c: c.pop("script_type"), "script_type"),
    ],
)
def test_every_kind_of_index_edit_is_refused(indexed, name, change, column):
    from chaintrace.dataset import Dataset, _read_manifest

    rewrite(indexed, name, change)
    edited = Dataset(indexed, _read_manifest(indexed))
    with pytest.raises(graphstore._Disagreement):  # caught by the cheap pass, not only the whole
        graphstore._compare_cheaply(edited, graphstore.read_arrays(edited))
    with pytest.raises(
        DatasetError, match=rf"{name} does not match .*column '{column}'.*chaintrace index"
    ):
        load_dataset(indexed)


def test_tables_in_another_order_are_not_mistaken_for_an_edit(mini_path, tmp_path):
    folder = shutil.copytree(mini_path, tmp_path / "mini")
    path = folder / "outputs.parquet"
    table = pq.read_table(path)
    pq.write_table(table.take(np.arange(table.num_rows)[::-1]), path)  # any row order is valid
    write_manifest(folder)
    graphstore.write(folder)
    ds = load_dataset(folder)
    assert_same_graph(
        graphstore.load(ds), TxGraph.from_tables(ds.transactions, ds.outputs, ds.inputs)
    )


def test_index_command_rebuilds_an_index_damaged_without_new_checksums(indexed, capsys):
    from chaintrace.cli import main

    path = indexed / "graph" / "inputs.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(DatasetError, match="graph/inputs.parquet does not match its SHA-256"):
        load_dataset(indexed)
    assert main(["index", str(indexed)]) == 0, capsys.readouterr().err
    assert graphstore.has_index(load_dataset(indexed))


def test_an_index_file_that_is_not_parquet_is_refused_with_the_fix(indexed):
    (indexed / "graph" / "addresses.parquet").write_text("address\n")
    write_manifest(indexed)
    with pytest.raises(DatasetError) as refused:
        load_dataset(indexed)
    message = str(refused.value)
    assert "graph/addresses.parquet does not match outputs.parquet" in message
    assert "not readable as Parquet" in message and f"chaintrace index {indexed}" in message


def test_a_record_of_an_older_verification_is_not_trusted(indexed, tmp_path, monkeypatch):
    """A dataset recorded as verified before the index was cross-checked is checked again."""
    import json

    import chaintrace.dataset as dsmod

    monkeypatch.setenv("CHAINTRACE_CACHE", str(tmp_path / "cache"))
    rewrite(indexed, "graph/transactions.parquet", lambda c: c["time"].reverse())
    sums = dsmod._read_manifest(indexed.resolve())
    sig = dsmod._signature(indexed.resolve(), sums)
    older = hashlib.sha256(str(indexed.resolve()).encode()).hexdigest()[:24]  # the old key
    (tmp_path / "cache" / "verified").mkdir(parents=True)
    (tmp_path / "cache" / "verified" / f"{older}.json").write_text(json.dumps(sig))
    with pytest.raises(DatasetError, match="column 'time'"):
        load_dataset(indexed)


def test_one_swapped_txid_deep_in_the_course_data_is_refused(course, tmp_path):
    """The text of every row of a course-sized dataset is compared, not only a sample."""
    folder = shutil.copytree(course.path, tmp_path / "course")
    n = len(course.transactions)

    def swap(columns):  # two late transactions trade txids: a trace would start at the wrong one
        txids = columns["txid"]
        txids[n - 2], txids[n - 1] = txids[n - 1], txids[n - 2]

    rewrite(folder, "graph/transactions.parquet", swap)
    with pytest.raises(DatasetError, match=rf"column 'txid', row {n - 2:,}"):
        load_dataset(folder)
