"""From a trace to legal process: which links are facts, which are inferences, and a request.

A trace mixes three kinds of statement, and a prosecutor (and the defence) must be able to tell
them apart:

* **facts of the ledger**: transaction B spent output A; an output paid N satoshis at block
  time T. Anyone can re-check them on any copy of the chain.
* **analytic inferences**: "the larger output is the sender's remainder, so the same person
  still holds it" (a change heuristic), "these addresses share an owner" (clustering). Each has
  a measured error rate, and a court may ask for it (Daubert's "known or potential error rate";
  the Bitcoin Fog defence attacked tracing software for having "no known error rates").
* **attribution**: "this address belongs to exchange X", from a tag (with its source and
  confidence), directly or through the address's cluster.

:func:`reliability_table` states, for every link of a :class:`~chaintrace.Trace`, which kind
it is, the method, the measured precision behind an inference (on a labelled set, by default
the dataset's reference set, see :func:`measured_rates`), and a plain-language grade. :func:`draft_request` turns the deposits at one exchange into a
freeze / preservation / production request in Markdown, with the exhibit's SHA-256 and the
caveats; the legal basis is left as a bracketed placeholder for the jurisdiction.

Languages. The table's words (``statement``, ``grade``, ``attribution``) are in the reader's
language (:func:`chaintrace.messages.language`) unless ``lang=`` says otherwise; its codes
(``kind``, ``method``, ``heuristic``, ``attribution_basis``, ``strength``) never change, so code
that selects rows works in every language. The request's language is always the sender's
choice, ``lang="en"`` by default: an investigator writes to a foreign exchange in English,
whatever language they read the course in, and to a Ukrainian body in Ukrainian
(``lang="uk"``, with the Ukrainian procedure's terms: арешт майна, тимчасовий доступ до речей і
документів, міжнародна правова допомога). A table in one language makes a request in another:
its words are put back into English, then into the request's language.

>>> from chaintrace.trace import follow_peel_chain
>>> from chaintrace.graph import build_graph
>>> case = load_case("ransom-01")
>>> g = build_graph("course")
>>> peel = follow_peel_chain(g.out_label(g.find_output(case.payment_txid, case.ransom_address)))
>>> table = reliability_table(peel)
>>> sorted(table["kind"].unique())
['fact', 'inference']
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import units
from .dataset import DatasetError, as_dataset, load_case  # noqa: F401 (load_case: doctests)
from .formats import number_text
from .messages import LANGUAGES, LOCALE, Catalogue, Entry, language, read_po, translate, use
from .report import exhibit_table, verify_exhibit
from .trace import (
    FUNDED_BY,
    ONLY_OUTPUT,
    PATH,
    PEEL_PAYMENT,
    PEEL_REMAINDER,
    SPENT_BY,
    SPLIT,
    START,
)

__all__ = [
    "measured_rates", "rates_table", "reliability_table", "draft_request", "INFERENCES", "VOTE_SURE"
]  # fmt: skip

# The inferences a trace can rest on: method text -> (the change heuristic whose measured
# precision applies, what is inferred in plain words). Any other "certain" method is a fact.
INFERENCES = {
    PEEL_REMAINDER[0]: (
        "peel_chain",
        "the larger output is the sender's remainder (change): the same person still holds it",
    ),
}
FACTS = {
    START[0]: "the starting output, as reported (check it against the victim's own records)",
    SPENT_BY[0]: "this transaction spent the traced output (on-chain fact)",
    FUNDED_BY[0]: "this output funded the traced transaction (on-chain fact)",
    PATH[0]: "this transaction spent the traced output (on-chain fact)",
    PEEL_PAYMENT[0]: "the smaller output was paid out of the traced funds (on-chain fact)",
    ONLY_OUTPUT[0]: "the transaction's only output: all the traced funds moved on (on-chain fact)",
    SPLIT[0]: "the traced funds were split evenly (on-chain fact; no remainder to follow)",
}
VOTE_SURE = 0.95  # the vote's confidence from which its own measured precision is cited
VOTE_ROW = f"vote, confidence >= {VOTE_SURE}"
CLUSTER_ROW = "common_input_clustering"
_NOT_PICKS = {"txid", "n_candidates", "n_votes", "vout", "confidence"}  # change_table's others
FACT_GRADE = "fact of the ledger: anyone can re-check it"


def measured_rates(dataset="course", clustering=None, labelled=None, *, basis=None) -> pd.DataFrame:
    """Measured precision of every change heuristic (and of ``clustering``), indexed by method.

    The picks are checked against ``labelled``, spends whose change output is known: a table
    with columns ``txid`` and ``change_vout`` (-1: the spend has no change) and, to measure
    ``clustering`` too, ``wallet`` (who made the spend; clustering's pair precision is counted
    among the addresses those spends used). By default it is the dataset's reference set
    (``Dataset.reference_wallets``: spends of wallets whose own records say which output was
    change, as from seized devices): what an investigator can measure, not a random sample of
    the chain. The result depends only on what is handed in, never on which other folders
    exist. Instructors measure against the generator's ground truth with the course's
    :func:`chaintrace.accuracy.truth_rates`, which returns the same table.

    ``basis`` names the labelled set in the ``basis`` column (default ``"reference set"``, or
    ``"labelled set"`` for one handed in; ``"reference"`` also means the reference set).

    Columns ``precision``, ``picks``, ``correct``, ``wrong``, ``low``/``high`` (a 95 % Wilson
    interval for the precision), ``basis`` and ``source``. Rows: each change heuristic,
    ``vote``, ``vote, confidence >= 0.95`` and, with ``clustering``, ``common_input_clustering``.
    Well under a second once the dataset's tables are built: compute it once and pass it as
    ``rates=`` to :func:`reliability_table`.

    >>> rates = measured_rates("course")
    >>> bool(0.5 < rates.loc["peel_chain", "precision"] <= 1), rates["basis"].iat[0]
    (True, 'reference set')
    >>> mine = pd.DataFrame({"txid": [load_case("ransom-01").payment_txid], "change_vout": [-1]})
    >>> int(measured_rates("course", labelled=mine, basis="my wallets").loc["vote", "picks"])
    0
    """
    if basis in ("truth", "auto"):
        raise ValueError(
            "measured_rates measures on the labelled set it is given (by default the dataset's "
            "reference set); ground-truth rates come from the course machinery: "
            "chaintrace.accuracy.truth_rates(dataset, clustering), passed on as rates="
        )
    ds = as_dataset(dataset)
    if labelled is None:
        labelled, name = _reference_set(ds), "reference set"
    else:
        name = "labelled set"
    if basis not in (None, "reference"):
        name = str(basis)
    return _labelled_rates(ds, clustering, _checked_labels(labelled, clustering), name)


def _reference_set(ds) -> pd.DataFrame:
    try:
        return ds.reference_wallets
    except (AttributeError, FileNotFoundError, DatasetError):
        raise DatasetError(
            f"dataset {getattr(ds, 'name', ds)!r} has no reference set "
            "(labelled/reference-wallets.csv; older datasets and cohort variants lack it): hand "
            "in a labelled set (labelled=), or pass rates= yourself, e.g. Möser & Narayanan's "
            "published precisions (docs/accuracy.md)"
        ) from None


def _checked_labels(labelled, clustering) -> pd.DataFrame:
    """``labelled`` with one row per txid, or a ValueError saying which column is missing."""
    need = ["txid", "change_vout"] + (["wallet"] if clustering is not None else [])
    missing = [c for c in need if c not in getattr(labelled, "columns", ())]
    if missing:
        raise ValueError(
            f"the labelled set needs columns {need} (txid, the true change vout or -1, and who "
            f"made the spend to measure clustering); missing {missing}"
        )
    return labelled.drop_duplicates("txid")


def rates_table(frame: pd.DataFrame, basis: str, where: str) -> pd.DataFrame:
    """:func:`measured_rates`'s table from ``precision``, ``picks`` and ``correct`` per method:
    adds ``wrong``, the 95 % Wilson interval ``low``/``high``, ``basis`` and ``source``.

    >>> counts = pd.DataFrame({"precision": [0.9], "picks": [10.0], "correct": [9.0]},
    ...                       index=pd.Index(["peel_chain"], name="heuristic"))
    >>> row = rates_table(counts, "my set", "10 spends").loc["peel_chain"]
    >>> float(row["wrong"]), row["source"]
    (1.0, 'my set, 10 spends: 10 picks')
    """
    frame["wrong"] = frame["picks"] - frame["correct"]
    bounds = [_wilson(c, n) for c, n in zip(frame["correct"], frame["picks"], strict=True)]
    frame["low"], frame["high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    frame["basis"] = basis
    unit = ["address pairs put together" if h == CLUSTER_ROW else "picks" for h in frame.index]
    frame["source"] = [
        f"{basis}, {where}" + ("" if pd.isna(n) else f": {n:,.0f} {u}")
        for n, u in zip(frame["picks"], unit, strict=True)
    ]
    return frame


def _wilson(correct: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (NaN without picks)."""
    if pd.isna(n) or pd.isna(correct) or n <= 0:
        return float("nan"), float("nan")
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _change_picks(ds, ref: pd.DataFrame) -> tuple[dict, np.ndarray, np.ndarray]:
    """Each method's pick on the labelled spends, which of them have a known change, and it."""
    from .heuristics_table import change_table, eligible
    from .txtables import tables

    T = tables(ds)
    table = change_table(T)
    rows = pd.Index(T.txid).get_indexer(ref["txid"].to_numpy(dtype=object))
    keep = rows >= 0
    rows, change = rows[keep], ref["change_vout"].to_numpy()[keep]
    has = eligible(T)[rows] & (change >= 0)
    picks = {h: table[h].to_numpy()[rows] for h in table.columns if h not in _NOT_PICKS}
    picks["vote"] = table["vout"].to_numpy()[rows]
    sure = table["confidence"].to_numpy()[rows] >= VOTE_SURE
    picks[VOTE_ROW] = np.where(sure, picks["vote"], -1)
    return picks, has, change


