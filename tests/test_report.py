"""Exhibits: the right columns and values, and hashes anyone can re-check."""

from __future__ import annotations

import hashlib
import subprocess

import pandas as pd
import pytest
from chaintrace import __version__, load_case, load_dataset
from chaintrace.graph import build_graph
from chaintrace.report import FOOTER_MARK, exhibit_table, export_exhibit, verify_exhibit
from chaintrace.trace import follow_peel_chain, trace_forward
from test_graph import tiny_graph, txid
from test_trace import PEEL


@pytest.fixture(scope="module")
def peel():
    g = build_graph("course")
    case = load_case("ransom-01")
    return follow_peel_chain(g.out_label(g.find_output(case.payment_txid, case.ransom_address)))


def test_table_has_usd_at_the_day_of_each_hop(peel):
    table = exhibit_table(peel)
    ds = load_dataset("course")
    row = table.iloc[-1]
    price = ds.price_usd(row["time_utc"][:10])
    assert row["btc_usd_close"] == price
    assert row["usd_at_time"] == round(row["sats"] / 1e8 * price, 2)
    assert row["time_utc"].endswith("Z") and row["confidence"] == "certain"
    assert set(table["txid"]) >= set(peel.hops["txid"])


def test_exhibit_files_name_the_dataset_and_verify(peel, tmp_path):
    files = export_exhibit(
        peel, tmp_path / "ex" / "ransom", case_id="ransom-01", examiner="DC Test"
    )
    ds = load_dataset("course")
    for path in files.values():
        text = path.read_text(encoding="utf-8")
        assert ds.checksum in text and f"chaintrace {__version__}" in text and "ransom-01" in text
        assert verify_exhibit(path)
        line = (path.parent / (path.name + ".sha256")).read_text()
        assert line == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
    csv = pd.read_csv(files["csv"], comment="#")
    assert len(csv) == len(peel.hops) and csv["sats"].sum() == peel.hops["sats"].sum()


def test_html_footer_hash_is_reproducible_with_head(peel, tmp_path):
    path = export_exhibit(peel, tmp_path / "x", formats=("html",))["html"]
    data = path.read_bytes()
    covered = data[: data.index(FOOTER_MARK.encode())]
    footer = data[len(covered) :].decode()
    assert f"SHA-256 of the {len(covered)} bytes" in footer
    assert hashlib.sha256(covered).hexdigest() in footer
    out = subprocess.run(
        f"head -c {len(covered)} '{path}' | sha256sum", shell=True, capture_output=True, text=True
    )
    assert out.stdout.split()[0] == hashlib.sha256(covered).hexdigest()


def test_tampering_is_detected(peel, tmp_path):
    files = export_exhibit(peel, tmp_path / "t")
    for path in files.values():
        data = path.read_bytes()
        path.write_bytes(data.replace(b"peel", b"pool", 1))
        assert not verify_exhibit(path)
    (tmp_path / "t.csv.sha256").unlink()
    with pytest.raises(FileNotFoundError, match="export_exhibit"):
        verify_exhibit(files["csv"])


def test_no_prices_leaves_usd_blank_and_bad_format_is_refused(tmp_path):
    trace = trace_forward(f"{txid('cb')}:0", hops=3, dataset=tiny_graph(PEEL))
    table = exhibit_table(trace)
    assert table["usd_at_time"].isna().all()
    files = export_exhibit(trace, tmp_path / "tiny", formats=("md",))
    assert "(no dataset manifest)" in files["md"].read_text()
    with pytest.raises(ValueError, match="unknown exhibit format"):
        export_exhibit(trace, tmp_path / "t", formats=("pdf",))
