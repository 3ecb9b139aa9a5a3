"""A synthetic open-source (OSINT) corpus for the sanctions cases: what investigators find about
addresses off the chain, true claims and planted traps among them.

Investigators corroborate on-chain attribution with what people publish: a service's own wallet
page, a payment address posted in a channel, an address a careless agent left next to its handle.
Each case ``sanctions-0x`` gets ``osint/<case id>.jsonl``, one **claim** a line: a source (kind,
site, URL, author, publication date, how it was captured: an archived copy with its SHA-256, or a
screenshot), the address it gives, and the name it puts on it. Every handle, channel and site is
invented (``.example`` domains, RFC 2606); no real person is named.

What the chain says about each claim is read from the finished ledger and the tags, and written to
the case's ground truth (``truth["osint"]``: the verdict a careful investigator reaches, and the
confidence of the tag it deserves):

- ``corroborated``: the address is on the chain, was in use when the source spoke of it, and its
  cluster carries the claimed name or none (a service's published wallet; the opsec slip of the
  payment agent naming the address that paid it);
- ``stale``: the address did belong to the claimed party, but its last transaction is older than the
  source that calls it current (a wallet page never updated);
- ``contradicted``: the chain's tags put another name on the address's cluster (a forum post that
  calls an exchange's hot wallet Kupolex's);
- ``lookalike``: the address never appears on the chain, but begins and ends like one of the
  claimed party's real addresses (an address-poisoning or copying trap);
- ``unsupported``: the address never received anything (a payment address only advertised).

The lesson's case (``-01``) holds corroborated claims, a look-alike and an unsupported one; the
assignment's twin (``-02``) also a stale and a contradicted claim, in numbers and an order drawn per
variant. Everything is drawn from the case's own stream (``<seed>/<case id>[/retry-k]``), so no
other case's files move.

>>> similar = lookalike("bc1q7kck2gj2tzmerhm278vrq0npehzthpkrf2zulq", random.Random(1))
>>> similar[:10], similar[-3:], similar != "bc1q7kck2gj2tzmerhm278vrq0npehzthpkrf2zulq"
('bc1q7kck2g', 'ulq', True)
"""

import hashlib
import json
import random
from datetime import date, timedelta

import numpy as np

from ..encoding import bech32_decode_segwit
from .calendar import START_HEIGHT, date_text
from .cases import variant
from .extras import tag_list, unnamed
from .fastenc import bech32_many
from .invariants import cluster_members

# the tag levels the course's TagPack uses, with GraphSense's scores (chaintrace.tags holds the
# whole scale; the generator may not import the toolkit's analytics, so it keeps the few it needs)
SCORES = {"ownership": 100, "authority_data": 60, "service_data": 50, "forensic": 50}
SCORES |= {"web_crawl": 20, "unknown": 5}

VERDICTS = ("corroborated", "stale", "contradicted", "lookalike", "unsupported")
HEAD, TAIL = 10, 3  # a look-alike shares this many leading and trailing characters


def confidence_for(kind: str, capture: str) -> str:
    """The GraphSense level an investigator's tag from such a source deserves (the course's rule).

    A service's own page, kept as an archived copy whose hash checks: ``service_data`` (a file from
    a known service); a post kept the same way: ``web_crawl`` (found on the web); a screenshot
    only: ``unknown`` (nobody can show what the page said). The chain's agreement does not raise
    the level: it is noted in the tag's context.

    >>> confidence_for("published_wallets", "archive"), confidence_for("channel_post", "archive")
    ('service_data', 'web_crawl')
    >>> confidence_for("published_wallets", "screenshot")
    'unknown'
    """
    if capture != "archive":
        return "unknown"
    return "service_data" if kind == "published_wallets" else "web_crawl"


def lookalike(address: str, rng: random.Random) -> str:
    """A P2WPKH address with the same first :data:`HEAD` and last :data:`TAIL` characters.

    The leading characters are set through the program's first bytes; the trailing ones are
    checksum characters, so random programs are tried (in batches) until they match.
    """
    _, witver, program = bech32_decode_segwit(address)
    if witver != 0 or len(program) != 20:
        raise ValueError(f"a look-alike is made for a P2WPKH address, not {address}")
    head = np.frombuffer(program[:4], np.uint8)  # 32 bits: the first 6 characters after bc1q
    while True:
        batch = np.frombuffer(rng.randbytes(16 * 4096), np.uint8).reshape(4096, 16)
        programs = np.concatenate([np.tile(head, (4096, 1)), batch], axis=1)
        for text in bech32_many(0, programs):
            if (
                text[:HEAD] == address[:HEAD]
                and text[-TAIL:] == address[-TAIL:]
                and text != address
            ):
                return text


