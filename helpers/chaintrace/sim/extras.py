"""What an investigator holds besides the chain: prices, tags, an account ledger (sanctions
lists: :mod:`chaintrace.sim.lists`).

>>> prices_csv(["2024-02-29"], [61500.0])
b'date,usd\\n2024-02-29,61500.00\\n'
"""

import random

import yaml

from ..encoding import keccak256
from .calendar import START_TIME, date_text

# the sanctions lists are written by .lists; the case scripts check against this name
from .lists import listed_bitcoin_addresses  # noqa: F401


def prices_csv(dates: list[str], prices: list[float]) -> bytes:
    """The daily close series as CSV bytes."""
    rows = ["date,usd"] + [f"{d},{p:.2f}" for d, p in zip(dates, prices, strict=True)]
    return ("\n".join(rows) + "\n").encode()


def eip55(body_hex: str) -> str:
    """EIP-55 mixed-case form of 40 hex digits.

    >>> eip55("fb6916095ca1df60bb79ce92ce3ea74c37c5d359")
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359'
    """
    body = body_hex.lower()
    digest = keccak256(body.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest[:40], strict=True)
    )


# ---------------------------------------------------------------------------- tags
UNNAMED = "unnamed"  # eco.notes key: addresses no tag source has seen (a case's fresh address)


def unnamed(eco) -> set[int]:
    """The address ids no tag may name (a case adds its fresh addresses; the tagger skips them).

    >>> class Eco: notes = {}
    >>> unnamed(Eco).add(7); sorted(unnamed(Eco))
    [7]
    """
    return eco.notes.setdefault(UNNAMED, set())


def tagpack(eco, chain, rng: random.Random) -> bytes:
    """A partial, imperfect TagPack: most services partly tagged, a few wrong low-confidence tags."""
    return tagpack_yaml(eco, tag_list(eco, rng))


def tag_list(eco, rng: random.Random) -> list[dict]:
    """The tags of :func:`tagpack`, as dicts (``address``, ``label``, ``category``, ...)."""
    book = eco.book
    tags = []
    skip = unnamed(eco)

    def tag(addr, label, category, confidence, source):
        tags.append(
            {
                "address": book.address[addr],
                "label": label,
                "category": category,
                "confidence": confidence,
                "source": source,
            }
        )

    by_entity: dict[int, list[int]] = {}
    for a, e in enumerate(book.entity):
        by_entity.setdefault(e, []).append(a)
    for ent in eco.entities:
        addrs = by_entity.get(ent.id, [])
        if (
            ent.kind
            in (
                "individual",
                "company",
                "merchant",
                "miner",
                "ransomware_affiliate",
                "darknet_vendor",
                "thief",
            )
            or not addrs
        ):
            continue
        cat = {
            "mining_pool": "miner",
            "nested_exchange": "exchange",
            "otc_desk": "exchange",
            "coinjoin_coordinator": "coinjoin",
            "payment_processor": "payment_processor",
            "ransomware": "ransomware",
            "darknet_market": "market",
            "mixer": "mixing_service",  # GraphSense's taxonomy id for custodial mixers
        }.get(ent.kind, ent.kind)
        share = {
            "exchange": 0.25,
            "gambling": 0.3,
            "mining_pool": 1.0,
            "scam": 0.8,
            "ransomware": 0.5,
            "darknet_market": 0.3,
        }.get(ent.kind, 0.2)
        for a in addrs:
            role = book.role[a]
            if role in ("hot", "cold", "coinbase") and rng.random() < max(share, 0.6):
                tag(
                    a,
                    ent.name,
                    cat,
                    "service_data" if role != "coinbase" else "ownership",
                    f"https://tags.example.org/{cat}/{ent.name.lower().replace(' ', '-')}",
                )
            elif rng.random() < share * 0.3:
                conf = rng.choice(["web_crawl", "authority_data", "forensic"])
                tag(a, ent.name, cat, conf, "https://forum.example.net/threads/" + str(a))
    # wrong and conflicting tags: real sources mislabel, usually at low confidence
    people = [a for a in range(len(book)) if eco.entities[book.entity[a]].kind == "individual"]
    for a in rng.sample(people, min(25, len(people))):
        tag(
            a,
            rng.choice(["Northmint", "LuckyOrbit Casino", "Fogbank"]),
            "exchange",
            "unknown",
            "https://pastebin.example.com/" + str(a),
        )
    tagged = [t for t in tags if t["confidence"] == "service_data"]
    for t in rng.sample(tagged, min(10, len(tagged))):
        tags.append(
            {
                **t,
                "label": rng.choice(["Kupolex", "Baltica Exchange", "Cedar Pool"]),
                "confidence": "web_crawl",
                "source": "https://blog.example.com/leak",
            }
        )
    for ent in eco.entities:  # wallets a service publishes itself (no draw: nothing else moves)
        for a in ent.data.get("published", ()):
            slug = ent.name.lower().replace(" ", "-")
            tag(a, ent.name, "exchange", "service_data", f"https://{slug}.example/wallets")
    # addresses no source has seen lose their tags only now: every draw above was made as if
    # they had none to lose, so no other tag moves
    hidden = {book.address[a] for a in skip}
    tags = [t for t in tags if t["address"] not in hidden]
    tags.sort(key=lambda t: (t["address"], t["label"], t["source"]))
    return tags