def _cluster_precision(ds, ref: pd.DataFrame, clustering) -> list[float]:
    """[pair precision, pairs put together, of them same wallet] among the spends' addresses."""
    from .cluster import pairs_within

    spent = ds.inputs[ds.inputs["txid"].isin(ref["txid"])][["txid", "address"]]
    owner = spent.merge(ref[["txid", "wallet"]], on="txid").drop_duplicates("address")
    owner = owner.merge(clustering.frame()[["address", "cluster"]], on="address")
    together = pairs_within(owner.groupby("cluster").size().to_numpy())
    both = pairs_within(owner.groupby(["cluster", "wallet"]).size().to_numpy())
    return [both / together if together else np.nan, float(together), float(both)]


def _labelled_rates(ds, clustering, ref: pd.DataFrame, basis: str) -> pd.DataFrame:
    """The accuracy definitions (Möser & Narayanan's precision) on the labelled spends."""
    picks, has, change = _change_picks(ds, ref)
    counts = {
        h: (int(((p >= 0) & has).sum()), int(((p >= 0) & has & (p == change)).sum()))
        for h, p in picks.items()
    }
    frame = pd.DataFrame(
        {
            "precision": [c / n if n else np.nan for n, c in counts.values()],
            "picks": [float(n) for n, _ in counts.values()],
            "correct": [float(c) for _, c in counts.values()],
        },
        index=pd.Index(list(counts), name="heuristic"),
    )
    if clustering is not None:
        frame.loc[CLUSTER_ROW] = _cluster_precision(ds, ref, clustering)
    return rates_table(frame, basis, f"{len(ref):,} spends of dataset {ds.name!r}")


