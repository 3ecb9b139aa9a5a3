"""Attribution tags in GraphSense's open TagPack format, and what they say about an address.

A TagPack is a YAML file: a header (``title``, ``creator``, and any tag field such as
``source``, ``currency``, ``confidence`` or ``category``) and a ``tags:`` list of dicts, each
with an ``address`` and whatever it overrides. Every tag inherits the header's values. The
confidence names and scores follow GraphSense's vocabulary (``ownership`` 100 down to
``unknown`` 5), so a tag always says *how* its creator knows.

>>> pack = TagPack.from_yaml('''
... title: Training tags
... creator: Course team
... source: https://example.org/seizure-report
... currency: BTC
... confidence: ownership
... category: exchange
... tags:
... - address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2
...   label: Kraken-like exchange
... - address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2
...   label: lucky dice
...   category: gambling
...   confidence: unknown
...   source: https://example.org/forum-post
... ''')
>>> len(pack)
2
>>> best = pack.attribute("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
>>> best.label, best.category, best.confidence_score, best.conflicting
('Kraken-like exchange', 'exchange', 100, True)
>>> print(best.explain())
1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2: labelled 'Kraken-like exchange' (exchange) by 1 tag, best confidence 100 (ownership; source https://example.org/seizure-report); 1 conflicting tag at confidence 5 (unknown) says 'lucky dice' (gambling).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pandas as pd
import yaml

from . import paths
from .errors import ChaintraceError
from .messages import translate

# GraphSense's confidence scale: every level of graphsense-tagpack-tool's
# src/tagpack/db/confidence.csv (https://github.com/graphsense/graphsense-tagpack-tool), best
# first. The one definition in chaintrace: attribution.py and every check read it from here.
CONFIDENCE_LEVELS: dict[str, int] = {
    "override": 100,
    "ownership": 100,
    "ledger_immanent": 100,
    "manual_transaction": 90,
    "service_api": 70,
    "forensic_investigation": 70,
    "authority_data": 60,
    "trusted_provider": 50,
    "service_data": 50,
    "forensic": 50,
    "untrusted_transaction": 40,
    "web_crawl": 20,
    "heuristic": 10,
    "unknown": 5,
}
# what a tag without a (known) confidence counts as: the bottom of the scale, never more
FALLBACK_CONFIDENCE = "unknown"

# Ids of GraphSense's abuse taxonomy (INTERPOL Darknet and Cryptocurrencies Working Group).
ABUSES = frozenset(
    "scam extortion sextortion phishing service_hack ransomware investment_fraud ponzi_scheme "
    "pyramid_scheme sanction extremism terrorism dark_web money_laundering financial_crime "
    "payment_card_fraud child_sexual_abuse sexual_abuse violence torture abuse".split()
)
# Ids a tag's ``category`` may take: the entity taxonomy plus the newer unified "concepts"
# taxonomy (Iknaio), which also holds the abuse ids (so ``category: ransomware`` is valid).
# Unknown categories are reported, never refused: the taxonomy grows faster than any copy.
CATEGORIES = ABUSES | frozenset(
    "concept behaviour source mention forum_mention website_mention gray_usage mixing "
    "white_usage entity organization user service victim perpetrator donation exchange "
    "wallet_service escrow_wallet ico_wallet cold_wallet hot_wallet warm_wallet filesharing "
    "index market messaging_service mixing_service coinjoin miner mining_service gambling "
    "search_engine shop faucet payment_processor atm hosting vpn defi defi_lending defi_dex "
    "defi_derivative defi_bridge item collectible".split()
)

HEADER_ONLY = ("title", "creator", "description", "owner", "is_public")
TAG_FIELDS = (
    "address", "label", "source", "currency", "network", "confidence", "category", "abuse",
    "actor", "lastmod", "is_cluster_definer", "context", "concepts", "tag_type", "tx_hash",
)  # fmt: skip
MANDATORY_HEADER = ("title", "creator")
MANDATORY_TAG = ("address", "label", "source", "currency", "confidence")
# fields factored into the header when every tag shares them (as the GraphSense tool writes)
FACTORABLE = ("source", "currency", "network", "confidence", "category", "abuse", "actor",
              "lastmod", "is_cluster_definer", "context", "label")  # fmt: skip


# libyaml's C parser when present: ten times faster on a course-sized TagPack
class _TagPackLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML 1.1 reads an unquoted ``0x5aAe...`` as a hexadecimal integer; in a TagPack it is
    always an Ethereum address, so hex scalars stay text (no TagPack field is a number)."""


def _int_or_hex_text(loader, node):
    if node.value.lower().lstrip("+-").startswith("0x"):
        return node.value
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_TagPackLoader.add_constructor("tag:yaml.org,2002:int", _int_or_hex_text)


class TagPackError(ChaintraceError, ValueError):
    """A TagPack that cannot be read as written; the message says where and what to change."""


