"""Who lives in the simulated economy: fictional entities and their kinds.

Names are invented (any likeness to a real service is chance); typologies follow public cases.
The population scales with the number of transactions asked for, so a scale dataset has more
people and the same services.

>>> import random
>>> ents = population(random.Random(0), 2_000)
>>> kinds = {e.kind for e in ents}
>>> {"exchange", "mixer", "ransomware", "miner", "individual"} <= kinds
True
"""

from dataclasses import dataclass, field

from .wallets import PROFILES, Profile


@dataclass
class Entity:
    """One actor: its id (index), fictional name, kind, wallet habits and working data."""

    id: int
    name: str
    kind: str
    profile: Profile
    data: dict = field(default_factory=dict)


def _service_profile(name, rtype, ctype, reuse, ordering, version, locktime, rbf, sel):
    return Profile(name, 0.0, rtype, ctype, reuse, 1.0, ordering, version, locktime, rbf, sel, 0.0)


# (name, kind, receive type, change type, change to an input address, ordering, version, anti
# fee-sniping, rbf, coin selection, extra data)
# fmt: off
SERVICES = [
    ("Northmint", "exchange", "p2wpkh", "p2wpkh", 1.0, "change_last", 2, False, False, "largest", {"kyc": True, "batch": True, "hot": 12}),
    ("Baltica Exchange", "exchange", "p2sh-p2wpkh", "p2sh-p2wpkh", 0.0, "random", 1, False, False, "largest", {"kyc": True, "batch": True, "hot": 8}),
    ("Kestrel Markets", "exchange", "p2wpkh", "p2wpkh", 0.0, "bip69", 2, True, True, "oldest", {"kyc": True, "batch": True, "hot": 15}),
    ("Harbourline", "exchange", "p2pkh", "p2pkh", 1.0, "change_first", 1, False, False, "largest", {"kyc": True, "batch": False, "hot": 6}),
    ("Ostrava Coin", "exchange", "p2wpkh", "p2wpkh", 0.3, "random", 2, True, False, "largest", {"kyc": True, "batch": True, "hot": 10}),
    ("Kupolex", "exchange", "p2wpkh", "p2wpkh", 1.0, "change_last", 2, False, False, "largest", {"kyc": False, "batch": False, "hot": 5}),
    ("Bystrobit", "exchange", "p2sh-p2wpkh", "p2sh-p2wpkh", 1.0, "random", 1, False, False, "largest", {"kyc": False, "batch": False, "hot": 4}),
    ("Ferrum Trade", "nested_exchange", "p2wpkh", "p2wpkh", 0.0, "random", 2, False, False, "largest", {"host": "Northmint"}),
    ("Meridian OTC", "otc_desk", "p2wpkh", "p2wpkh", 1.0, "random", 2, False, False, "largest", {}),
    ("Fogbank", "mixer", "p2wpkh", "p2wpkh", 0.0, "random", 2, False, False, "random", {"fee": 0.025}),
    ("Zephyr Coordinator", "coinjoin_coordinator", "p2wpkh", "p2wpkh", 0.0, "random", 1, False, False, "random", {"style": "wasabi"}),
    ("Eddy Pool", "coinjoin_coordinator", "p2wpkh", "p2wpkh", 0.0, "random", 1, False, False, "random", {"style": "whirlpool"}),
    ("Gale Coordinator", "coinjoin_coordinator", "p2wpkh", "p2wpkh", 0.0, "random", 2, False, False, "random", {"style": "wabisabi"}),
    ("Loom Market", "coinjoin_coordinator", "p2wpkh", "p2wpkh", 0.0, "random", 2, False, False, "random", {"style": "joinmarket"}),
    ("Tundra Market", "darknet_market", "p2wpkh", "p2wpkh", 0.0, "random", 2, False, False, "largest", {"commission": 0.05}),
    ("NightCrane", "ransomware", "p2wpkh", "p2wpkh", 0.0, "random", 2, False, False, "largest", {}),
    ("Quantum Yield Club", "scam", "p2pkh", "p2pkh", 1.0, "random", 1, False, False, "largest", {}),
    ("LuckyOrbit Casino", "gambling", "p2sh-p2wpkh", "p2sh-p2wpkh", 1.0, "random", 2, False, False, "largest", {}),
    ("PayLantern", "payment_processor", "p2wpkh", "p2wpkh", 0.0, "change_last", 2, False, False, "oldest", {}),
    ("Ironhash Pool", "mining_pool", "p2wpkh", "p2wpkh", 1.0, "random", 1, False, False, "oldest", {"share": 0.35}),
    ("Cedar Pool", "mining_pool", "p2pkh", "p2pkh", 1.0, "random", 1, False, False, "oldest", {"share": 0.3}),
    ("Polar Mining", "mining_pool", "p2sh-p2wpkh", "p2sh-p2wpkh", 1.0, "random", 2, False, False, "oldest", {"share": 0.2}),
    ("Sakura Hash", "mining_pool", "p2wpkh", "p2wpkh", 1.0, "random", 2, False, False, "oldest", {"share": 0.15}),
    ("Lazurite Group", "thief", "p2wpkh", "p2wpkh", 0.0, "random", 2, True, True, "largest", {}),
]
# fmt: on


def _pick_profile(rng) -> Profile:
    r, acc = rng.random() * sum(p.weight for p in PROFILES.values()), 0.0
    for p in PROFILES.values():
        acc += p.weight
        if r <= acc:
            return p
    return p


def population(rng, n_transactions: int) -> list[Entity]:
    """Services first (fixed list), then miners, merchants, vendors, affiliates, individuals."""
    ents: list[Entity] = []
    for name, kind, rt, ct, reuse, order, ver, lt, rbf, sel, data in SERVICES:
        prof = _service_profile(f"service:{name}", rt, ct, reuse, order, ver, lt, rbf, sel)
        ents.append(Entity(len(ents), name, kind, prof, dict(data)))
    extra = [
        ("miner", max(8, n_transactions // 1_500)),
        ("merchant", max(10, n_transactions // 800)),
        ("darknet_vendor", max(6, n_transactions // 3_000)),
        ("ransomware_affiliate", 2),
        ("individual", max(300, n_transactions // 7)),
    ]
    for kind, count in extra:
        for i in range(count):
            ents.append(Entity(len(ents), f"{kind}-{i + 1:05d}", kind, _pick_profile(rng), {}))
            if kind == "individual" and rng.random() < 0.1:
                # a second wallet app on the same keys: mixed fingerprints, as on the real chain
                ents[-1].data["alt_profile"] = _pick_profile(rng)
    # privacy users: individuals whose wallet mixes (Wasabi-like, Samourai-like or
    # JoinMarket-like software)
    for wallet, least, per in (
        ("wasabi", 40, 400),
        ("samourai", 40, 400),
        ("joinmarket", 20, 1_000),
    ):
        for i in range(max(least, n_transactions // per)):
            name = f"individual-{wallet}-{i + 1:05d}"
            ents.append(
                Entity(len(ents), name, "individual", PROFILES[wallet], {"privacy": wallet})
            )
    return ents