def _as_rates(rates) -> pd.DataFrame:
    """``rates`` as a table with a ``precision`` column; a dict {method: precision} is accepted."""
    if isinstance(rates, pd.DataFrame):
        if "precision" not in rates.columns:
            raise ValueError("rates needs a 'precision' column per method; see measured_rates()")
        return rates
    try:
        values = {str(k): float(v) for k, v in dict(rates).items()}
    except (TypeError, ValueError):
        raise ValueError(
            "rates is measured_rates()'s table or a dict {method: precision between 0 and 1}, "
            f"e.g. {{'peel_chain': 0.9}}; got {rates!r}"
        ) from None
    if any(not 0 <= v <= 1 for v in values.values()):
        raise ValueError(f"precisions are fractions between 0 and 1, got {values}")
    return pd.DataFrame({"precision": pd.Series(values, dtype=float)})


def _wrong_1_in(precision: float) -> float:
    """'Wrong about 1 time in N' for a precision; NaN when no error was measured."""
    if pd.isna(precision) or precision >= 1:
        return float("nan")
    return float(round(1 / (1 - precision)))


GRADE_WORDS = {  # strength: (lowest measured precision, words); the first an inference reaches
    "strong": (0.99, "strong inference"),
    "good": (0.95, "good inference"),
    "fair": (0.90, "fair inference: corroborate"),
    "weak": (0.0, "weak inference: corroborate"),
}
CONTRADICTED = "weak inference: the other change heuristics point elsewhere; corroborate"
UNMEASURED = "inference with no measured error rate: corroborate before relying on it"


def _strength(kind: str, precision: float, agrees: bool | None) -> str:
    """The grade as a code: fact, strong, good, fair, weak or unmeasured (the same in every
    language: colour or select rows by it, never by the grade's words)."""
    if kind == "fact":
        return "fact"
    if agrees is False:
        return "weak"
    if pd.isna(precision):
        return "unmeasured"
    return next(code for code, (low, _) in GRADE_WORDS.items() if precision >= low)


def _grade(precision: float, agrees: bool | None, vote_cited: bool = False) -> str:
    if agrees is False:
        return CONTRADICTED
    if pd.isna(precision):
        return UNMEASURED
    words = GRADE_WORDS[_strength("inference", precision, agrees)][1]
    if vote_cited:  # the rule and the heuristics' confident vote agree: the vote's figure
        return (
            f"{words} (the change vote agrees with confidence >= {VOTE_SURE}; such votes right "
            f"{100 * precision:.1f} % of the time)"
        )
    return f"{words} (measured right {100 * precision:.1f} % of the time)"


def _votes(trace, txids: list[str]) -> dict[str, tuple[int, float]]:
    """The change vote (vout, confidence) of each transaction the inferences rest on."""
    from .heuristics_table import change_table
    from .txtables import tables

    if not txids or trace.graph.dataset is None:
        return {}  # no dataset behind the graph (a hand-built one): no vote to cite
    T = tables(trace.graph.dataset)
    table = change_table(T)
    rows = pd.Index(T.txid).get_indexer(txids)
    return {
        t: (int(table["vout"].iat[r]), float(table["confidence"].iat[r]))
        for t, r in zip(txids, rows, strict=True)
        if r >= 0
    }


def _funded_share(trace, frame: pd.DataFrame) -> list[float]:
    """Share of each link transaction's input value that came from outputs on the trace."""
    g = trace.graph
    if trace.kind == "backward":
        return [float("nan")] * len(frame)
    traced = {g.parse_output(o) for o in frame["output"]}
    shares = {}
    for txid in frame["txid"].unique():
        if not txid:
            continue
        ins = g.inputs_of(g.tx_id(txid))
        values = g.out_value[ins].astype(np.int64)
        mine = np.array([x in traced for x in ins.tolist()], bool)
        # no traced input: the transaction the trace started from (its payer is not traced)
        shares[txid] = float(values[mine].sum() / values.sum()) if mine.any() else np.nan
    starts = frame["method"] == START[0]  # the reported output: its payer is not on the trace
    return [
        np.nan if s else shares.get(t, np.nan) for t, s in zip(frame["txid"], starts, strict=True)
    ]


NOBODY = ("", "", "", "", float("nan"))  # label, category, basis, words, confidence score


def _attribution(address: str, tags, clustering, rates) -> tuple:
    """(label, category, basis, words, confidence score) of an address: its tag, else its
    cluster's (when ``clustering`` is given)."""
    if not address:
        return NOBODY
    a = tags.attribute(address)
    if a.found:
        words = (
            f"tag: {a.label} ({a.category}), confidence {a.confidence} "
            f"({a.confidence_score}/100), source {a.source}"
        )
        return a.label, a.category, "tag", words, float(a.confidence_score)
    if clustering is None:
        return NOBODY
    from .attribution import attribute

    try:
        c = attribute(address, clustering, tags)
    except (KeyError, LookupError):
        return NOBODY
    if not c.found:
        return NOBODY
    pp = rates["precision"].get(CLUSTER_ROW, float("nan"))
    measured = "" if pd.isna(pp) else f"; clustering pair precision {100 * pp:.1f} % measured"
    size = len(clustering.members(clustering.cluster_of(address)))
    words = (
        f"common-input cluster of {size} addresses labelled {c.label} ({c.category}) by "
        f"{c.n_tagged} tagged member(s), best confidence {c.confidence} "
        f"({c.confidence_score}/100), source {c.source}{measured}"
    )
    return c.label, c.category, "cluster + tag", words, float(c.confidence_score)