def address_key(address: str) -> str:
    """The form an address is matched under: case-insensitive where the format is.

    EVM (``0x`` + 40 hex) and bech32 (``bc1``, ``tb1``, ``ltc1``...) addresses mean the same in
    any letter case; Base58 addresses (``1...``, ``3...``, TRON ``T...``) do not.

    >>> address_key(" 0xAbC0000000000000000000000000000000000001 ")
    '0xabc0000000000000000000000000000000000001'
    >>> address_key("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'
    """
    text = str(address).strip()
    low = text.lower()
    if low.startswith("0x") and len(text) == 42:
        return low
    if low.startswith(("bc1", "tb1", "bcrt1", "ltc1", "tltc1")):
        return low
    return text


@dataclass(frozen=True)
class Tag:
    """One attribution: who (``label``, ``category``, ``actor``) is said to control ``address``,
    by whom (``source``) and how surely (``confidence`` name and its 0-100 score)."""

    address: str
    label: str
    category: str | None
    confidence: str
    confidence_score: int
    source: str
    currency: str
    network: str | None = None
    actor: str | None = None
    abuse: str | None = None
    lastmod: str | None = None
    is_cluster_definer: bool = False
    context: str | None = None
    tagpack_title: str | None = None
    tagpack_creator: str | None = None
    tagpack_path: str | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict:
        """The tag's fields as a plain dict (one row of :meth:`TagPack.frame`)."""
        return asdict(self)


@dataclass(frozen=True)
class LabelSupport:
    """All tags that give one label, and how strongly they do."""

    label: str
    category: str | None
    confidence: str
    confidence_score: int
    n_tags: int
    n_members: int
    weight: int
    sources: tuple[str, ...]
    categories: tuple[str, ...]
    cluster_definer: bool = False


def cluster_rank(support: LabelSupport) -> tuple:
    """Sort key of a cluster's candidate label: the strongest evidence first.

    An ``override`` tag wins first, then a tag marked ``is_cluster_definer`` (GraphSense's
    "valid for the whole cluster"), then the highest confidence score; the weight (the sum of
    the members' confidence) only breaks ties, then the label's spelling. Ranking by weight
    first let many weak tags outvote one strong one: on the course data (common-input
    clustering, ground truth by majority owner), 24 of 659 labelled clusters had the wrong
    category that way (individuals' clusters named by one ``unknown`` pastebin tag as an
    exchange), 0 of 635 with this ranking and :func:`chaintrace.label_clusters`'s
    ``min_confidence``. The one ranking of cluster labels: :meth:`TagPack.attribute_cluster`,
    :func:`chaintrace.label_clusters` and :func:`chaintrace.attribution.attribute` all use it.

    >>> strong = LabelSupport("Exchange", "exchange", "authority_data", 60, 1, 1, 60, ("s",), ())
    >>> weak = LabelSupport("Alice", None, "web_crawl", 20, 5, 5, 100, ("s",), ())
    >>> [s.label for s in sorted([weak, strong], key=cluster_rank)]
    ['Exchange', 'Alice']
    """
    return (
        -int(support.confidence == "override"),
        -int(support.cluster_definer),
        -support.confidence_score,
        -support.weight,
        support.label.casefold(),
    )


@dataclass(frozen=True)
class Attribution:
    """The best label for an address or a cluster, the evidence for it, and what disagrees.

    ``candidates`` holds every label seen, best first; ``conflicts`` are all but the first.
    An empty attribution (no tag found) has ``label`` None and ``found`` False.
    """

    subject: str
    candidates: tuple[LabelSupport, ...]
    tags: tuple[Tag, ...]
    n_members: int = 1
    n_tagged: int = 0
    is_cluster: bool = False

    @property
    def found(self) -> bool:
        return bool(self.candidates)

    @property
    def best(self) -> LabelSupport | None:
        return self.candidates[0] if self.candidates else None

    @property
    def label(self) -> str | None:
        return self.best.label if self.best else None

    @property
    def category(self) -> str | None:
        return self.best.category if self.best else None

    @property
    def confidence(self) -> str | None:
        return self.best.confidence if self.best else None

    @property
    def confidence_score(self) -> int | None:
        return self.best.confidence_score if self.best else None

    @property
    def source(self) -> str | None:
        return self.best.sources[0] if self.best else None

    @property
    def conflicts(self) -> tuple[LabelSupport, ...]:
        return self.candidates[1:]

    @property
    def conflicting(self) -> bool:
        """True when tags give other labels, or disagree on the best label's category."""
        return len(self.candidates) > 1 or (self.best is not None and len(self.best.categories) > 1)

    def __str__(self) -> str:
        return self.explain()

    def explain(self) -> str:
        """The attribution in one plain sentence, with its evidence and its conflicts, in the
        reader's language (each piece is a template of the toolkit's catalogue; the labels,
        categories and sources are the TagPack's own words)."""
        subject = _subject_text(self.subject)
        if not self.found:
            if self.is_cluster:
                n = self.n_members
                head = translate(
                    f"{subject}: no label; none of its {n} addresses is tagged in this TagPack."
                )
            else:
                head = translate(f"{subject}: no label; it is not tagged in this TagPack.")
            return (
                head
                + " "
                + translate("No tag is not evidence of anything: the owner is simply unknown here.")
            )
        best = self.best
        count = best.n_members if self.is_cluster else best.n_tags
        label, category = repr(best.label), _category_text(best.category)
        score, level, source = best.confidence_score, best.confidence, best.sources[0]
        if self.is_cluster and count == 1:
            text = translate(
                f"{subject}: labelled {label} ({category}) by 1 member, best confidence {score} ({level}; source {source})"
            )
        elif self.is_cluster:
            text = translate(
                f"{subject}: labelled {label} ({category}) by {count} members, best confidence {score} ({level}; source {source})"
            )
        elif count == 1:
            text = translate(
                f"{subject}: labelled {label} ({category}) by 1 tag, best confidence {score} ({level}; source {source})"
            )
        else:
            text = translate(
                f"{subject}: labelled {label} ({category}) by {count} tags, best confidence {score} ({level}; source {source})"
            )
        if self.is_cluster:
            weight, tagged = best.weight, self.n_tagged
            text += translate(f", weight {weight} of {tagged} tagged")
            if best.cluster_definer:
                text += translate(", backed by a cluster-defining tag")
        if len(best.categories) > 1:
            categories = ", ".join(best.categories)
            text += translate(f"; its tags disagree on the category: {categories}")
        for other in self.conflicts:
            text += _conflict_text(other, self.is_cluster)
        return text + "."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _subject_text(subject: str) -> str:
    """A cluster's default name (``attribute_cluster``) in the reader's language; a name the
    caller gave, or an address, as it is."""
    match = re.fullmatch(r"cluster of (\d+) address(?:es)?", subject)
    if not match:
        return subject
    n = int(match.group(1))
    return translate("cluster of 1 address") if n == 1 else translate(f"cluster of {n} addresses")


