"""Plots: they draw what the trace holds, summarise big graphs, and never show()."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from chaintrace import load_case  # noqa: E402
from chaintrace.graph import build_graph  # noqa: E402
from chaintrace.plot import GREY, OKABE_ITO, plot_cluster, plot_flow, plot_timeline  # noqa: E402
from chaintrace.trace import follow_peel_chain, trace_backward, trace_forward  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _rgba(hex_colour):
    return tuple(round(int(hex_colour[i : i + 2], 16) / 255, 3) for i in (1, 3, 5)) + (1.0,)


def _peel():
    g = build_graph("course")
    case = load_case("ransom-01")
    return follow_peel_chain(g.out_label(g.find_output(case.payment_txid, case.ransom_address)))


def test_flow_draws_every_node_with_palette_colours(tmp_path):
    trace = _peel()
    ax = plot_flow(trace)
    texts = [t.get_text() for t in ax.texts]
    labels = set(trace.hops["label"]) - {""}  # tags are partial: a variant may have none
    assert labels <= set(texts) and any("BTC" in t for t in texts)
    last = int(trace.hops["hop"].max())
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == f"hop {last}"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "untagged" in legend and "peeled off" in legend
    assert set(trace.hops["category"]) - {""} <= set(legend)
    faces = {
        tuple(round(c, 3) for c in fc) for coll in ax.collections for fc in coll.get_facecolors()
    }
    allowed = {_rgba(c) for c in [*OKABE_ITO.values(), GREY]}
    node_faces = {f for f in faces if f[3] == 1.0}
    assert node_faces and node_faces <= allowed  # nodes only in palette colours (or grey)
    ax.figure.savefig(tmp_path / "peel.png")
    assert (tmp_path / "peel.png").stat().st_size > 10_000


def test_tagged_service_is_named_and_coloured():
    from test_graph import tiny_graph, txid
    from test_trace import PEEL, TAGS

    trace = follow_peel_chain(f"{txid('cb')}:0", dataset=tiny_graph(PEEL), tags=TAGS)
    ax = plot_flow(trace)
    assert {"Kestrel", "Corner Shop"} <= {t.get_text() for t in ax.texts}
    faces = {
        tuple(round(c, 3) for c in f) for coll in ax.collections for f in coll.get_facecolors()
    }
    assert _rgba(OKABE_ITO["blue"]) in faces  # the exchange


def test_big_flow_is_summarised_not_a_hairball():
    trace = trace_forward(load_case("theft-01").theft_txid, hops=12)
    assert len(trace) > 100  # well over the 60 nodes drawn
    ax = plot_flow(trace, max_nodes=60)
    assert "smaller addresses merged" in ax.get_title()
    n_nodes = sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets"))
    assert n_nodes <= 60 + 13 * 2  # kept nodes plus one "others" node per hop (and starts)


def test_flow_by_time_and_backward():
    ax = plot_flow(trace_backward(load_case("ransom-01").payment_txid, hops=3), by="time")
    assert ax.get_xlabel() == "time (UTC)"
    with pytest.raises(ValueError, match="by must be"):
        plot_flow(_peel(), by="colour")


def test_timeline_and_cluster():
    trace = _peel()
    ax = plot_timeline(trace)
    labels = set(trace.hops["label"]) - {""}
    assert ax.get_yscale() == "log" and labels <= {t.get_text() for t in ax.texts}
    case = load_case("cluster-01")
    g = build_graph("course")
    t = g.tx_id(case.payment_txid)
    payer = g.out_addr_text(g.inputs_of(t)[0])
    ax = plot_cluster([case.suspect_address, payer])
    assert ax.get_title().startswith("Cluster of 2 addresses")


def test_plots_never_open_a_window(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() called"))
    plot_flow(_peel())
    plot_timeline(_peel())


def test_edge_amounts_in_the_readers_number_form():
    """An edge's amount reads ``0.5000 BTC`` in English, ``0,5000 BTC`` in Ukrainian."""
    from chaintrace.messages import use

    trace = _peel()
    with use("en"):
        english = [t.get_text() for t in plot_flow(trace).texts if " BTC" in t.get_text()]
    with use("uk"):
        shown = [t.get_text() for t in plot_flow(trace).texts if " BTC" in t.get_text()]
    assert english and len(shown) == len(english)
    assert all(re.match(r"\d+\.\d{4} BTC\n", t) for t in english)
    assert [t.replace(",", ".", 1) for t in shown] == english  # the same amounts, a comma