# ---------------------------------------------------------------------------- what the chain says
def _activity(eco) -> tuple[list[int], list[int]]:
    """Each address id's first and last block height with a transaction (-1: never), once."""
    store = eco.notes.setdefault("osint", {})
    if "activity" not in store:
        led = eco.ledger
        first, last = [-1] * len(eco.book), [-1] * len(eco.book)
        for o, a in enumerate(led.o_addr):
            if a < 0:
                continue
            heights = [led.t_height[led.o_tx[o]]]
            if led.o_spent[o] >= 0:
                heights.append(led.t_height[led.o_spent[o]])
            lo, hi = min(heights), max(heights)
            first[a] = lo if first[a] < 0 else min(first[a], lo)
            last[a] = max(last[a], hi)
        store["activity"] = (first, last)
    return store["activity"]


def _labels(eco, tags: list[dict]) -> dict[int, str]:
    """The label the toolkit's ``attribute_cluster`` gives each tagged common-input cluster
    (strongest confidence first, then the members' summed best confidence, then the spelling),
    keyed by any member's address id: ``{address id: label}`` for every tagged cluster's members."""
    store = eco.notes.setdefault("osint", {})
    if "labels" not in store:
        ids = {a: i for i, a in enumerate(eco.book.address)}
        by_cluster: dict[frozenset, dict[str, dict]] = {}
        for t in tags:
            i = ids.get(t["address"])
            if i is None:
                continue
            members = frozenset(cluster_members(eco, i))
            key = " ".join(t["label"].casefold().split())
            group = by_cluster.setdefault(members, {}).setdefault(
                key, {"label": t["label"], "score": 0, "best": {}}
            )
            score = SCORES.get(t["confidence"], 5)
            if score > group["score"]:
                group["label"], group["score"] = t["label"], score
            group["best"][i] = max(group["best"].get(i, 0), score)
        labels = {}
        for members, groups in by_cluster.items():
            best = min(
                groups.items(),
                key=lambda kv: (-kv[1]["score"], -sum(kv[1]["best"].values()), kv[0]),
            )[1]["label"]
            labels.update(dict.fromkeys(members, best))
        store["labels"] = labels
    return store["labels"]


def _day(eco, height: int) -> date:
    return date.fromisoformat(date_text(eco.times[height - START_HEIGHT]))


def verdict(eco, tags, address: str | int, label: str, published: date) -> str:
    """What the chain says of the claim "``address`` is ``label``'s, as of ``published``"."""
    if isinstance(address, str):
        ids = {a: i for i, a in enumerate(eco.book.address)}
        if address not in ids or _activity(eco)[0][ids[address]] < 0:
            return "lookalike" if _resembles(eco, address) else "unsupported"
        address = ids[address]
    first, last = _activity(eco)
    if first[address] < 0:
        return "unsupported"
    named = _labels(eco, tags).get(address)
    if named is not None and named.casefold() != label.casefold():
        return "contradicted"
    if _day(eco, last[address]) < published:
        return "stale"
    return "corroborated"


def _resembles(eco, address: str) -> bool:
    first = _activity(eco)[0]
    return any(
        a[:HEAD] == address[:HEAD] and a[-TAIL:] == address[-TAIL:]
        for i, a in enumerate(eco.book.address)
        if first[i] >= 0 and a != address
    )


# ---------------------------------------------------------------------------- the corpus
SITES = {
    "forum": ("forum.kriptoboard.example", "https://forum.kriptoboard.example/t/{n}"),
    "forum2": ("coinchat.example", "https://coinchat.example/threads/{n}"),
    "channel": ("tg.example", "https://tg.example/s/{channel}/{n}"),
    "paste": ("paste.example", "https://paste.example/{n}"),
}
FORUM_HANDLES = ("vasya_otc", "BirchLedger", "cryptoNomad77", "shustry_obmen", "GreyOtter")
CHANNELS = ("obmen_bez_kyc", "kripta_novosti", "p2p_rynok")
AGENT_CHANNEL, AGENT_HANDLE = "ferrum_pay", "@ferrum_agent"