def _category_text(category: str | None) -> str:
    return category or translate("no category")


def _conflict_text(other: LabelSupport, is_cluster: bool) -> str:
    """``; 2 conflicting members at confidence 60 (authority_data) say 'X' (market)``."""
    n = other.n_members if is_cluster else other.n_tags
    score, level = other.confidence_score, other.confidence
    label, category = repr(other.label), _category_text(other.category)
    if is_cluster and n == 1:
        return translate(
            f"; 1 conflicting member at confidence {score} ({level}) says {label} ({category})"
        )
    if is_cluster:
        return translate(
            f"; {n} conflicting members at confidence {score} ({level}) say {label} ({category})"
        )
    if n == 1:
        return translate(
            f"; 1 conflicting tag at confidence {score} ({level}) says {label} ({category})"
        )
    return translate(
        f"; {n} conflicting tags at confidence {score} ({level}) say {label} ({category})"
    )


class TagPack:
    """A set of tags (from one or more TagPack files) with lookups that explain themselves.

    >>> pack = TagPack.from_yaml('''
    ... title: t
    ... creator: c
    ... source: s
    ... currency: BTC
    ... confidence: web_crawl
    ... tags:
    ... - {address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2, label: Genesis}
    ... ''')
    >>> [t.label for t in pack.lookup("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")]
    ['Genesis']
    >>> pack.frame()[["address", "label", "confidence_score"]].to_dict("records")
    [{'address': '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'label': 'Genesis', 'confidence_score': 20}]
    """

    def __init__(self, tags: Iterable[Tag] = (), header: dict | None = None, problems=()):
        self.tags: list[Tag] = list(tags)
        self.header: dict = dict(header or {})
        self.problems: list[str] = list(problems)
        self._index: dict[str, list[Tag]] = {}
        for tag in self.tags:
            self._index.setdefault(address_key(tag.address), []).append(tag)
        for found in self._index.values():
            found.sort(key=lambda t: -t.confidence_score)  # stable: file order breaks ties

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, text: str, *, name: str = "<text>", strict: bool = False) -> TagPack:
        """Read a TagPack from YAML text (see :func:`load_tagpack` for the rules).

        >>> pack = TagPack.from_yaml('''
        ... {title: t, creator: c, source: s, currency: BTC,
        ...  tags: [{address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2, label: Genesis}]}''', name="x.yaml")
        >>> pack.tags[0].confidence
        'unknown'
        >>> print(pack.problems[0])
        x.yaml 1 tag (at line 3): no confidence; set 'confidence:' in the header or on each tag (counted as unknown, 5)
        """
        doc, lines = _read_yaml(text, name)
        tags, header, problems, notes = _parse_document(doc, name, lines)
        if problems and strict:
            shown = "\n  - ".join(problems[:10])
            more = f"\n  (and {len(problems) - 10} more)" if len(problems) > 10 else ""
            raise TagPackError(
                f"{name}: {_plural(len(problems), 'problem')} in this TagPack:\n  - {shown}{more}\n"
                "Fix them, or load with strict=False to keep the good tags and list the "
                "problems in tagpack.problems."
            )
        return cls(tags, header, problems + notes)

    @classmethod
    def merge(cls, packs: Iterable[TagPack]) -> TagPack:
        """One TagPack holding the tags and problems of several (header of the first)."""
        packs = list(packs)
        tags = [t for p in packs for t in p.tags]
        problems = [q for p in packs for q in p.problems]
        return cls(tags, packs[0].header if packs else {}, problems)

    # container protocol ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tags)

    def __iter__(self) -> Iterator[Tag]:
        return iter(self.tags)

    def __contains__(self, address) -> bool:
        return isinstance(address, str) and address_key(address) in self._index

    def __repr__(self) -> str:
        title = self.header.get("title", "untitled")
        n = len(self._index)
        addresses = f"{n} address{'' if n == 1 else 'es'}"
        return f"<TagPack {title!r}: {_plural(len(self.tags), 'tag')}, {addresses}>"

    @property
    def addresses(self) -> list[str]:
        """Every tagged address once, in file order."""
        return list(dict.fromkeys(t.address for t in self.tags))

    def frame(self) -> pd.DataFrame:
        """All tags as a DataFrame, one row per tag."""
        columns = [f.name for f in fields(Tag) if f.name != "tagpack_path"]
        rows = [{c: getattr(t, c) for c in columns} for t in self.tags]
        frame = pd.DataFrame(rows, columns=columns)
        return frame.astype({"confidence_score": "int64", "is_cluster_definer": "bool"})

    # lookups --------------------------------------------------------------------------------
    def lookup(self, address: str) -> list[Tag]:
        """Every tag on ``address`` (matched as :func:`address_key` says), most confident first."""
        return list(self._index.get(address_key(address), ()))

    def attribute(self, address: str) -> Attribution:
        """The best-supported label of one address, with its conflicts.

        Tags are grouped by label (ignoring case and spacing); the label with the highest
        confidence wins, then the one with more tags.
        """
        tags = self.lookup(address)
        groups = _group_by_label((t, address_key(t.address)) for t in tags)
        candidates = sorted(
            (_support(g, cluster=False) for g in groups.values()),
            key=lambda s: (-s.confidence_score, -s.n_tags, s.label.casefold()),
        )
        return Attribution(str(address).strip(), tuple(candidates), tuple(tags), 1, int(bool(tags)))

    def attribute_cluster(self, addresses: Iterable[str], name: str | None = None) -> Attribution:
        """Label a set of addresses (a cluster) from its tagged members.

        Each label's weight is the sum, over the members that carry it, of that member's best
        confidence for it. Candidates are ranked by :func:`cluster_rank`: the strongest evidence
        first, the weight only breaking ties, so many weak tags cannot outvote one strong tag.
        One member tagged 'exchange' at 100 and three members tagged 'Alice' at 5 give
        'exchange'.

        >>> pack = TagPack.from_yaml('''
        ... {title: t, creator: c, source: s, currency: BTC, confidence: unknown,
        ...  tags: [{address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2, label: Alice},
        ...         {address: 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy, label: Alice},
        ...         {address: 12higDjoCCNXSA95xZMWUdPvXNmkAduhWv, label: Bob}]}''')
        >>> a = pack.attribute_cluster(["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        ...     "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "12higDjoCCNXSA95xZMWUdPvXNmkAduhWv"])
        >>> a.label, a.best.n_members, a.best.weight, [c.label for c in a.conflicts]
        ('Alice', 2, 10, ['Bob'])
        """
        keys = list(dict.fromkeys(address_key(a) for a in addresses))
        tags = [t for k in keys for t in self._index.get(k, ())]
        groups = _group_by_label((t, address_key(t.address)) for t in tags)
        candidates = sorted((_support(g, cluster=True) for g in groups.values()), key=cluster_rank)
        tagged = len({address_key(t.address) for t in tags})
        subject = name or f"cluster of {len(keys)} address{'' if len(keys) == 1 else 'es'}"
        return Attribution(subject, tuple(candidates), tuple(tags), len(keys), tagged, True)

    def attribute_many(self, addresses: Iterable[str]) -> pd.DataFrame:
        """One row per address (in the order given) with its best label and conflicts.

        Untagged addresses get an empty label, so the table lines up with the input.
        ``addresses`` may also be a DataFrame with an ``address`` column.

        >>> pack = TagPack.from_yaml('''
        ... {title: t, creator: c, source: s, currency: BTC, confidence: web_crawl,
        ...  tags: [{address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2, label: Alice}]}''')
        >>> pack.attribute_many(["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"])[
        ...     ["label", "confidence_score", "n_tags"]]
           label  confidence_score  n_tags
        0  Alice                20       1
        1    NaN              <NA>       0
        """
        if isinstance(addresses, pd.DataFrame):
            addresses = addresses["address"]
        rows = []
        for address in addresses:
            a = self.attribute(address)
            rows.append(
                {
                    "address": a.subject,
                    "label": a.label,
                    "category": a.category,
                    "confidence": a.confidence,
                    "confidence_score": a.confidence_score,
                    "source": a.source,
                    "n_tags": len(a.tags),
                    "conflicting": a.conflicting,
                    "other_labels": "; ".join(c.label for c in a.conflicts),
                }
            )
        frame = pd.DataFrame(rows, columns=_MANY_COLUMNS)
        return frame.astype({"confidence_score": "Int64", "n_tags": "int64", "conflicting": "bool"})

    def report(self) -> str:
        """A short plain-text summary: size, confidence mix, and any problems found on load.

        >>> print(TagPack().report())
        <TagPack 'untitled': 0 tags, 0 addresses>
          0 problems on load
        """
        lines = [repr(self)]
        mix = pd.Series([t.confidence for t in self.tags]).value_counts()
        for name, n in mix.items():
            lines.append(
                f"  {_plural(n, 'tag'):>11} at {name} ({CONFIDENCE_LEVELS.get(name, '?')})"
            )
        lines.append(f"  {_plural(len(self.problems), 'problem')} on load")
        lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)

    # writing --------------------------------------------------------------------------------
    def to_yaml(self, header: dict | None = None) -> str:
        """This pack as TagPack YAML, shared values factored into the header."""
        return tags_to_yaml(self.tags, {**self.header, **(header or {})})