def tagpack_yaml(eco, tags: list[dict]) -> bytes:
    """The TagPack file of ``tags`` (:func:`tag_list`)."""
    header = {
        "title": "Training attribution tags (chaintrace course dataset)",
        "creator": "chaintrace course team",
        "description": "Partial and imperfect by design: check confidence and sources.",
        "lastmod": date_text(eco.times[-1]),
        "currency": "BTC",
        "is_public": True,
        "tags": tags,
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: ~10x faster
    return yaml.dump(
        header, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1000
    ).encode()


# ---------------------------------------------------------------------------- account model
ETH_START_BLOCK = 19_330_000  # about 2024-02-29 on Ethereum mainnet; 12-second slots


def account_ledger(eco, rng: random.Random):
    """ETH and USDT-like transfers between EIP-55 addresses; returns (columns, actors, case)."""

    def addr():
        return eip55(keccak256(rng.randbytes(64))[-20:].hex())

    users = [addr() for _ in range(120)]
    actors = {
        "Northmint": [addr(), addr()],
        "Kupolex": [addr(), addr()],
        "Quantum Yield Club": [addr()],
        "Ferrum Trade": [addr()],
    }
    span = eco.times[-1] - START_TIME
    rows = []
    for _ in range(900):
        t = START_TIME + rng.randrange(span)
        asset = "USDT" if rng.random() < 0.6 else "ETH"
        frm, to = rng.sample(users + actors["Northmint"] + actors["Kupolex"], 2)
        rows.append(_transfer(rng, t, frm, to, asset))
    # account-01: a victim sends USDT to the scam, which forwards it to Kupolex
    victim, scam = users[7], actors["Quantum Yield Club"][0]
    t0 = START_TIME + span // 3
    pay = _transfer(rng, t0, victim, scam, "USDT", usdt=48_500)
    fwd = _transfer(rng, t0 + 3_600 * 5, scam, actors["Kupolex"][0], "USDT", usdt=48_500 - 15)
    rows += [pay, fwd]
    rows.sort(key=lambda r: (r["block"], r["tx_hash"]))
    case = {
        "victim": victim,
        "scam": scam,
        "pay": pay,
        "forward": fwd,
        "exchange_address": actors["Kupolex"][0],
    }
    return rows, actors, case


def _transfer(rng, t, frm, to, asset, usdt=None) -> dict:
    if asset == "ETH":
        value, decimals, gas = int(rng.lognormvariate(-1.0, 1.5) * 10**18), 18, 21_000
    else:
        amount = usdt if usdt is not None else round(rng.lognormvariate(6.5, 1.6), 2)
        value, decimals, gas = int(round(amount * 10**6)), 6, rng.randrange(46_000, 65_000)
    gas_price = int(rng.lognormvariate(3.2, 0.5) * 10**9)
    return {
        "tx_hash": "0x" + keccak256(rng.randbytes(32)).hex(),
        "block": ETH_START_BLOCK + (t - START_TIME) // 12,
        "time": t,
        "from": frm,
        "to": to,
        "asset": asset,
        "value": str(value),
        "decimals": decimals,
        "fee_wei": str(gas * gas_price),
    }
