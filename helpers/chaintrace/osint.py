"""Open-source intelligence (OSINT) for attribution: claims found off the chain, checked against it.

Investigators corroborate a name with what people publish about an address: a service's own wallet
page, an address posted in a forum or a channel, an agent's slip next to its handle. Each such
**claim** is only as good as its source and its capture, and it can be stale, planted or copied
wrong. This module reads a corpus of claims (``osint/<case id>.jsonl`` in a dataset; its fields in
``docs/ARCHITECTURE.md``), lays the facts of each against the chain (:func:`check_claims`), finds
look-alike addresses (:func:`lookalikes`) and records a claim that survives as a TagPack tag that
keeps its provenance (:func:`osint_tag`). It decides nothing: the verdict is the investigator's.

>>> import chaintrace as ct
>>> claims = ct.load_claims("sanctions-01")
>>> claims[0].id, claims[0].case_id
('S1-01', 'sanctions-01')
>>> sorted({c.capture for c in claims})
['archive', 'screenshot']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from .errors import ChaintraceError

if TYPE_CHECKING:
    import pandas as pd

    from .tags import Tag

FIELDS = (
    "id", "case_id", "kind", "site", "url", "author", "published", "captured", "capture",
    "archive_url", "sha256", "content", "address", "label", "category", "role",
)  # fmt: skip
CAPTURES = ("archive", "screenshot")


class OsintError(ChaintraceError, ValueError):
    """A claim corpus that cannot be read, or a claim that cannot become a tag."""


@dataclass(frozen=True)
class Claim:
    """One claim found off the chain: ``label`` (who) is said to control ``address``.

    ``kind`` is the kind of source (``published_wallets``: the service's own page;
    ``forum_post``, ``channel_post``, ``leaked_ad``: someone else's post), ``url`` and ``author``
    where and by whom, ``published`` the date the source speaks for, ``captured`` when it was
    collected and ``capture`` how: ``archive`` (a saved copy, ``content``, with its SHA-256 and
    ``archive_url``) or ``screenshot`` (an image; ``content`` is its transcription, nothing to
    verify it by).
    """

    id: str
    case_id: str
    kind: str
    site: str
    url: str
    author: str
    published: str
    captured: str
    capture: str
    archive_url: str | None
    sha256: str | None
    content: str
    address: str
    label: str
    category: str | None
    role: str

    @property
    def verified(self) -> bool | None:
        """Whether the archived copy is the one its SHA-256 names (None: a screenshot, nothing to
        check).

        >>> c = Claim("X-1", "x", "forum_post", "f.example", "https://f.example/1", "a",
        ...     "2024-03-01", "2024-03-25", "archive", None, "", "pay here", "bc1q...", "L", None, "")
        >>> c.verified
        False
        """
        if self.capture != "archive":
            return None
        digest = hashlib.sha256(self.content.encode("utf-8")).hexdigest()
        return self.sha256 is not None and digest == self.sha256


def load_claims(case, dataset=None) -> list[Claim]:
    """The OSINT claims found for a case (a case id or a :class:`~chaintrace.Case`), in id order.

    >>> len(load_claims("sanctions-02")) >= 5
    True
    >>> load_claims("ransom-01")
    Traceback (most recent call last):
    ...
    chaintrace.osint.OsintError: no OSINT corpus for case 'ransom-01' in dataset 'course' (the sanctions cases have one: sanctions-01, sanctions-02)
    """
    from .dataset import as_dataset

    case_id = getattr(case, "case_id", case)
    ds = as_dataset(dataset if dataset is not None else getattr(case, "dataset", None))
    folder = ds.path / "osint"
    path = folder / f"{case_id}.jsonl"
    if not path.is_file():
        have = ", ".join(sorted(p.stem for p in folder.glob("*.jsonl"))) or "none"
        raise OsintError(
            f"no OSINT corpus for case {case_id!r} in dataset {ds.name!r} "
            f"(the sanctions cases have one: {have})"
        )
    ds._file(f"osint/{case_id}.jsonl")  # listed in SHA256SUMS, so verified with the dataset
    claims = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            raw = json.loads(line)
            claims.append(Claim(**{k: raw[k] for k in FIELDS}))
        except (ValueError, KeyError, TypeError) as exc:
            raise OsintError(
                f"{path} line {n} is not a claim ({exc}); restore the dataset's osint/ folder "
                "(regenerate it, or copy it again)"
            ) from None
    return sorted(claims, key=lambda c: c.id)


def lookalikes(address: str, candidates: Iterable[str], head: int = 10, tail: int = 3) -> list[str]:
    """The ``candidates`` that begin and end like ``address`` but are not it.

    Wallets and explorers shorten an address to its ends, so a look-alike (an address-poisoning
    address, or a copying error that kept the ends) passes a glance. ``head`` counts the leading
    characters (``bc1q`` included), ``tail`` the trailing ones.

    >>> lookalikes("bc1qswv20hpm4fng2p736tjx4tjv4k3ng0akf87pmg",
    ...     ["bc1qswv20hx6crh0cmrp8rfer6kf0fuxyl6gdqspmg", "bc1q4uy5evnwzyg7y8g4hwg4vj3wd8gfu6zw54x7tn"])
    ['bc1qswv20hx6crh0cmrp8rfer6kf0fuxyl6gdqspmg']
    """
    start, end = address[:head], address[-tail:]
    return sorted(
        {c for c in candidates if c != address and c[:head] == start and c[-tail:] == end}
    )


def check_claims(claims: Iterable[Claim], dataset=None, clusters=None, tags=None) -> pd.DataFrame:
    """The facts of each claim, one row each: what the chain and the tags say of its address.

    Columns: the claim's ``id``, ``kind``, ``author``, ``published``, ``capture``, ``verified``
    (:attr:`Claim.verified`), ``address``, ``label``; then ``on_chain`` (the address received
    something), ``received_btc``, ``first_seen`` and ``last_seen`` (dates of its first and last
    transaction, UTC), ``cluster_size``, ``cluster_label`` and ``cluster_confidence`` (what the
    tags name its common-input cluster, None when nothing), ``lookalike_of`` (addresses on the
    chain that begin and end like it, when it is not on the chain itself). No verdict: reading
    these is the investigator's work.

    >>> import chaintrace as ct
    >>> facts = ct.check_claims(ct.load_claims("sanctions-01"))
    >>> absent = facts[~facts["on_chain"]]   # one advertised address, one look-alike
    >>> sorted(len(near) for near in absent["lookalike_of"])
    [0, 1]
    """
    import pandas as pd

    from .cluster import cluster_addresses
    from .dataset import as_dataset
    from .tags import load_tagpack

    claims = list(claims)
    ds = as_dataset(dataset)
    clusters = clusters if clusters is not None else cluster_addresses(ds)
    tags = tags if tags is not None else load_tagpack(ds.tags_path)
    out = ds.outputs
    times = ds.transactions.set_index("txid")["time"]
    wanted = {c.address for c in claims}
    mine = out[out["address"].isin(wanted)]
    on_chain_addresses = set(clusters.frame()["address"])
    rows = []
    for c in claims:
        paid = mine[mine["address"] == c.address]
        row = {k: getattr(c, k) for k in ("id", "kind", "author", "published", "capture")}
        row |= {"verified": c.verified, "address": c.address, "label": c.label}
        if len(paid):
            when = list(times.loc[paid["txid"]]) + list(times.loc[paid["spent_txid"].dropna()])
            members = clusters.members(clusters.cluster_of(c.address))
            named = tags.attribute_cluster(members)
            row |= {
                "on_chain": True,
                "received_btc": int(paid["value"].sum()) / 1e8,
                "first_seen": _date(min(when)),
                "last_seen": _date(max(when)),
                "cluster_size": len(members),
                "cluster_label": named.label,
                "cluster_confidence": named.confidence,
                "lookalike_of": [],
            }
        else:
            row |= {
                "on_chain": False,
                "received_btc": 0.0,
                "first_seen": None,
                "last_seen": None,
                "cluster_size": 0,
                "cluster_label": None,
                "cluster_confidence": None,
                "lookalike_of": lookalikes(c.address, on_chain_addresses),
            }
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("first_seen", "last_seen", "cluster_label", "cluster_confidence"):
        # "nothing" stays None (pandas would write NaN): `row.cluster_label is None` reads true
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _date(unix: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(unix), UTC).strftime("%Y-%m-%d")


def osint_tag(claim: Claim, confidence: str, note: str = "") -> Tag:
    """A TagPack tag recording ``claim``, with its provenance kept in the tag's ``context``.

    ``confidence`` is a level of GraphSense's scale (:data:`chaintrace.tags.CONFIDENCE_LEVELS`),
    chosen by the investigator for the *source* (a service's own archived page is
    ``service_data``, an archived post ``web_crawl``, a screenshot alone ``unknown``); what the
    chain showed goes in ``note``, not into the level. ``source`` is the claim's URL, ``lastmod``
    the capture date; ``context`` (JSON) keeps the claim id, author, dates, capture, archive URL
    and SHA-256. Write tags out with :func:`chaintrace.write_tagpack`.

    >>> import chaintrace as ct
    >>> claim = next(c for c in ct.load_claims("sanctions-01") if c.kind == "published_wallets")
    >>> tag = ct.osint_tag(claim, "service_data", note="active on the page's date")
    >>> tag.label, tag.confidence, tag.confidence_score, tag.source == claim.url
    ('Kupolex', 'service_data', 50, True)
    >>> ct.osint_tag(claim, "sure")
    Traceback (most recent call last):
    ...
    chaintrace.osint.OsintError: 'sure' is not a confidence level; use one of GraphSense's: override, ownership, ledger_immanent, manual_transaction, service_api, forensic_investigation, authority_data, trusted_provider, service_data, forensic, untrusted_transaction, web_crawl, heuristic, unknown
    """
    from .tags import CONFIDENCE_LEVELS, Tag

    if confidence not in CONFIDENCE_LEVELS:
        levels = ", ".join(CONFIDENCE_LEVELS)
        raise OsintError(
            f"{confidence!r} is not a confidence level; use one of GraphSense's: {levels}"
        )
    context = {k: v for k, v in asdict(claim).items() if k not in ("content", "address", "label")}
    if note:
        context["note"] = note
    return Tag(
        address=claim.address,
        label=claim.label,
        category=claim.category,
        confidence=confidence,
        confidence_score=CONFIDENCE_LEVELS[confidence],
        source=claim.url,
        currency="BTC",
        lastmod=claim.captured,
        context=json.dumps(context, sort_keys=True, ensure_ascii=False),
    )