_MANY_COLUMNS = [
    "address", "label", "category", "confidence", "confidence_score", "source", "n_tags",
    "conflicting", "other_labels",
]  # fmt: skip


def _group_by_label(pairs) -> dict[str, list[tuple[Tag, str]]]:
    groups: dict[str, list[tuple[Tag, str]]] = {}
    for tag, key in pairs:
        groups.setdefault(" ".join(tag.label.casefold().split()), []).append((tag, key))
    return groups


def _support(group: list[tuple[Tag, str]], cluster: bool) -> LabelSupport:
    tags = sorted((t for t, _ in group), key=lambda t: -t.confidence_score)
    top = tags[0]
    best_per_member: dict[str, int] = {}
    for tag, key in group:
        best_per_member[key] = max(best_per_member.get(key, 0), tag.confidence_score)
    categories = tuple(dict.fromkeys(t.category for t in tags if t.category))
    return LabelSupport(
        label=top.label,
        category=top.category,
        confidence=top.confidence,
        confidence_score=top.confidence_score,
        n_tags=len(tags),
        n_members=len(best_per_member),
        weight=sum(best_per_member.values()),
        sources=tuple(dict.fromkeys(t.source for t in tags)),
        categories=categories,
        cluster_definer=any(t.is_cluster_definer for t in tags),
    )


