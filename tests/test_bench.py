"""bench/run.py --quick still runs end to end on the course data (it times nothing here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_quick_benchmark_runs_and_checks_its_answers(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.main(["--quick", "--json", str(tmp_path / "r.json")])
    names = [r["what"] for r in rows]
    for expected in (
        "load: engine index -> graph",
        "clustering (common input)",
        "forward trace, 25 hops",
        "haircut taint",
    ):
        assert expected in names
    load = next(r for r in rows if r["what"] == "load: engine index -> graph")
    assert load["baseline_s"] > 0, "the index is compared with reading the text tables"
    assert any(n.startswith("draw a") for n in names)
    assert (tmp_path / "r.json").stat().st_size > 100
    assert "ratio" in capsys.readouterr().out
