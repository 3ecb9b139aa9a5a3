"""Loading datasets: checksum verification, lazy tables, prices and case files."""

import json
import shutil
from datetime import date, datetime, timedelta, timezone

import pytest
from _chain_fixtures import write_manifest
from chaintrace import Case, DatasetError, load_case, load_dataset
from chaintrace.paths import datasets_root


@pytest.fixture
def copy(mini_path, tmp_path):
    """A private copy of the fixture dataset that a test may damage."""
    return shutil.copytree(mini_path, tmp_path / "mini")


def test_loads_tables_with_contract_columns(mini_path):
    ds = load_dataset(mini_path)
    assert ds.name == "mini"
    assert list(ds.transactions.columns) == [
        "txid",
        "height",
        "position",
        "time",
        "version",
        "locktime",
        "size",
        "vsize",
        "weight",
        "fee",
        "n_inputs",
        "n_outputs",
        "coinbase",
    ]
    assert {"spent_txid", "spent_vin"} <= set(ds.outputs.columns)
    assert len(ds.inputs) == ds.transactions["n_inputs"].sum()
    assert len(ds.outputs) == ds.transactions["n_outputs"].sum()
    assert ds.blocks["n_tx"].sum() == len(ds.transactions)
    assert ds.transfers["asset"].tolist() == ["USDT"]
    assert ds.tags_path.is_file() and (ds.sanctions_dir / "sanctioned_addresses_XBT.txt").is_file()


def test_same_object_while_unchanged(mini_path):
    assert load_dataset(mini_path) is load_dataset(str(mini_path))


def test_checksum_is_sha256_of_manifest(mini_path):
    import hashlib

    expected = hashlib.sha256((mini_path / "SHA256SUMS").read_bytes()).hexdigest()
    assert load_dataset(mini_path).checksum == expected


def test_edited_file_is_refused_naming_file_and_fix(copy):
    load_dataset(copy)  # fine, and now cached
    path = copy / "prices.csv"
    path.write_text(path.read_text().replace("36000.5", "99999.5"))
    with pytest.raises(DatasetError, match=r"prices\.csv does not match .*git checkout datasets/"):
        load_dataset(copy)


def test_corrupt_parquet_is_refused(copy):
    with open(copy / "outputs.parquet", "r+b") as fh:
        fh.seek(100)
        fh.write(b"\x00\xff")
    with pytest.raises(DatasetError, match=r"outputs\.parquet .*chaintrace generate"):
        load_dataset(copy)


def test_missing_file_and_missing_manifest(copy):
    (copy / "blocks.parquet").unlink()
    with pytest.raises(DatasetError, match=r"blocks\.parquet is missing"):
        load_dataset(copy)
    (copy / "SHA256SUMS").unlink()
    with pytest.raises(DatasetError, match="no SHA256SUMS"):
        load_dataset(copy)


def test_garbled_manifest_line(copy):
    (copy / "SHA256SUMS").write_text("not a checksum line\n")
    with pytest.raises(DatasetError, match="line 1"):
        load_dataset(copy)


def test_unknown_dataset_lists_available(monkeypatch, mini_path):
    monkeypatch.setenv("CHAINTRACE_DATASETS", str(mini_path.parent))
    assert datasets_root() == mini_path.parent
    with pytest.raises(DatasetError, match=r"no dataset 'nope'.*available: mini"):
        load_dataset("nope")
    assert load_dataset("mini").path == mini_path.resolve()


def test_price_usd_accepts_every_time_form(mini_path):
    ds = load_dataset(mini_path)
    first = ds.prices["date"].iloc[0].date()
    assert ds.price_usd(first) == 36000.5
    assert ds.price_usd("2023-11-15") == 36500.5
    assert ds.price_usd(1_700_000_000) == 36000.5  # 2023-11-14 22:13 UTC
    late = datetime(2023, 11, 15, 1, 0, tzinfo=timezone(timedelta(hours=5)))  # 14th 20:00 UTC
    assert ds.price_usd(late) == 36000.5
    assert ds.price_usd(ds.prices["date"].iloc[2]) == 37000.5


def test_price_outside_range_is_clear(mini_path):
    ds = load_dataset(mini_path)
    with pytest.raises(DatasetError, match="cover 2023-11-14 to 2023-11-16"):
        ds.price_usd(date(2030, 1, 1))
    with pytest.raises(DatasetError, match="milliseconds"):
        ds.price_usd(1_700_000_000_000)
    with pytest.raises(DatasetError, match="YYYY-MM-DD"):
        ds.price_usd("last tuesday")