# reading ------------------------------------------------------------------------------------
def load_tagpack(path, *, strict: bool = False) -> TagPack:
    """Read TagPack YAML from a file, a folder of ``*.yaml`` files, or a list of paths.

    Each tag inherits the header's fields and may override any of them; the fields are
    GraphSense's (``currency`` and ``network`` side by side: USDT on ``network: TRX``).
    Published packs have flaws, so by default every good tag is loaded and each problem is
    kept in ``tagpack.problems``, naming the file, the line, the tag and what was done:

    - a tag without ``confidence``, or with a name not on GraphSense's scale
      (:data:`CONFIDENCE_LEVELS`), is kept at ``unknown`` (5), the bottom of the scale;
    - a tag missing ``address``, ``label``, ``source`` or ``currency``, with a malformed
      address (checked by :func:`chaintrace.parse_address` for Bitcoin, Ethereum and TRON), an
      address of another chain than its currency, a non-text field, or repeating an earlier
      tag (same address, label and source) is skipped;
    - unknown fields, a bad ``lastmod`` date or a non-boolean ``is_cluster_definer`` are
      ignored; a category outside GraphSense's taxonomy is kept (the taxonomy grows).

    ``strict=True`` is for authors checking their own pack: any of these (except an unknown
    category) raises a :class:`TagPackError` listing them all. Either way a file that is not
    a TagPack (bad YAML, no ``tags:`` list, YAML aliases expanding past a sane size) raises
    a :class:`TagPackError` saying where and what to change.

    >>> from chaintrace import paths
    >>> pack = load_tagpack(paths.dataset_dir("course") / "tags.yaml")
    >>> len(pack) > 100, pack.problems
    (True, [])
    >>> first = pack.addresses[0]
    >>> pack.attribute(first).explain().startswith(f"{first}: labelled ")
    True
    """
    if isinstance(path, (list, tuple)):
        return TagPack.merge(load_tagpack(p, strict=strict) for p in path)
    path = Path(path)
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise FileNotFoundError(
                f"no TagPack (*.yaml) in folder {path}; point load_tagpack at a TagPack file "
                "or a folder holding some."
            )
        return TagPack.merge(load_tagpack(f, strict=strict) for f in files)
    if not path.is_file():
        raise FileNotFoundError(
            f"no TagPack file at {path}; check the path (the course's tags are "
            "datasets/<name>/tags.yaml, found with chaintrace.paths.dataset_dir())."
        )
    data = path.read_bytes()
    pack = _remembered(data, path.name, strict)
    if pack is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TagPackError(
                f"{path.name}: not UTF-8 text (byte {exc.start} cannot be read); a TagPack is "
                "YAML saved as UTF-8: save it again with that encoding."
            ) from None
        pack = TagPack.from_yaml(text, name=path.name, strict=strict)
        _remember(data, path.name, strict, pack)
    pack.tags = [_with_path(t, str(path)) for t in pack.tags]
    return pack


# Checking a pack (YAML limits, every address's checksum) costs about a millisecond a tag; a pack
# already checked is remembered by its bytes, the rules that checked it and its name, so a
# notebook's first cell reads the course's tags in milliseconds. The rules are this module and
# the address parsers: any change to them is a new key.
_RULES = ("tags.py", "address.py", "encoding.py")