def _swept(trace, frame: pd.DataFrame, found: list[tuple]) -> list[tuple]:
    """Attribute an unnamed deposit whose coins the next link moved, alone, to one named owner.

    An exchange sweeps a customer's deposit address into its own wallet. When an address that
    received everything left in a one-output transaction (where a chain pays its deposit) is
    then spent, alone, to addresses attributed to one service, it is attributed to that service
    too: an inference, and the words say so. A peel-chain remainder is never attributed this
    way: a thief paying a tagged deposit in one step looks the same as a sweep.
    """
    if trace.kind == "backward":
        return found
    g = trace.graph
    rows_of = frame.groupby("txid").indices
    out = list(found)
    ends = frame["method"] == ONLY_OUTPUT[0]  # paid everything left: a deposit, not a remainder
    for i, (output, (label, *_)) in enumerate(zip(frame["output"], found, strict=True)):
        if label or not ends.iat[i]:
            continue
        spender = int(g.out_spent_tx[g.parse_output(output)])
        if spender < 0 or len(g.inputs_of(spender)) != 1:
            continue
        nxt = [found[j] for j in rows_of.get(g.txids[spender], [])]
        named = {(f[0], f[1]) for f in nxt}
        if len(nxt) == len(g.outputs_of(spender)) and len(named) == 1 and nxt[0][0]:
            first = nxt[0]
            words = (
                f"untagged; its coins were moved, alone, by transaction {g.txids[spender]} to "
                f"{first[0]} ({first[1]}), as a service sweeps its deposit addresses; that "
                f"address's attribution: {first[3]}"
            )
            out[i] = (first[0], first[1], "sweep", words, first[4])
    return out


def reliability_table(
    trace, *, rates=None, clustering=None, tags=None, lang: str | None = None
) -> pd.DataFrame:
    """One row per link of ``trace``: fact or inference, the method, its measured reliability.

    Starts from :func:`~chaintrace.exhibit_table` (``hop``, ``txid``, ``address`` the funds
    reached (the payer for a backward trace), ``output``, ``sats``, ``btc``, ``usd_at_time``,
    ``time_utc``, ``status``) and adds:

    ``kind``
        ``fact`` (a fact of the ledger) or ``inference`` (an analytic judgement);
    ``method`` / ``statement``
        the trace's method, and what it states in plain words;
    ``heuristic``, ``precision``, ``wrong_1_in``
        for an inference, the heuristic whose measured precision applies and "wrong about 1
        time in N" (NaN when no error was measured);
    ``vote_vout``, ``vote_confidence``, ``vote_agrees``
        the ten change heuristics' vote on that very transaction, and whether it picks the
        same output (an independent cross-check of the link);
    ``funded_share``
        the share of the link transaction's input value that came from traced outputs (1.0:
        every satoshi it moved came from the traced funds, a fact whatever the owner);
    ``attributed_to``, ``attributed_category``, ``attribution_basis``, ``attribution``, ``attribution_score``
        who the address belongs to and what it is (e.g. ``exchange``), on which basis:
        ``tag`` (its own tag), ``cluster + tag`` (its common-input cluster's tags: pass
        ``clustering``) or ``sweep`` (untagged, but the next link moved its coins, alone, to
        one named service), with source and confidence (0-100);
    ``grade``, ``strength``
        the link's reliability in plain language, and as a code: ``fact``, ``strong``
        (measured right at least 99 % of the time), ``good`` (95 %), ``fair`` (90 %), ``weak``
        (less, or the other change heuristics point elsewhere) or ``unmeasured``.

    ``statement``, ``grade`` and ``attribution`` are in ``lang``: by default the reader's
    language (``$CHAINTRACE_LANG``, :func:`chaintrace.messages.language`), since the table is
    read on screen; every other column is the same in every language.

    ``rates`` is :func:`measured_rates`'s table (computed from the trace's dataset and its
    ground truth when omitted), or a dict ``{method: precision}`` such as published figures on
    a real case; ``tags`` defaults to the dataset's ``tags.yaml``.

    >>> from chaintrace.trace import trace_forward
    >>> t = reliability_table(trace_forward(load_case("ransom-01").payment_txid, hops=2))
    >>> t["kind"].unique().tolist(), t["grade"].iat[0], t["strength"].iat[0]
    (['fact'], 'fact of the ledger: anyone can re-check it', 'fact')
    >>> reliability_table(trace_forward(load_case("ransom-01").payment_txid, hops=2), lang="uk")["grade"].iat[0]
    'факт реєстру: будь-хто може його перевірити'
    """
    lang = _language(lang)
    if not hasattr(trace, "hops") or not hasattr(trace, "graph"):
        raise TypeError(
            f"reliability_table needs a Trace (from trace_forward, trace_backward or "
            f"follow_peel_chain), not {type(trace).__name__}"
        )
    ds = trace.graph.dataset
    if rates is None:
        rates = measured_rates(ds if ds is not None else trace.dataset_name, clustering)
    rates = _as_rates(rates)
    if tags is None:
        from .tags import load_tagpack

        if ds is None:
            raise ValueError("this trace has no dataset to read tags from; pass tags=")
        tags = load_tagpack(ds.tags_path, strict=False)
    base = exhibit_table(trace)
    side = "from_address" if trace.kind == "backward" else "to_address"
    frame = base[["hop", "txid", side, "output", "sats", "btc", "usd_at_time",
                  "btc_usd_close", "time_utc", "status", "method"]].rename(columns={side: "address"})  # fmt: skip
    frame["kind"] = [
        "fact" if m in FACTS or (m not in INFERENCES and c == "certain") else "inference"
        for m, c in zip(base["method"], base["confidence"], strict=True)
    ]
    frame["statement"] = [
        INFERENCES[m][1] if m in INFERENCES else FACTS.get(m, m) for m in base["method"]
    ]
    heuristic = [INFERENCES[m][0] if m in INFERENCES else "" for m in base["method"]]
    frame["heuristic"] = heuristic
    precision = rates["precision"]
    frame["precision"] = [float(precision.get(h, np.nan)) if h else np.nan for h in heuristic]
    frame["wrong_1_in"] = [_wrong_1_in(p) for p in frame["precision"]]
    _add_votes(trace, frame, precision)
    frame["funded_share"] = _funded_share(trace, frame)
    if trace.kind != "backward":  # outputs of the starting transaction are given, not followed
        given = frame["funded_share"].isna() & (frame["kind"] == "fact")
        frame.loc[given, "statement"] = FACTS[START[0]]
    found = [_attribution(a, tags, clustering, rates) for a in frame["address"]]
    found = _swept(trace, frame, found)
    columns = ["attributed_to", "attributed_category", "attribution_basis", "attribution"]
    for i, col in enumerate(columns):
        frame[col] = [f[i] for f in found]
    frame["attribution_score"] = [f[4] for f in found]
    return _in_language(frame, lang)