def corpus(eco, case: str, tags: list[dict], seed: int) -> tuple[list[dict], dict]:
    """The claims of one sanctions case's corpus (JSON-ready dicts, addresses as text) and its
    ground truth ``{claim id: {"verdict", "owner", "confidence"}}``, from the case's own stream."""
    run = eco.case_runs[case]
    key = f"{seed}/{case}" + (f"/retry-{run.attempt}" if run.attempt else "")
    rng = random.Random(f"chaintrace-osint-{key}")
    book, twin = eco.book, variant(case) > 1
    truth = eco.cases[case]["truth"]
    payer, deposit = truth["paying_address"].idx, truth["deposit_txid"].idx
    first, last = _activity(eco)
    labels = _labels(eco, tags)
    days = [_day(eco, START_HEIGHT), _day(eco, START_HEIGHT + len(eco.times) - 1)]
    span = (days[1] - days[0]).days
    captured = days[1] + timedelta(days=rng.randrange(1, 4))
    settled = _day(eco, eco.ledger.t_height[deposit])

    def owned(name, roles, p2wpkh=False):
        ent = eco.by_name[name]
        skip = unnamed(eco) | {payer}
        return [
            a
            for a in range(len(book))
            if book.entity[a] == ent.id
            and book.role[a] in roles
            and a not in skip
            and first[a] >= 0
            and labels.get(a) == name
            and (not p2wpkh or (book.address[a].startswith("bc1q") and len(book.address[a]) == 42))
        ]

    claims: list[dict] = []

    def claim(kind, site, url, author, published, capture, address, label, category, role, text):
        claims.append(
            {
                "kind": kind,
                "site": site,
                "url": url,
                "author": author,
                "published": published.isoformat(),
                "captured": captured.isoformat(),
                "capture": capture,
                "address": address,
                "label": label,
                "category": category,
                "role": role,
                "text": text,
            }
        )

    # Kupolex's own wallet page, archived: current wallets (and, on the twin, one long idle)
    page_day = days[0] + timedelta(days=int(span * rng.uniform(0.55, 0.8)))
    current = [a for a in owned("Kupolex", ("hot", "cold")) if _day(eco, first[a]) <= page_day]
    current = [a for a in current if _day(eco, last[a]) >= page_day]
    want = 2 if not twin else rng.randrange(1, 3)
    _need(len(current) >= want, case, "Kupolex has too few wallets in use on its page's date")
    listed = rng.sample(current, want)
    if twin:
        idle = [
            a
            for a in owned("Kupolex", ("deposit", "hot", "cold"))
            if (page_day - _day(eco, last[a])).days >= 3
        ]
        _need(idle, case, "Kupolex has no wallet idle before its page's date")
        listed.append(rng.choice(idle))
        rng.shuffle(listed)
    page = "kupolex.example"
    for a in listed:
        claim(
            "published_wallets",
            page,
            f"https://{page}/reserves",
            "Kupolex",
            page_day,
            "archive",
            book.address[a],
            "Kupolex",
            "exchange",
            "reserve wallet",
            "Kupolex: our wallets (proof of reserves). Deposits are credited after 2 confirmations.",
        )
    # the payment agent's channel names the address that paid it (an operational-security slip)
    capture = "archive" if not twin else rng.choice(("archive", "screenshot"))
    claim(
        "channel_post",
        "tg.example",
        f"https://tg.example/s/{AGENT_CHANNEL}/{rng.randrange(200, 900)}",
        AGENT_HANDLE,
        settled,
        capture,
        book.address[payer],
        "Kupolex",
        "exchange",
        "payout wallet",
        "Settlement from Kupolex received, partners are credited. Their payout wallet for reconciliation:",
    )
    # a look-alike of a real Kupolex wallet, posted as a place to pay Kupolex's OTC desk
    for _ in range(1 if not twin else rng.randrange(1, 3)):
        targets = owned("Kupolex", ("hot", "cold"), p2wpkh=True)
        _need(targets, case, "Kupolex has no named P2WPKH wallet to imitate")
        target = book.address[rng.choice(targets)]
        site, url = SITES[rng.choice(("forum", "forum2"))]
        claim(
            "forum_post",
            site,
            url.format(n=rng.randrange(1000, 99999)),
            rng.choice(FORUM_HANDLES),
            days[0] + timedelta(days=rng.randrange(span)),
            rng.choice(("archive", "screenshot")),
            lookalike(target, rng),
            "Kupolex",
            "exchange",
            "OTC desk deposit",
            "Kupolex OTC, no KYC up to 5 BTC, pay to the desk wallet:",
        )
    # advertised payment addresses that never received anything
    for _ in range(1 if not twin else rng.randrange(1, 3)):
        fresh = bech32_many(0, np.frombuffer(rng.randbytes(20), np.uint8).reshape(1, 20))[0]
        claim(
            "leaked_ad",
            "paste.example",
            f"https://paste.example/{rng.randrange(10**6, 10**7)}",
            "anonymous",
            days[0] + timedelta(days=rng.randrange(span)),
            "archive",
            fresh,
            "Ferrum Trade",
            "exchange",
            "payment address",
            "Ferrum Trade, payment agent: RUB/USDT/BTC settlement for importers. Pay BTC to:",
        )
    if twin:  # a post naming another exchange's hot wallet as Kupolex's
        for _ in range(rng.randrange(1, 3)):
            other = rng.choice(("Northmint", "Bystrobit"))
            wallets = owned(other, ("hot",))
            _need(wallets, case, f"{other} has no hot wallet its tags name")
            a = rng.choice(wallets)
            channel = rng.choice(CHANNELS)
            claim(
                "channel_post",
                "tg.example",
                f"https://tg.example/s/{channel}/{rng.randrange(100, 5000)}",
                f"@{channel}",
                _day(eco, first[a]) + timedelta(days=rng.randrange(0, 3)),
                rng.choice(("archive", "screenshot")),
                book.address[a],
                "Kupolex",
                "exchange",
                "hot wallet",
                "Kupolex hot wallet, watch it: the sanctioned exchange still pays out from here.",
            )
    rng.shuffle(claims)
    items, answers = [], {}
    prefix = "S1" if not twin else "S2"
    for k, c in enumerate(claims, 1):
        cid = f"{prefix}-{k:02d}"
        text = f"{c.pop('text')} {c['address']}"
        archived = c["capture"] == "archive"
        body = f"{c['site']} | {c['author']} | {c['published']}\n{text}\n"
        item = {"id": cid, "case_id": case, **c, "content": body}
        item["archive_url"] = (
            f"https://archive.example/{hashlib.sha256(body.encode()).hexdigest()[:12]}"
            if archived
            else None
        )
        item["sha256"] = hashlib.sha256(body.encode()).hexdigest() if archived else None
        items.append(dict(sorted(item.items())))
        v = verdict(eco, tags, c["address"], c["label"], date.fromisoformat(c["published"]))
        owner = None
        if c["address"] in eco.notes.setdefault("osint", {}).setdefault(
            "ids", {a: i for i, a in enumerate(book.address)}
        ):
            owner = eco.entities[book.entity[eco.notes["osint"]["ids"][c["address"]]]].name
        answers[cid] = {
            "verdict": v,
            "owner": owner,
            "confidence": confidence_for(c["kind"], c["capture"]) if v == "corroborated" else None,
        }
    _check(case, twin, items, answers, book.address[payer])
    return items, answers