@functools.cache
def _rules_digest() -> str:
    here = Path(__file__).parent
    return hashlib.sha256(b"".join((here / name).read_bytes() for name in _RULES)).hexdigest()


def _memory_path(data: bytes, name: str, strict: bool) -> Path:
    key = hashlib.sha256(
        b"\0".join([data, name.encode(), _rules_digest().encode(), b"%d" % strict])
    )
    return paths.cache_root() / "tagpacks" / f"{key.hexdigest()[:32]}.json"


def _remembered(data: bytes, name: str, strict: bool) -> TagPack | None:
    try:
        saved = json.loads(_memory_path(data, name, strict).read_text(encoding="utf-8"))
        tags = [Tag(**fields) for fields in saved["tags"]]
        return TagPack(tags, saved["header"], saved["problems"])
    except (OSError, ValueError, TypeError, KeyError):
        return None  # not remembered (or unreadable): check the pack again


def _remember(data: bytes, name: str, strict: bool, pack: TagPack) -> None:
    path = _memory_path(data, name, strict)
    fields = [{k: v for k, v in t.as_dict().items() if k != "tagpack_path"} for t in pack.tags]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps({"tags": fields, "header": pack.header, "problems": pack.problems}),
            encoding="utf-8",
        )
        tmp.replace(path)
    except (OSError, TypeError, ValueError):
        pass  # a read-only home: check the pack every time


def _with_path(tag: Tag, path: str) -> Tag:
    object.__setattr__(tag, "tagpack_path", path)  # provenance only; not part of equality
    return tag


# A TagPack nests four deep (header, tags list, tag, concepts list). YAML aliases (*name)
# repeat a value without writing it again, so ten aliases of ten aliases of ... of "lol" is a
# short file that expands to billions of values ("billion laughs"): counted before building
# anything. A pack using anchors for shared values expands a few times, never thousands.
_MAX_DEPTH = 32
_MAX_EXPANSION = 10  # expanded values per written value, beyond the floor below
_EXPANSION_FLOOR = 100_000


def _read_yaml(text: str, name: str) -> tuple[object, list[int]]:
    """The document and the line (1-based) of each entry of its ``tags:`` list."""
    loader = _TagPackLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        _check_expansion(node, name)
        return loader.construct_document(node), _tag_lines(node)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise TagPackError(
            f"{name}: not valid YAML{where} ({problem}). Check the indentation and quote "
            "values that contain ':' or '#'."
        ) from None
    except RecursionError:  # the pure-Python parser, when libyaml is missing, recurses
        raise TagPackError(
            f"{name}: values nested too deep to read; a TagPack is a header and a list of flat "
            "tags. Check the brackets and indentation."
        ) from None
    finally:
        loader.dispose()


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root, name: str) -> None:
    """Refuse alias bombs, self-referring aliases and absurd nesting, in time linear in the
    written size (each distinct node is sized once, without recursion)."""
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, 1, False)]
    while stack:
        node, depth, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:
            continue
        line = node.start_mark.line + 1
        if key in open_nodes:
            raise TagPackError(
                f"{name}: line {line}: a YAML alias refers to a value that contains it, so it "
                "never ends. Write the value out instead of the alias."
            )
        if depth > _MAX_DEPTH:
            raise TagPackError(
                f"{name}: line {line}: values nested more than {_MAX_DEPTH} deep; a TagPack is "
                "a header and a list of flat tags. Check the brackets and indentation."
            )
        open_nodes.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))
    written, expanded = len(size), size[id(root)]
    if expanded > max(_EXPANSION_FLOOR, _MAX_EXPANSION * written):
        raise TagPackError(
            f"{name}: its YAML aliases (*name) expand to {expanded:,} values from {written:,} "
            'written ones (an "alias bomb"); a TagPack never needs that. Write the values out, '
            "or ask whoever sent the file what it is."
        )


def _tag_lines(root) -> list[int]:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "tags" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    return []


class _Problems:
    """The problems met in one file: each names the file, the line and the tag, says what is
    wrong, and what loading did about it."""

    def __init__(self, name: str):
        self.name = name
        self.fatal: list[str] = []  # what strict mode refuses
        self.notes: list[str] = []  # never refused (an unknown category)
        self.unrated: list[str] = []  # lines of tags without confidence: one problem for all

    def add(self, where: str, what: str, *, note: bool = False) -> None:
        (self.notes if note else self.fatal).append(f"{self.name} {where}: {what}")


