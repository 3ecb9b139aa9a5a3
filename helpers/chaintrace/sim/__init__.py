"""chaintrace.sim: a seeded generator of a realistic, anonymised Bitcoin-like economy.

``generate(seed, n_transactions, out_dir, truth_dir, name)`` simulates the economy, then writes
what a trainee receives to ``out_dir`` (chain tables, prices, tags, sanctions lists, account
ledger, case briefs, ``SHA256SUMS``) and the ground truth to ``truth_dir``. The same seed and
version give byte-identical files.

``raw_transaction(txid, transactions, inputs, outputs)`` rebuilds any transaction's raw form
from the dataset tables (for ``/tx/:txid/hex``).

>>> import tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> summary = generate(3, 1_500, tmp / "d", tmp / "t", name="tiny")
>>> summary["transactions"] > 1_000, (tmp / "d" / "SHA256SUMS").exists()
(True, True)
"""

from ..rebuild import raw_transaction

__all__ = ["generate", "raw_transaction"]


def generate(
    seed: int,
    n_transactions: int,
    out_dir,
    truth_dir,
    name: str = "course",
    progress=None,
    cases: bool = True,
) -> dict:
    """Simulate and write one dataset; returns a summary dict (counts, files, days).

    ``cases=False`` is the scale profile: the same economy without the scripted curriculum
    cases (no case files), for benchmark datasets.
    """
    from .build import build

    return build(seed, n_transactions, out_dir, truth_dir, name, progress, cases)
