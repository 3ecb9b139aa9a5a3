"""Ground truth of a generated dataset, for instructors, hidden tests and accuracy reports.

Trainees never need this module: it reads ``groundtruth/<name>/``, which is kept out of
``datasets/`` and ``exercises/``. It answers "who really owns this address", "which output
was really the change" and "what should a complete answer to this case contain".

>>> truth = load("course")
>>> truth.entity_of(truth.addresses["address"].iloc[0]) in set(truth.entities["name"])
True
>>> sorted(truth.case("ransom-01"))[:3]
['affiliate_address', 'affiliate_entity', 'affiliate_share']
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path

import pandas as pd

from . import paths
from .errors import ChaintraceError


class TruthError(ChaintraceError, ValueError):
    """Ground truth that is missing or does not match its checksums."""


class Truth:
    """Tables ``entities``, ``addresses``, ``transactions`` and the case answers of one dataset."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        if not (self.folder / "SHA256SUMS").exists():
            raise TruthError(
                f"no ground truth at {self.folder} (SHA256SUMS missing). Generate it with "
                "`chaintrace generate` or set CHAINTRACE_GROUNDTRUTH to the right folder."
            )
        self._verify()
        self.entities = pd.read_parquet(self.folder / "entities.parquet")
        self.addresses = pd.read_parquet(self.folder / "addresses.parquet")
        self.transactions = pd.read_parquet(self.folder / "transactions.parquet")

    def _verify(self) -> None:
        for line in (self.folder / "SHA256SUMS").read_text().splitlines():
            digest, _, rel = line.partition("  ")
            path = self.folder / rel
            if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise TruthError(
                    f"ground-truth file {path} is missing or changed since it was generated; "
                    "regenerate the dataset rather than editing ground truth by hand"
                )

    @cached_property
    def _owner(self) -> dict[str, int]:
        return dict(zip(self.addresses["address"], self.addresses["entity_id"], strict=True))

    @cached_property
    def _names(self) -> dict[int, str]:
        return dict(zip(self.entities["entity_id"], self.entities["name"], strict=True))

    @cached_property
    def _change(self) -> dict[str, int]:
        t = self.transactions
        return dict(zip(t["txid"], t["change_vout"], strict=True))

    def entity_id_of(self, address: str) -> int:
        """The id of the entity that really controls ``address``."""
        try:
            return int(self._owner[address])
        except KeyError:
            raise KeyError(f"{address} is not an address of this dataset") from None

    def entity_of(self, address: str) -> str:
        """The name of the entity that really controls ``address``."""
        return self._names[self.entity_id_of(address)]

    def change_vout(self, txid: str) -> int:
        """The true change output of ``txid`` (-1 when it has none)."""
        try:
            return int(self._change[txid])
        except KeyError:
            raise KeyError(f"txid {txid} is not in this dataset") from None

    def case(self, case_id: str) -> dict:
        """The answers case ``case_id`` expects."""
        path = self.folder / "cases" / f"{case_id}.json"
        if not path.exists():
            have = sorted(p.stem for p in (self.folder / "cases").glob("*.json"))
            raise KeyError(f"no case {case_id!r}; this dataset has {', '.join(have)}")
        return json.loads(path.read_text())

    def osint(self, case_id: str) -> dict:
        """What the chain says of each claim of the case's OSINT corpus: ``{claim id: {"verdict",
        "owner", "confidence"}}`` (``chaintrace.sim.osint``)."""
        path = self.folder / "osint" / f"{case_id}.json"
        if not path.exists():
            raise KeyError(f"case {case_id!r} has no OSINT corpus in this dataset")
        return json.loads(path.read_text())["claims"]


def load(name: str = "course") -> Truth:
    """Ground truth of dataset ``name`` (from ``$CHAINTRACE_GROUNDTRUTH`` or ``<repo>/groundtruth``)."""
    return Truth(paths.groundtruth_dir(name))