def _parse_document(doc, name: str, lines=()) -> tuple[list[Tag], dict, list[str], list[str]]:
    """The tags, the header, the problems (fatal when strict) and notes (never fatal)."""
    if not isinstance(doc, dict):
        raise TagPackError(
            f"{name}: a TagPack is a YAML mapping (header fields, then 'tags:'), but this file "
            f"holds {type(doc).__name__}. Start it with 'title:', 'creator:' and 'tags:'."
        )
    found = _Problems(name)
    header = {k: v for k, v in doc.items() if k != "tags"}
    for key in MANDATORY_HEADER:
        if _blank(header.get(key)):
            found.add("header", f"mandatory field {key!r} is missing; add '{key}: ...'")
    for problem in _unknown_keys(header, HEADER_ONLY + TAG_FIELDS):
        found.add("header", problem)
    raw_tags = doc.get("tags")
    if not isinstance(raw_tags, list) or not raw_tags:
        raise TagPackError(
            f"{name}: no tags. A TagPack needs a 'tags:' list of entries like "
            "'- address: ...' (indented under 'tags:')."
        )
    inherited = {k: v for k, v in header.items() if k in TAG_FIELDS}
    tags, seen = [], {}
    for position, raw in enumerate(raw_tags, start=1):
        line = f"line {lines[position - 1]}, " if len(lines) >= position else ""
        where = f"{line}tag {position}"
        if isinstance(raw, dict) and "address" in raw:
            where += f" (address {raw['address']!r})"
        tag = _parse_tag(raw, inherited, header, where, found)
        if tag is None:
            continue
        # same claim from the same source: a repeat (GraphSense's duplicate_tag rule); the
        # same label from another source is corroboration and is kept
        key = (address_key(tag.address), " ".join(tag.label.casefold().split()), tag.source)
        if key in seen:
            found.add(
                where,
                f"repeats tag {seen[key]} (same address, label {tag.label!r} and source); "
                "skipped the repeat, delete it",
            )
            continue
        seen[key] = position
        tags.append(tag)
    if found.unrated:
        shown = ", ".join(found.unrated[:8]) + (", ..." if len(found.unrated) > 8 else "")
        fallback = f"{FALLBACK_CONFIDENCE}, {CONFIDENCE_LEVELS[FALLBACK_CONFIDENCE]}"
        found.add(
            f"{_plural(len(found.unrated), 'tag')} (at line{'s' if len(found.unrated) > 1 else ''} "
            f"{shown})",
            f"no confidence; set 'confidence:' in the header or on each tag (counted as {fallback})",
        )
    return tags, header, found.fatal, found.notes


def _unknown_keys(mapping: dict, allowed: tuple) -> list[str]:
    problems = []
    for key in mapping:
        if key not in allowed:
            guess = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {guess[0]!r}?" if guess else "remove it or check the spelling"
            problems.append(f"unknown field {key!r} (ignored); {hint}")
    return problems


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_TEXT_FIELDS = ("address", "label", "source", "currency", "network", "category", "actor", "abuse")


