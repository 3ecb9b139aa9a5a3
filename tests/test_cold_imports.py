"""A new process asking one question loads only what the answer needs (bench/cold.py times it):
clustering and a taint asked for as a dict import neither pandas (~0.4 s of CPU) nor scipy's
sparse packages (~0.25 s); a table does import pandas, and its answer is the same."""

import json
import os
import subprocess
import sys

from conftest import ROOT

QUESTION = """
import json, sys
import chaintrace as ct
from chaintrace.graph import build_graph
g = build_graph(ct.load_dataset("course"))
clusters = ct.cluster_addresses("course")
taint = ct.haircut(g.out_label(int(g.outputs_of(0)[0])), dataset=g).as_dict()
loaded = sorted(m for m in ("pandas", "scipy.sparse", "matplotlib") if m in sys.modules)
print(json.dumps([loaded, len(taint), sum(taint.values()), len(clusters.sizes())]))
"""


def test_a_taint_as_a_dict_and_clustering_load_no_pandas_nor_scipy():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "helpers"))
    done = subprocess.run(
        [sys.executable, "-c", QUESTION], capture_output=True, text=True, env=env, check=True
    )
    loaded, n, sats, n_clusters = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"a new process loaded {loaded} it did not need"
    import chaintrace as ct
    from chaintrace.graph import build_graph

    g = build_graph("course")
    table = ct.haircut(g.out_label(int(g.outputs_of(0)[0])), dataset=g).frame()
    assert (n, sats) == (len(table), int(table["tainted_sats"].sum()))
    assert n_clusters == len(ct.cluster_addresses("course").sizes())