def test_case_attributes_fall_through_to_reported(mini_path):
    ds = load_dataset(mini_path)
    assert ds.case_ids == ["M1"]
    case = load_case("M1", dataset=mini_path)
    assert isinstance(case, Case)
    assert case.payment_txid == case.reported["payment_txid"] == ds.transactions["txid"].iloc[2]
    assert case.module == "03" and case.amount_btc == 6.0
    assert repr(case) == "Case('M1', 'Mini peel chain', typology='peel_chain', module='03')"
    md = case._repr_markdown_()
    assert (
        md.startswith("### Mini peel chain") and "follow the money" in md and "payment_txid" in md
    )
    raw = json.loads((mini_path / "cases" / "M1.json").read_text())
    assert case.to_dict() == raw
    with pytest.raises(AttributeError, match="reported fields: payment_txid"):
        _ = case.seized_amount
    with pytest.raises(TypeError):
        case.reported["x"] = 1  # read-only


def test_unknown_case_lists_available(mini_path):
    with pytest.raises(DatasetError, match=r"no case 'R9'.*available: M1"):
        load_dataset(mini_path).case("R9")


def test_missing_optional_table_is_clear(copy):
    (copy / "account" / "transfers.parquet").unlink()
    write_manifest(copy)
    with pytest.raises(DatasetError, match="has no account/transfers.parquet"):
        _ = load_dataset(copy).transfers


def test_verified_once_then_remembered_across_processes(copy, tmp_path, monkeypatch):
    """A later process (simulated by clearing the in-memory cache) does not hash again..."""
    import chaintrace.dataset as dsmod

    monkeypatch.setenv("CHAINTRACE_CACHE", str(tmp_path / "cache"))
    load_dataset(copy)
    dsmod._CACHE.clear()
    calls = []
    monkeypatch.setattr(dsmod, "verify", lambda folder: calls.append(folder))
    load_dataset(copy)
    assert calls == [], "an unchanged, already verified dataset is not hashed again"


def test_edit_with_mtime_set_back_is_still_caught(copy, tmp_path, monkeypatch):
    """...but an edit is, even one that restores the file's size and modification time."""
    import os

    import chaintrace.dataset as dsmod

    monkeypatch.setenv("CHAINTRACE_CACHE", str(tmp_path / "cache"))
    load_dataset(copy)
    dsmod._CACHE.clear()
    path = copy / "prices.csv"
    before = path.stat()
    text = path.read_text()
    path.write_text(text.replace("36000", "96000", 1))  # same size, different numbers
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    with pytest.raises(DatasetError, match="prices.csv does not match"):
        load_dataset(copy)


def test_unwritable_cache_still_verifies(copy, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("CHAINTRACE_CACHE", str(blocker))
    assert load_dataset(copy).name == "mini"


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "/etc/passwd", "cases/../../outside.txt", "..\\outside.txt", "C:/x.txt"],
)
def test_manifest_naming_a_file_outside_the_dataset_is_refused(copy, name):
    outside = copy.parent / "outside.txt"
    outside.write_text("not the dataset's\n")
    digest = "0" * 64
    with open(copy / "SHA256SUMS", "a") as fh:
        fh.write(f"{digest}  {name}\n")
    with pytest.raises(
        DatasetError, match=r"SHA256SUMS line \d+ names .*outside the dataset folder"
    ):
        load_dataset(copy)


def test_manifest_naming_a_symlink_leading_out_is_refused(copy):
    import hashlib

    outside = copy.parent / "outside.txt"
    outside.write_text("not the dataset's\n")
    (copy / "notes.txt").symlink_to(outside)
    (copy / "inside.csv").symlink_to(copy / "prices.csv")  # a link that stays inside is fine
    write_manifest(copy)  # lists both links with their (correct) digests
    assert hashlib.sha256(outside.read_bytes()).hexdigest() in (copy / "SHA256SUMS").read_text()
    with pytest.raises(DatasetError, match=r"names 'notes.txt', outside the dataset folder"):
        load_dataset(copy)
    (copy / "notes.txt").unlink()
    write_manifest(copy)
    assert load_dataset(copy).name == "mini"


def test_one_conversion_of_a_dataset_argument():
    """Name, folder, Dataset and objects holding one all give the same verified Dataset."""
    from chaintrace import LocalChain
    from chaintrace.dataset import as_dataset
    from chaintrace.graph import build_graph
    from chaintrace.txtables import tables

    ds = load_dataset("course")
    chain = LocalChain(ds.path)  # a folder, as pathlib.Path
    assert chain.dataset is ds and as_dataset(chain) is ds and as_dataset(build_graph(ds)) is ds
    assert tables(ds.path) is tables("course") is tables(chain)
    with pytest.raises(TypeError, match="a dataset is a name"):
        tables(3.5)
