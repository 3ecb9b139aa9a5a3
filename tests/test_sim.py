"""The generator: determinism and the rules a node enforces, on a small fresh economy."""

import pandas as pd
import pyarrow.parquet as pq
import pytest
from chaintrace import encoding, rawtx
from chaintrace.sim import generate, raw_transaction
from chaintrace.sim.calendar import COINBASE_MATURITY, subsidy


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    generate(42, 1_500, root / "a", root / "ta", name="small")
    return root


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _tables(folder):
    return {
        k: pd.read_parquet(folder / f"{k}.parquet")
        for k in ("blocks", "transactions", "outputs", "inputs")
    }


def test_same_seed_gives_identical_bytes(small, tmp_path):
    generate(42, 1_500, tmp_path / "b", tmp_path / "tb", name="small")
    assert _files(small / "a") == _files(tmp_path / "b")
    assert _files(small / "ta") == _files(tmp_path / "tb")


def test_other_seed_differs(small, tmp_path):
    generate(43, 1_500, tmp_path / "c", tmp_path / "tc", name="small")
    assert (
        _files(small / "a")["transactions.parquet"]
        != _files(tmp_path / "c")["transactions.parquet"]
    )


def test_value_is_conserved_and_fees_paid(small):
    t = _tables(small / "a")
    ins = t["inputs"].groupby("txid")["value"].sum()
    outs = t["outputs"].groupby("txid")["value"].sum()
    tx = t["transactions"].set_index("txid")
    normal = tx[~tx["coinbase"]]
    assert (ins[normal.index] - outs[normal.index] == normal["fee"]).all()
    assert (normal["fee"] > 0).all()
    fees = normal.groupby("height")["fee"].sum()
    cb = tx[tx["coinbase"]]
    claimed = outs[cb.index].to_numpy()
    allowed = [subsidy(h) + fees.get(h, 0) for h in cb["height"]]
    assert (claimed == allowed).all()


def test_no_double_spend_and_spends_follow_creation(small):
    t = _tables(small / "a")
    ins, tx = t["inputs"], t["transactions"].set_index("txid")
    assert not ins.duplicated(["prev_txid", "prev_vout"]).any()
    h_spend = tx.loc[ins["txid"], "height"].to_numpy()
    h_prev = tx.loc[ins["prev_txid"], "height"].to_numpy()
    assert (h_prev < h_spend).all()
    from_cb = tx.loc[ins["prev_txid"], "coinbase"].to_numpy()
    assert (h_spend[from_cb] - h_prev[from_cb] >= COINBASE_MATURITY).all()
    outs = t["outputs"].set_index(["txid", "vout"])
    spent = outs.loc[list(zip(ins["prev_txid"], ins["prev_vout"], strict=True))]
    assert (spent["spent_txid"].to_numpy() == ins["txid"].to_numpy()).all()
    assert (spent["value"].to_numpy() == ins["value"].to_numpy()).all()


def test_every_address_is_valid_and_typed(small):
    outs = _tables(small / "a")["outputs"]
    for addr, kind in zip(outs["address"], outs["script_type"], strict=True):
        if kind == "op_return":
            assert addr == ""
            continue
        decoded_type, nets, _ = encoding.decode_address(addr)
        assert decoded_type == kind and "mainnet" in nets


def test_txids_are_hashes_of_rebuilt_transactions(small):
    t = _tables(small / "a")
    tx = t["transactions"]
    # every 5th transaction plus every many-input one (CoinJoins, sweeps): covers every
    # shape the generator makes, in a second instead of ten
    many = tx.index[tx["n_inputs"] >= 5].to_numpy()
    rows = sorted(set(range(0, len(tx), 5)) | set(many.tolist()))
    ins = dict(tuple(t["inputs"].groupby("txid", sort=False)))
    outs = dict(tuple(t["outputs"].groupby("txid", sort=False)))
    empty = t["inputs"].iloc[:0]
    for txid in tx["txid"].to_numpy()[rows]:
        raw = raw_transaction(txid, tx, ins.get(txid, empty), outs[txid])
        assert rawtx.txid(raw) == txid
    row = tx.iloc[len(tx) // 2]
    raw = raw_transaction(row["txid"], tx, t["inputs"], t["outputs"])
    assert (rawtx.vsize(raw), rawtx.weight(raw), rawtx.size(raw)) == (
        row["vsize"],
        row["weight"],
        row["size"],
    )


def test_blocks_are_a_calendar(small):
    b = _tables(small / "a")["blocks"]
    assert b["height"].is_monotonic_increasing and b["time"].is_monotonic_increasing
    assert b["hash"].str.len().eq(64).all() and b["hash"].is_unique


def test_too_small_request_is_refused(tmp_path):
    with pytest.raises(ValueError, match="200 or more"):
        generate(1, 10, tmp_path / "x", tmp_path / "y")


def test_tables_written_a_row_group_at_a_time_hold_the_same_rows(tmp_path, monkeypatch):
    # Scale datasets are written one Parquet row group at a time (memory follows the group, not
    # the table); groups of 700 rows make every boundary of that path run on a small economy.
    from chaintrace.sim import build, writer

    chain = writer.Chain(build.simulate(42, 1_500, cases=False))
    monkeypatch.setattr(writer, "ROW_GROUP", 700)
    made = {f"chain {k}": v for k, v in writer.table_rows(chain).items()}
    made.update({f"truth {k}": v for k, v in writer.truth_rows(chain).items()})
    for name, (n, rows) in made.items():
        asked: list[int] = []

        def spy(a, b, rows=rows, asked=asked):
            asked.append(b - a)
            return rows(a, b)

        writer.write_parquet(tmp_path / "t.parquet", n, spy)
        assert max(asked) <= 700 and sum(asked) == n, name
        meta = pq.ParquetFile(tmp_path / "t.parquet").metadata
        assert meta.num_row_groups == len(asked) == -(-n // 700), name
        grouped = pq.read_table(tmp_path / "t.parquet")
        assert grouped.equals(rows(0, n)), name
    assert made["chain outputs"][0] > 2 * 700


def test_engine_index_made_from_the_economy_is_the_one_the_tables_give(small):
    # The generator builds graph/ from its own arrays; the engine builds the same index from
    # the text tables (graphstore.tables): both must hold the same bytes.
    from chaintrace import graphstore
    from chaintrace.sim import writer

    frames = [
        pd.read_parquet(small / "a" / f"{k}.parquet", columns=columns)
        for k, columns in graphstore.SOURCE_COLUMNS.items()
    ]
    for rel, table in graphstore.tables(*frames).items():
        assert (small / "a" / rel).read_bytes() == writer.parquet_bytes(table, level=1), rel
