"""Wallet software: how a wallet picks coins, makes change and leaves its fingerprint.

Each individual runs one profile for life. Profiles differ the way real wallets do (Bitcoin
Core, Electrum, hardware wallets' apps, mobile wallets, old web wallets...): address type, fresh or reused change, change
type matching the inputs or not, output order, version, locktime (anti fee-sniping) and RBF
signalling. Those differences are what change heuristics feed on, and why each heuristic is
right often but not always.

>>> sorted(PROFILES)[:3]
['core', 'electrum', 'hardware']
>>> PROFILES["electrum"].ordering
'bip69'
"""

from dataclasses import dataclass

from .addresses import INPUT_VBYTES, OUTPUT_VBYTES, TRUE_TYPES

DUST = 1_000  # change below this is left to the miner rather than create an unspendable coin


@dataclass(frozen=True)
class Profile:
    """One wallet software's habits."""

    name: str
    weight: float  # share of individuals using it
    receive_type: str  # true script type of receive addresses
    change_type: str  # true script type of change addresses
    change_reuse: float  # probability change goes back to an input address
    receive_reuse: float  # probability a payer is given an already used receive address
    ordering: str  # random | bip69 | change_last | change_first
    version: int
    anti_fee_sniping: bool  # locktime = current height
    rbf: bool  # sequence 0xfffffffd instead of 0xffffffff
    selection: str  # largest | oldest | random
    round_share: float  # share of payments the user rounds in BTC


PROFILES = {
    p.name: p
    for p in (
        Profile(
            "core", 0.17, "p2wpkh", "p2wpkh", 0.0, 0.6, "random", 2, True, True, "random", 0.45
        ),
        # a hardware wallet's desktop app (Trezor Suite-like): BIP-69 order, no anti fee-sniping
        Profile(
            "hardware", 0.18, "p2wpkh", "p2wpkh", 0.0, 0.5, "bip69", 2, False, True, "random", 0.5
        ),
        Profile(
            "electrum", 0.13, "p2wpkh", "p2wpkh", 0.0, 0.5, "bip69", 2, True, True, "oldest", 0.5
        ),
        Profile(
            "mobile",
            0.17,
            "p2wpkh",
            "p2wpkh",
            0.02,
            0.6,
            "change_last",
            2,
            False,
            False,
            "largest",
            0.5,
        ),
        Profile(
            "wrapped",
            0.10,
            "p2sh-p2wpkh",
            "p2wpkh",
            0.05,
            0.45,
            "random",
            1,
            False,
            False,
            "largest",
            0.5,
        ),
        Profile(
            "legacy",
            0.13,
            "p2pkh",
            "p2pkh",
            0.3,
            0.7,
            "change_first",
            1,
            False,
            False,
            "oldest",
            0.55,
        ),
        Profile(
            "taproot", 0.05, "p2tr", "p2tr", 0.0, 0.35, "random", 2, False, True, "random", 0.4
        ),
        # privacy wallets: only the privacy users population runs them (weight 0)
        Profile(
            "wasabi", 0.0, "p2wpkh", "p2wpkh", 0.0, 0.0, "random", 1, False, False, "random", 0.0
        ),
        Profile(
            "samourai", 0.0, "p2wpkh", "p2wpkh", 0.0, 0.0, "bip69", 1, False, True, "random", 0.0
        ),
        Profile(
            "joinmarket", 0.0, "p2wpkh", "p2wpkh", 0.0, 0.0, "random", 2, True, False, "random", 0.0
        ),
        Profile(
            "webwallet",
            0.09,
            "p2wpkh",
            "p2wpkh",
            0.25,
            0.8,
            "random",
            2,
            False,
            False,
            "largest",
            0.5,
        ),
    )
}

SEQ_FINAL, SEQ_RBF = 0xFFFFFFFF, 0xFFFFFFFD


def estimate_vsize(input_types, output_addr_types) -> int:
    """Estimated vbytes of a transaction from the true types it spends and visible types it pays.

    >>> estimate_vsize(["p2wpkh"], ["p2wpkh", "p2wpkh"])
    141
    """
    vin = sum(INPUT_VBYTES[t] for t in input_types)
    vout = sum(OUTPUT_VBYTES.get(t, 11) for t in output_addr_types)
    segwit = any(t not in ("p2pkh", "p2sh-multisig") for t in input_types)
    return int(vin + vout + (10.5 if segwit else 10) + 0.5)


def select_coins(rng, values: dict[int, int], target_fn, selection: str, max_inputs: int = 60):
    """Pick output ids from ``values`` (id -> sats) until ``target_fn(n_inputs)`` is covered.

    Returns ``(ids, total)`` or ``None`` when the pocket cannot pay.

    >>> import random
    >>> select_coins(random.Random(0), {1: 500, 2: 700}, lambda n: 600, "largest")
    ([2], 700)
    """
    ids = list(values)
    if selection == "largest":
        ids.sort(key=values.__getitem__, reverse=True)
    elif selection == "random":
        rng.shuffle(ids)
    chosen, total = [], 0
    for out in ids[:max_inputs]:
        chosen.append(out)
        total += values[out]
        if total >= target_fn(len(chosen)):
            return chosen, total
    return None


def order_outputs(rng, outputs: list[tuple[int, int]], change_index: int, ordering: str, book):
    """Put outputs in the wallet's order; return ``(outputs, new index of the change)``.

    >>> import random
    >>> order_outputs(random.Random(0), [(1, 5), (2, 9)], 1, "change_first", None)
    ([(2, 9), (1, 5)], 0)
    """
    if change_index < 0:
        return outputs, -1
    change = outputs[change_index]
    if ordering == "bip69":

        def spk(o):
            return o[0] if isinstance(o[0], bytes) else book.script_pubkey[o[0]]

        ordered = sorted(outputs, key=lambda o: (o[1], spk(o)))
    elif ordering == "change_last":
        ordered = [o for o in outputs if o is not change] + [change]
    elif ordering == "change_first":
        ordered = [change] + [o for o in outputs if o is not change]
    else:
        ordered = list(outputs)
        rng.shuffle(ordered)
    return ordered, next(i for i, o in enumerate(ordered) if o is change)


def visible(true_type: str) -> str:
    """The on-chain type of a true type (``p2sh-p2wpkh`` -> ``p2sh``)."""
    return TRUE_TYPES[true_type][0]