WORDS = ("statement", "grade", "attribution")  # the table's columns of words; the rest are codes


def _language(lang: str | None) -> str:
    if lang is None:
        return language()
    if lang not in LANGUAGES:
        raise ValueError(f"lang is one of {', '.join(LANGUAGES)}, e.g. lang='en'; got {lang!r}")
    return lang


@cache
def _english_of(lang: str, stamp: int) -> Catalogue:
    """The toolkit catalogue of ``lang`` read backwards: a translation -> its English."""
    entries = read_po(LOCALE / f"{lang}.po")
    return Catalogue(
        [Entry(e.context, e.msgstr, e.msgid, e.flags) for e in entries if e.msgstr and not e.fuzzy]
    )


def _english(text: str) -> str:
    """``text``, made by this module in any language, in English (English text unchanged)."""
    if text.isascii():  # English as this module writes it: never read backwards by mistake
        return text
    for lang in LANGUAGES[1:]:
        path = LOCALE / f"{lang}.po"
        if text and path.exists():
            english = _english_of(lang, path.stat().st_mtime_ns).translate(text)
            if english != text:
                return english
    return text


def _in_language(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with its words (whatever language they are in) in ``lang``."""
    for column in WORDS:
        if column in frame.columns:
            said = {w: _in(column, w, lang) for w in frame[column].unique() if w}
            frame[column] = [said.get(w, w) for w in frame[column]]
    return frame


def _in(column: str, words: str, lang: str) -> str:
    """One cell of a column of words in ``lang``, its measured numbers in that language's form."""
    head, _, tail = words.rpartition("; ")
    if column == "attribution" and _english(f"; {tail}").startswith("; clustering pair precision"):
        # the cluster's measured precision follows the source (a URL) with no text between
        # them: translated on its own, it cannot be taken for part of the source
        return _in(column, head, lang) + _numbered(f"; {tail}", lang)
    if column == "grade":
        return _numbered(words, lang)
    return translate(_english(words), lang)


def _numbered(words: str, lang: str) -> str:
    """Words with measured numbers (``99.9 %``) in ``lang``, the numbers in its form."""
    english = _numbers_in(_english(words), "en")
    return _numbers_in(translate(english, lang), lang)


def _numbers_in(text: str, lang: str) -> str:
    """``text`` with its decimal numbers (a grade's ``0.95``, ``99.9``) in ``lang``'s form.

    >>> _numbers_in("confidence >= 0.95; right 99.9 % of the time", "uk")
    'confidence >= 0,95; right 99,9 % of the time'
    >>> _numbers_in("впевненість >= 0,95", "en")
    'впевненість >= 0.95'
    """
    return re.sub(r"\d+[.,]\d+", lambda m: _number(m[0].replace(",", "."), lang), text)


def _number(x, lang: str, digits: int | None = None) -> str:
    """``x`` in ``lang``'s number form (:func:`chaintrace.formats.number_text`), with ``digits``
    decimals (default: as many as ``x`` written as text has)."""
    if digits is None:
        digits = len(str(x).partition(".")[2])
    with use(lang):
        return number_text(float(x), digits)


def _add_votes(trace, frame: pd.DataFrame, precision: pd.Series) -> None:
    """Vote columns and the grade: an inference's grade weighs the vote on its transaction."""
    inferred = frame["kind"] == "inference"
    votes = _votes(trace, frame.loc[inferred, "txid"].unique().tolist())
    vout = [
        votes.get(t, (-1, np.nan))[0] if i else -1
        for t, i in zip(frame["txid"], inferred, strict=True)
    ]
    conf = [
        votes.get(t, (-1, np.nan))[1] if i else np.nan
        for t, i in zip(frame["txid"], inferred, strict=True)
    ]
    mine = frame["output"].str.rsplit(":", n=1).str[1].astype(int)
    frame["vote_vout"] = vout
    frame["vote_confidence"] = conf
    frame["vote_agrees"] = [
        (None if v < 0 else bool(v == m)) if i else None
        for v, m, i in zip(vout, mine, inferred, strict=True)
    ]
    sure = float(precision.get(VOTE_ROW, np.nan))
    grades, strengths = [], []
    for row, agrees in zip(frame.itertuples(index=False), frame["vote_agrees"], strict=True):
        if row.kind == "fact":
            grades.append(FACT_GRADE)
            strengths.append("fact")
            continue
        p, cited = row.precision, False
        if agrees and row.vote_confidence >= VOTE_SURE and not pd.isna(sure) and not p >= sure:
            # the rule and the heuristics' confident vote agree: cite the vote's measured figure
            p, cited = sure, True
        grades.append(_grade(p, agrees, cited))
        strengths.append(_strength(row.kind, p, agrees))
    frame["grade"] = grades
    frame["strength"] = strengths


# ----------------------------------------------------------------------------- the request


def _say(template: str, lang: str, **fields) -> str:
    """``template`` in ``lang`` (its catalogue entry, English without one), fields filled in.

    The template is looked up whole, before its fields are filled in, so a field holding
    brackets or colons (a statement, a grade) can never be mistaken for the template's own text.

    >>> _say("Grade: {grade}.", "en", grade="strong")
    'Grade: strong.'
    """
    text = translate(template, lang) if lang != "en" else template
    return re.sub(r"\{(\w+)\}", lambda m: str(fields[m[1]]) if m[1] in fields else m[0], text)


ASK_NAMES = {"freeze": "freeze", "preserve": "preserve", "produce": "produce"}
ASKS = {
    "freeze": (
        "**Freeze**: hold the balance of the account(s) credited through the deposit(s) below, "
        "and any funds traceable to them, pending a seizure order [ORDER / LEGAL BASIS FOR THE "
        "FREEZE]."
    ),
    "preserve": (
        "**Preserve**: keep every record of the account(s) and of the deposit(s) below "
        "unchanged until further notice, whatever your retention schedule."
    ),
    "produce": (
        "**Produce**, from account opening to the date of this request: identification (KYC) "
        "records and beneficial owners; every deposit address issued to the account; all "
        "deposits and withdrawals with transaction ids, destination addresses and bank "
        "accounts; log-in IP addresses and device data; and any internal notes or "
        "suspicious-activity reports about the account."
    ),
}


def _money(sats: int, usd: float, close: float, lang: str = "en") -> tuple[str, str]:
    """Bitcoins and dollars as the request's language writes numbers (``1.5``, ``1,5``)."""
    with use(lang):
        btc, usd_text, close_text = (
            units.btc(sats, unit=False),
            number_text(usd),
            number_text(close),
        )
    if pd.isna(usd):
        return btc, _say("(no price for that day)", lang)
    return btc, _say("{usd} (at {close} USD/BTC)", lang, usd=usd_text, close=close_text)


HOME_CURRENCY = {"uk": "UAH"}  # a request in a country's language also values in its currency


def _home_money(sats: int, day: str, prices, lang: str) -> str:
    """The amount in the request's home currency at the official rate of ``day``."""
    from .money import MoneyError, value

    if prices is None:
        return _say("[at the official rate of the day]", lang)
    try:
        amount = value(sats, "BTC", day, HOME_CURRENCY[lang], prices, decimals=8)
    except MoneyError:
        return _say("(no official rate for that day)", lang)
    with use(lang):
        return number_text(amount)


def _exhibit_lines(exhibit, lang: str = "en") -> list[str]:
    """One Markdown table row per exhibit file with its verified SHA-256."""
    paths = list(exhibit.values()) if isinstance(exhibit, dict) else [exhibit]
    if isinstance(exhibit, (list, tuple)):
        paths = list(exhibit)
    lines = [_say("| file | SHA-256 |", lang), "|---|---|"]
    for path in map(Path, paths):
        if not verify_exhibit(path):
            raise ValueError(
                f"{path.name} does not match its .sha256 file: it changed after export; "
                "export the exhibit again (export_exhibit) before citing it"
            )
        digest = path.with_name(path.name + ".sha256").read_text(encoding="utf-8").split()[0]
        lines.append(f"| `{path.name}` | `{digest}` |")
    return lines


def _deposits(table: pd.DataFrame, exchange: str, deposits) -> pd.DataFrame:
    if deposits is not None:
        wanted = [deposits] if isinstance(deposits, str) else list(deposits)
        rows = table[table["address"].isin(wanted)]
        missing = sorted(set(wanted) - set(rows["address"]))
        if missing:
            raise ValueError(f"deposit address(es) {missing} are not on this trace; check them")
        return rows
    rows = table[table["attributed_to"].str.casefold() == exchange.casefold()]
    if rows.empty:
        names = sorted(set(table["attributed_to"]) - {""})
        raise ValueError(
            f"no link of the trace reaches an address attributed to {exchange!r} (attributed "
            f"here: {names or 'none'}); pass deposits=[address, ...], or build the table with "
            "clustering=cluster_addresses(dataset) so an untagged deposit address is attributed "
            "through its cluster"
        )
    return rows


def _provenance(table: pd.DataFrame, lang: str = "en") -> list[str]:
    """A sentence when every link transaction spent only traced coins (a fact of the ledger)."""
    shares = table["funded_share"].dropna()
    if len(shares) and bool((shares >= 1).all()):
        return [
            "",
            _say(
                "Every transaction on the path spent only outputs of the traced funds: the coins "
                "deposited come wholly from the starting output. That is a fact of the ledger, "
                "whoever controlled the addresses in between.",
                lang,
            ),
        ]
    return []


def _vote_words(agrees, low: float, high: float, lang: str = "en") -> str:
    if agrees is None:
        return _say("the other change heuristics cast no vote", lang)
    span = _number(low, lang, 2)
    if span != _number(high, lang, 2):
        span = _say("{low} to {high}", lang, low=span, high=_number(high, lang, 2))
    if agrees:
        return _say("the change heuristics' vote agrees (confidence {span})", lang, span=span)
    return _say("the change heuristics' vote DISAGREES (confidence {span})", lang, span=span)


def _inferred_line(group: pd.DataFrame, lang: str) -> str:
    """The caveat of one group of inferred links sharing a statement, method and grade."""
    r = group.iloc[0]
    if pd.isna(r.precision):
        measured = _say("no measured error rate", lang)
    elif math.isnan(r.wrong_1_in):
        measured = _say("measured precision {p} %", lang, p=_number(100 * r.precision, lang, 1))
    else:
        measured = _say(
            "measured precision {p} %, wrong about 1 time in {n}",
            lang,
            p=_number(100 * r.precision, lang, 1),
            n=_number(r.wrong_1_in, lang, 0),
        )
    conf = group["vote_confidence"]
    fields = {
        "hops": ", ".join(str(h) for h in group["hop"]),
        "where": ", ".join(f"`{t}`" for t in group["txid"]),
        "statement": r.statement,
        "heuristic": r.heuristic,
        "measured": measured,
        "vote": _vote_words(r.vote_agrees, conf.min(), conf.max(), lang),
        "grade": r.grade,
    }
    if len(group) > 1:
        template = (
            "- Hops {hops} (transactions {where}): inferred that {statement} ({heuristic}: "
            "{measured}; {vote}). Grade: {grade}."
        )
    else:
        template = (
            "- Hop {hops} (transaction {where}): inferred that {statement} ({heuristic}: "
            "{measured}; {vote}). Grade: {grade}."
        )
    return _say(template, lang, **fields)


def _caveats(table: pd.DataFrame, rows: pd.DataFrame, lang: str = "en") -> list[str]:
    """One line per group of inferred links that share a method and a grade, then the rest."""
    inferred = table[table["kind"] == "inference"].assign(
        agrees=lambda f: f["vote_agrees"].map({True: "yes", False: "no"}).fillna("none")
    )
    groups = inferred.groupby(["statement", "heuristic", "grade", "agrees"], sort=False)
    lines = [_inferred_line(group, lang) for _, group in groups]
    mixed = table[table["funded_share"] < 1]
    if len(mixed):
        lines.append(
            _say(
                "- At hop(s) {hops} a transaction also spent coins that are not on the trace (as "
                "little as {share} of its input value was traced): from there the traced coins "
                "are mixed with others', and how much of what follows is theirs is a choice of "
                "taint model, not a fact of the ledger.",
                lang,
                hops=", ".join(str(h) for h in sorted(mixed["hop"].unique())),
                share=f"{_number(100 * mixed['funded_share'].min(), lang, 0)}%",
            )
        )
    for r in rows.drop_duplicates("address").itertuples(index=False):
        basis = r.attribution or _say(
            "given by the requester (no tag or cluster label on the trace)", lang
        )
        lines.append(
            _say(
                "- Attribution of `{address}` to the exchange: {basis}.",
                lang,
                address=r.address,
                basis=basis,
            )
        )
    lines += [
        _say(
            "- Every other link is a fact of the ledger (a transaction spending an output) that "
            "anyone can re-check on a copy of the Bitcoin blockchain.",
            lang,
        ),
        _say(
            "- USD values use the day's closing BTC/USD price (UTC) from the dataset's price file.",
            lang,
        ),
        *(
            [
                _say(
                    "- {currency} values convert those at the central bank's official rate of "
                    "the day, from the dataset's rates file.",
                    lang,
                    currency=HOME_CURRENCY[lang],
                )
            ]
            if lang in HOME_CURRENCY
            else []
        ),
        _say(
            "- This request does not allege that the account holder committed the offence: the "
            "account is where the traced funds arrived, and its records are sought to find out "
            "who controls it.",
            lang,
        ),
    ]
    return lines


def draft_request(
    trace,
    *,
    exchange: str,
    case=None,
    exhibit=None,
    deposits=None,
    asks=("freeze", "preserve", "produce"),
    clustering=None,
    rates=None,
    requester: str = "[requesting officer, unit, contact details]",
    lang: str = "en",
    dataset=None,
) -> str:
    """A freeze / preservation / production request to ``exchange`` as Markdown text.

    ``trace`` is a Trace or its :func:`reliability_table`. The deposits are the links
    attributed to ``exchange`` (by tag, or by cluster if ``clustering`` is given), or the
    addresses in ``deposits``. ``case`` is a :class:`~chaintrace.Case` (reference and title);
    ``exhibit`` is what :func:`~chaintrace.export_exhibit` returned (or file paths): each file
    is verified and cited with its SHA-256. ``asks`` picks from ``freeze``, ``preserve`` and
    ``produce``. Legal bases are bracketed placeholders: no statute is invented here.

    ``lang`` is the language the request is written in, chosen for its recipient and never
    taken from the reader's setting: ``"en"`` (the default) for a foreign exchange, which
    reads English whatever language the investigator works in; ``"uk"`` for a Ukrainian body
    or service provider, with the Ukrainian procedure's placeholders (the investigating
    judge's ruling on арешт майна, КПК ст. 170–173, and on тимчасовий доступ до речей і
    документів, ст. 159–166). A reader's setting deciding it would send a Ukrainian letter
    abroad unnoticed. The case is cited by the case file's title (in English) or its
    translation; a table built in another language is re-worded in ``lang``. A Ukrainian
    request also gives each deposit in UAH at the National Bank of Ukraine's rate of its day,
    from ``dataset``'s rates (default: the trace's own dataset; for a table pass ``dataset=``,
    else the amount is left as a placeholder).

    >>> from chaintrace.trace import trace_forward
    >>> trace = trace_forward(load_case("ransom-01").payment_txid, hops=2)
    >>> to = trace.hops["to_address"].iat[0]
    >>> text = draft_request(trace, exchange="Example Exchange", deposits=[to])
    >>> "[LEGAL BASIS" in text and to in text
    True
    >>> "арешт майна" in draft_request(trace, exchange="Приклад", deposits=[to], lang="uk")
    True
    """
    lang = _language(lang)
    home = HOME_CURRENCY.get(lang)
    if dataset is None and not isinstance(trace, pd.DataFrame) and hasattr(trace, "graph"):
        dataset = trace.graph.dataset
    prices = None
    if home and dataset is not None:
        from .money import load_prices

        prices = load_prices(dataset)
    unknown = set(asks) - set(ASKS)
    if unknown or not asks:
        raise ValueError(f"asks must be some of {sorted(ASKS)}, got {sorted(unknown) or 'none'}")
    if not isinstance(exchange, str) or not exchange.strip():
        raise ValueError("exchange is the name of the exchange the request goes to, e.g. 'Kestrel'")
    table = trace if isinstance(trace, pd.DataFrame) else reliability_table(
        trace, rates=rates, clustering=clustering, lang=lang
    )  # fmt: skip
    if "kind" not in table.columns:
        raise ValueError(
            "pass a Trace or a table from reliability_table (exhibit_table lacks 'kind')"
        )
    table = _in_language(table.copy(), lang)  # a table read in one language, a request in another
    rows = _deposits(table, exchange, deposits)
    title = translate(case.written_title, lang) if case is not None else ""
    ref = f"{case.case_id}: {title}" if case is not None else _say("[case reference]", lang)
    names = [_say(ASK_NAMES[a], lang) for a in asks]
    what = names[0] if len(names) == 1 else _say(
        "{some} and {last}", lang, some=", ".join(names[:-1]), last=names[-1]
    )  # fmt: skip
    lines = [
        _say("# Request to {what}: {exchange}", lang, what=what, exchange=exchange),
        "",
        _say(
            "- **To:** law-enforcement response / compliance team, {exchange}",
            lang,
            exchange=exchange,
        ),
        _say("- **From:** {requester}", lang, requester=_say(requester, lang)),
        _say("- **Our reference:** {ref}", lang, ref=ref),
        _say("- **Date:** [date of sending]", lang),
        _say(
            "- **Legal basis:** [LEGAL BASIS: statute, court order or mutual legal assistance "
            "request under which this is sent, for the jurisdiction]",
            lang,
        ),
        _say(
            "- **Confidentiality:** please do not inform the account holder "
            "[NON-DISCLOSURE PROVISION, if any].",
            lang,
        ),
        "",
        _say("## What we ask", lang),
        "",
        *[f"{i}. {_say(ASKS[a], lang)}" for i, a in enumerate(asks, 1)],
        "",
        _say("## The deposits", lang),
        "",
        _say(
            "| deposit address | transaction (txid) | output | BTC | USD at the time | time (UTC) |"
            if home is None
            else "| deposit address | transaction (txid) | output | BTC | USD at the time | "
            "{currency} at the official rate of the day | time (UTC) |",
            lang,
            currency=home,
        ),
        "|---|---|---|---|---|---|" + ("---|" if home else ""),
    ]
    for r in rows.itertuples(index=False):
        btc, usd = _money(int(r.sats), r.usd_at_time, r.btc_usd_close, lang)
        local = f" {_home_money(int(r.sats), r.time_utc[:10], prices, lang)} |" if home else ""
        lines.append(
            f"| `{r.address}` | `{r.txid}` | {r.output.rsplit(':', 1)[1]} | {btc} | {usd} |{local} "
            f"{r.time_utc} |"
        )
    lines += [
        "",
        _say(
            "Total: {btc} BTC in {n} deposit(s). Time window of the funds' movement: {first} to "
            "{last} (UTC).",
            lang,
            btc=_money(int(rows["sats"].sum()), math.nan, math.nan, lang)[0],
            n=len(rows),
            first=table["time_utc"].min(),
            last=rows["time_utc"].max(),
        ),
        "",
        _say("## Grounds", lang),
        "",
        _say(
            "The funds were traced from `{start}` ({ref}) in {links} links{attached}: {facts} are "
            "facts of the ledger, {inferences} are analytic inferences, listed under caveats with "
            "their measured error rates.",
            lang,
            start=table["output"].iat[0],
            ref=ref,
            links=len(table),
            attached=_say(" (the attached exhibit)", lang) if exhibit is not None else "",
            facts=int((table["kind"] == "fact").sum()),
            inferences=int((table["kind"] == "inference").sum()),
        ),
        *_provenance(table, lang),
        "",
        _say("## Caveats", lang),
        "",
        *_caveats(table, rows, lang),
    ]
    if exhibit is not None:
        lines += ["", _say("## Exhibit", lang), "", *_exhibit_lines(exhibit, lang), "",
                  _say("Each file's SHA-256 is in `<file>.sha256`; re-check with `sha256sum -c`.", lang)]  # fmt: skip
    return "\n".join(lines) + "\n"