def _need(ok, case: str, what: str) -> None:
    from .invariants import require

    require(bool(ok), case, f"its OSINT corpus cannot be drawn: {what}")


def failures(eco, seed: int) -> dict[str, str]:
    """Draw every sanctions case's corpus (kept in ``eco.notes``); case id -> what broke.

    Called by :func:`chaintrace.sim.build.simulate` once the case invariants hold, with the tags
    the dataset will carry, so a case whose corpus cannot be drawn is rerun on its next stream.
    """
    from .invariants import CaseError

    store = eco.notes.setdefault("osint", {})
    store["corpora"], broken = {}, {}
    cases = sorted(c for c in eco.cases if c.startswith("sanctions-"))
    if not cases:
        return broken
    tags = tag_list(eco, random.Random(f"chaintrace-extras-{seed}"))  # build() draws the same
    for case in cases:
        try:
            store["corpora"][case] = corpus(eco, case, tags, seed)
        except CaseError as exc:
            broken[case] = str(exc)
    return broken


def _check(case, twin, items, answers, payer) -> None:
    """The corpus teaches what it should: every trap it must hold is there, the payer is named."""
    from .invariants import require

    seen = {a["verdict"] for a in answers.values()}
    need = set(VERDICTS) if twin else {"corroborated", "lookalike", "unsupported"}
    require(need <= seen, case, f"its OSINT corpus lacks {sorted(need - seen)}")
    slip = [i for i in items if i["address"] == payer]
    require(
        len(slip) == 1 and answers[slip[0]["id"]]["verdict"] == "corroborated",
        case,
        "its OSINT corpus does not name the paying address in one corroborated claim",
    )


def jsonl(items: list[dict]) -> bytes:
    """One JSON object a line, keys sorted, UTF-8."""
    return "".join(json.dumps(i, ensure_ascii=False, sort_keys=True) + "\n" for i in items).encode()
