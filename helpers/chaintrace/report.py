"""Evidence export: a trace as a table and as an exhibit a court can re-verify.

:func:`exhibit_table` lists each hop: txid, addresses, amount in BTC and in USD at the day's
closing price, time (UTC), and the method and confidence behind the link. :func:`export_exhibit`
writes it as CSV, HTML and Markdown, each naming the dataset, the dataset's checksum (SHA-256
of its ``SHA256SUMS`` manifest) and the tool version, and writes ``<file>.sha256`` beside each
file in ``sha256sum`` format.

What each hash covers (so anyone can re-check it with standard tools):

* ``<file>.sha256`` covers the **whole file** exactly as written:
  ``sha256sum -c exhibit.html.sha256``.
* The HTML footer also prints a SHA-256 of the **content before the footer**: every byte of
  the file before the line ``<!-- exhibit-footer -->``, whose length in bytes the footer also
  gives, so ``head -c <bytes> exhibit.html | sha256sum`` reproduces it. A hash cannot be
  printed inside the bytes it covers, hence the split.

:func:`verify_exhibit` does both checks.

>>> import tempfile, pathlib
>>> from chaintrace.trace import trace_forward
>>> trace = trace_forward(load_case("ransom-01").payment_txid, hops=2)
>>> files = export_exhibit(trace, pathlib.Path(tempfile.mkdtemp()) / "ransom-01")
>>> sorted(p.suffix for p in files.values())
['.csv', '.html', '.md']
>>> all(verify_exhibit(p) for p in files.values())
True
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import DatasetError, load_case  # noqa: F401 (load_case: doctests)

__all__ = ["exhibit_table", "export_exhibit", "verify_exhibit", "FOOTER_MARK"]

FOOTER_MARK = "<!-- exhibit-footer -->"
COLUMNS = [
    "hop", "txid", "from_address", "to_address", "output", "btc", "sats", "usd_at_time",
    "btc_usd_close", "time_utc", "label", "method", "confidence", "status",
]  # fmt: skip


def _version() -> str:
    from . import __version__

    return __version__


def exhibit_table(trace, dataset=None) -> pd.DataFrame:
    """Each hop of ``trace`` with amounts in BTC and in USD at that day's close (UTC).

    ``dataset`` defaults to the trace's own; without price data the USD columns are empty.

    >>> from chaintrace.trace import trace_forward
    >>> t = exhibit_table(trace_forward(load_case("ransom-01").payment_txid, hops=1))
    >>> list(t.columns[:4]), bool((t["usd_at_time"] > 0).all())
    (['hop', 'txid', 'from_address', 'to_address'], True)
    """
    ds = dataset if dataset is not None else trace.graph.dataset
    h = trace.hops
    frame = h.assign(time_utc=h["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    price = np.full(len(h), np.nan)
    if ds is not None and len(h):
        days = pd.to_datetime(h["time"]).dt.strftime("%Y-%m-%d")
        cache = {}
        for i, day in enumerate(days):
            if day not in cache:
                try:
                    cache[day] = ds.price_usd(day)
                except DatasetError:
                    cache[day] = np.nan  # a day outside the price file: left blank, not guessed
            price[i] = cache[day]
    frame["btc_usd_close"] = price
    frame["usd_at_time"] = np.round(h["sats"].to_numpy() / 1e8 * price, 2)
    if "path" in h.columns:
        return frame[["path", *COLUMNS]].reset_index(drop=True)
    return frame[COLUMNS].reset_index(drop=True)


def _meta(trace, dataset, title, case_id, examiner) -> dict[str, str]:
    ds = dataset if dataset is not None else trace.graph.dataset
    meta = {
        "title": title or f"{trace.kind.capitalize()} trace from {trace.start}",
        "case": case_id or "",
        "examiner": examiner or "",
        "dataset": ds.name if ds is not None else trace.graph.name,
        "dataset_checksum_sha256": ds.checksum if ds is not None else "(no dataset manifest)",
        "tool": f"chaintrace {_version()}",
        "parameters": ", ".join(f"{k}={v}" for k, v in trace.params.items()),
        "prices": "daily close USD per BTC from the dataset's prices.csv, on the UTC day of each hop",
        "summary": trace.summary("en"),  # hashed bytes: never in the exporter's language
    }
    return {k: v for k, v in meta.items() if v != ""}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    return path


def _csv(table: pd.DataFrame, meta: dict) -> bytes:
    head = "".join(f"# {k}: {v}\n" for k, v in meta.items())
    return (head + table.to_csv(index=False, lineterminator="\n")).encode("utf-8")


def _markdown(table: pd.DataFrame, meta: dict) -> bytes:
    lines = [f"# {meta['title']}", ""]
    lines += [f"- **{k}**: {v}" for k, v in meta.items() if k != "title"]
    cols = list(table.columns)
    lines += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.itertuples(index=False):
        cells = ["" if pd.isna(v) else str(v).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "The file `<this file>.sha256` holds the SHA-256 of this whole file.", ""]
    return "\n".join(lines).encode("utf-8")


def _html(table: pd.DataFrame, meta: dict) -> bytes:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in meta.items()
    )
    body = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(meta['title'])}</title>"
        "<style>body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:2px 5px;text-align:left}</style></head><body>\n"
        f"<h1>{html.escape(meta['title'])}</h1>\n<table>{rows}</table>\n<h2>Hops</h2>\n"
        + table.to_html(index=False, na_rep="", escape=True)
        + "\n"
    )
    covered = body.encode("utf-8")
    digest = hashlib.sha256(covered).hexdigest()
    footer = (
        f"{FOOTER_MARK}\n<footer><p>SHA-256 of the {len(covered)} bytes before the line "
        f"<code>{html.escape(FOOTER_MARK)}</code>: <code>{digest}</code>. Re-check with "
        f"<code>head -c {len(covered)} FILE | sha256sum</code>. The whole file's SHA-256 is in "
        "<code>FILE.sha256</code>.</p></footer></body></html>\n"
    )
    return covered + footer.encode("utf-8")


def export_exhibit(
    trace,
    path,
    *,
    formats=("csv", "html", "md"),
    dataset=None,
    title: str | None = None,
    case_id: str | None = None,
    examiner: str | None = None,
) -> dict[str, Path]:
    """Write ``trace`` as exhibit files ``<path>.csv``/``.html``/``.md`` (+ ``.sha256`` each).

    Returns ``{format: file path}``. Files are written fresh each time; the folder is created.
    """
    unknown = set(formats) - {"csv", "html", "md"}
    if unknown:
        raise ValueError(f"unknown exhibit format(s) {sorted(unknown)}; use 'csv', 'html', 'md'")
    base = Path(path)
    if base.suffix in (".csv", ".html", ".md"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    table = exhibit_table(trace, dataset)
    meta = _meta(trace, dataset, title, case_id, examiner)
    writers = {"csv": _csv, "html": _html, "md": _markdown}
    return {f: _write(base.with_name(f"{base.name}.{f}"), writers[f](table, meta)) for f in formats}


def verify_exhibit(path) -> bool:
    """True if the file matches its ``.sha256`` (and, for HTML, its footer's hash).

    Raises ``FileNotFoundError`` if the ``.sha256`` file is missing.
    """
    path = Path(path)
    side = path.with_name(path.name + ".sha256")
    if not side.is_file():
        raise FileNotFoundError(f"no {side.name} beside {path}; it is written by export_exhibit")
    data = path.read_bytes()
    expected = side.read_text(encoding="utf-8").split()[0]
    if hashlib.sha256(data).hexdigest() != expected:
        return False
    if path.suffix == ".html":
        mark = data.find(FOOTER_MARK.encode())
        if mark < 0:
            return False
        printed = data[mark:].split(b"<code>")[2].split(b"</code>")[0].decode()
        return hashlib.sha256(data[:mark]).hexdigest() == printed
    return True