def _parse_tag(raw, inherited: dict, header: dict, where: str, found: _Problems) -> Tag | None:
    """One tag, or None when it cannot be used (the reason is added to ``found``)."""
    if not isinstance(raw, dict):
        found.add(where, f"is {_short(raw)}, not a mapping; write it as '- address: ...' (skipped)")
        return None
    for problem in _unknown_keys(raw, TAG_FIELDS):
        found.add(where, problem)
    values = {**inherited, **raw}
    if not _usable(values, where, found):
        return None
    confidence = _confidence(values.get("confidence"), where, found)
    definer = values.get("is_cluster_definer", False)
    if not isinstance(definer, bool):
        found.add(where, "field 'is_cluster_definer' should be true or false (read as false)")
        definer = False
    category = values.get("category")
    if category and category not in CATEGORIES:
        guess = difflib.get_close_matches(category, CATEGORIES, n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else "kept as written"
        found.add(
            where, f"category {category!r} is not in the GraphSense taxonomy; {hint}", note=True
        )
    return Tag(
        address=values["address"].strip(),
        label=values["label"].strip(),
        category=category or None,
        confidence=confidence,
        confidence_score=CONFIDENCE_LEVELS[confidence],
        source=values["source"],
        currency=values["currency"].upper(),
        network=_text_or_none(values.get("network"), upper=True),
        actor=_text_or_none(values.get("actor")),
        abuse=_text_or_none(values.get("abuse")),
        lastmod=_iso_date(values.get("lastmod"), where, found),
        is_cluster_definer=definer,
        context=_text_or_none(values.get("context")),
        tagpack_title=_text_or_none(header.get("title")),
        tagpack_creator=_text_or_none(header.get("creator")),
    )


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _usable(values: dict, where: str, found: _Problems) -> bool:
    """Whether the tag has what any use of it needs: text address, label, source, currency
    (a valid address of the right chain); each reason it has not is added to ``found``."""
    before = len(found.fatal)
    for key in MANDATORY_TAG:
        if key != "confidence" and _blank(values.get(key)):
            found.add(
                where,
                f"mandatory field {key!r} is missing; set it on the tag or in the header "
                "(skipped the tag)",
            )
    for key in _TEXT_FIELDS:
        value = values.get(key)
        if value is not None and not isinstance(value, str):
            found.add(
                where, f"field {key!r} should be text, not {_short(value)}; quote it (skipped)"
            )
    if len(found.fatal) == before:
        _check_address(values, where, found)
    return len(found.fatal) == before


def _confidence(value, where: str, found: _Problems) -> str:
    """The tag's confidence name; a missing or unknown one counts as the bottom of the scale."""
    fallback = f"{FALLBACK_CONFIDENCE}, {CONFIDENCE_LEVELS[FALLBACK_CONFIDENCE]}"
    if _blank(value):
        found.unrated.append(where.split(" (address")[0].removeprefix("line ").split(",")[0])
        return FALLBACK_CONFIDENCE
    if value in CONFIDENCE_LEVELS:
        return value
    guess = difflib.get_close_matches(str(value), CONFIDENCE_LEVELS, n=1)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    levels = ", ".join(f"{k} ({v})" for k, v in CONFIDENCE_LEVELS.items())
    found.add(
        where,
        f"field 'confidence' is {_short(value)}, not a level of GraphSense's scale; {hint}use one "
        f"of {levels} (counted as {fallback})",
    )
    return FALLBACK_CONFIDENCE


def _text_or_none(value, upper: bool = False) -> str | None:
    if _blank(value):
        return None
    return str(value).upper() if upper else str(value)


def _iso_date(value, where: str, found: _Problems) -> str | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        found.add(
            where,
            f"field 'lastmod' is {_short(value)}, not a date; write it as 2024-05-31 (ignored)",
        )
        return None


# currencies and networks whose addresses chaintrace.parse_address understands, and the chains
# they live on; a tag's network, when given, says which chain its currency is on
_CURRENCY_CHAINS = {
    "BTC": {"bitcoin"},
    "ETH": {"ethereum"},
    "TRX": {"tron"},
    "USDT": {"ethereum", "tron"},
    "USDC": {"ethereum", "tron"},
}


def _address_parser():
    """chaintrace.parse_address if that module is installed, else None (no format check)."""
    try:
        from chaintrace.address import AddressError, parse_address
    except ImportError:
        return None
    return parse_address, AddressError


def _check_address(values: dict, where: str, found: _Problems) -> None:
    parser = _address_parser()
    network = str(values.get("network") or values["currency"]).upper()
    if parser is None or network not in _CURRENCY_CHAINS:
        return
    parse_address, address_error = parser
    try:
        parsed = parse_address(values["address"].strip())
    except address_error as exc:
        found.add(where, f"field 'address' is malformed: {exc} (skipped the tag)")
        return
    chain = getattr(parsed, "chain", None)
    if chain is not None and chain not in _CURRENCY_CHAINS[network]:
        said = f"network is {network}" if values.get("network") else f"currency is {network}"
        found.add(
            where,
            f"the address is {_a(chain)} address but the tag's {said}; set 'currency' (and "
            "'network') on the tag to the address's chain (skipped the tag)",
        )


# writing ------------------------------------------------------------------------------------
def tags_to_yaml(tags: Iterable[Tag], header: dict | None = None) -> str:
    """TagPack YAML for ``tags``: ``title``/``creator`` from ``header`` (or the tags' own),
    every field all tags share moved into the header, the rest written per tag.

    >>> t = Tag("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "Genesis", None, "unknown", 5, "s", "BTC")
    >>> print(tags_to_yaml([t], {"title": "demo", "creator": "me"}).strip())
    title: demo
    creator: me
    source: s
    currency: BTC
    confidence: unknown
    tags:
    - address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2
      label: Genesis
    """
    tags = list(tags)
    header = {k: v for k, v in (header or {}).items() if k in HEADER_ONLY}
    for key, attr in (("title", "tagpack_title"), ("creator", "tagpack_creator")):
        if key not in header:
            header[key] = next((getattr(t, attr) for t in tags if getattr(t, attr)), None)
        if _blank(header[key]):
            raise TagPackError(
                f"cannot write a TagPack without {key!r}: pass header={{'{key}': ...}}"
            )
    rows = [_tag_fields(t) for t in tags]
    shared = {}
    for key in FACTORABLE:
        values = {repr(r.get(key)) for r in rows}
        if rows and len(values) == 1 and rows[0].get(key) is not None:
            if key != "label" or len(rows) > 1:
                shared[key] = rows[0][key]
    body = [{k: v for k, v in r.items() if k not in shared} for r in rows]
    document = {**_ordered(header), **shared, "tags": body}
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _ordered(header: dict) -> dict:
    return {k: header[k] for k in HEADER_ONLY if k in header and header[k] is not None}


def _tag_fields(tag: Tag) -> dict:
    row = {
        "address": tag.address,
        "label": tag.label,
        "source": tag.source,
        "currency": tag.currency,
        "network": tag.network,
        "confidence": tag.confidence,
        "category": tag.category,
        "abuse": tag.abuse,
        "actor": tag.actor,
        "lastmod": _dt.date.fromisoformat(tag.lastmod) if tag.lastmod else None,
        "is_cluster_definer": tag.is_cluster_definer or None,
        "context": tag.context,
    }
    return {k: v for k, v in row.items() if v is not None}


def write_tagpack(path, tags: Iterable[Tag], header: dict | None = None) -> Path:
    """Write ``tags`` as a TagPack YAML file (see :func:`tags_to_yaml`); returns the path.

    >>> import tempfile, pathlib
    >>> t = Tag("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "Genesis", None, "unknown", 5, "s", "BTC")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "mine.yaml"
    >>> _ = write_tagpack(out, [t], {"title": "demo", "creator": "me"})
    >>> load_tagpack(out).tags == [t.__class__(**{**t.as_dict(), "tagpack_title": "demo",
    ...                                          "tagpack_creator": "me"})]
    True
    """
    path = Path(path)
    path.write_text(tags_to_yaml(tags, header), encoding="utf-8")
    return path
