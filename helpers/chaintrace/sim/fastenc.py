"""Mainnet addresses and locking scripts for many payloads at once (the generator's hot path).

``chaintrace.encoding.make_address`` encodes one address in pure Python (~50 us for bech32);
a scale dataset makes over a million. Here bech32/bech32m checksums are computed for all
addresses of one length together with numpy (one vector step per character), and Base58Check
with Python's big integers in 10-digit chunks. The output is the same text, byte for byte
(``tests/test_sim_fastenc.py`` compares them).

>>> from chaintrace.encoding import make_address
>>> p = [bytes(range(20)), bytes(range(1, 21))]
>>> addresses(["p2wpkh", "p2pkh"], p) == [make_address("p2wpkh", p[0]), make_address("p2pkh", p[1])]
True
>>> script_pubkey("p2sh", bytes(20)).hex()
'a914000000000000000000000000000000000000000087'
"""

import hashlib

import numpy as np

CHARSET = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l"
B58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
# XOR of the generator terms selected by the five top bits of the checksum state
_TABLE = np.array(
    [
        np.bitwise_xor.reduce([g for i, g in enumerate(GEN) if (b >> i) & 1] or [0])
        for b in range(32)
    ],
    dtype=np.uint32,
)
CHUNK = 1 << 16  # addresses encoded together (see addresses())
_PREFIX = {"p2pkh": b"\x76\xa9\x14", "p2sh": b"\xa9\x14", "p2wpkh": b"\x00\x14"}
_SUFFIX = {"p2pkh": b"\x88\xac", "p2sh": b"\x87"}


def script_pubkey(visible_type: str, payload: bytes) -> bytes:
    """The locking script paying ``payload`` (no checks: payloads come from the generator)."""
    if visible_type in _PREFIX:
        return _PREFIX[visible_type] + payload + _SUFFIX.get(visible_type, b"")
    return (b"\x51\x20" if visible_type == "p2tr" else b"\x00\x20") + payload


def _polymod_step(chk: np.ndarray, values: np.ndarray) -> np.ndarray:
    top = chk >> 25
    return ((chk & 0x1FFFFFF) << 5) ^ values ^ _TABLE[top]


def bech32_many(witver: int, programs: np.ndarray) -> list[str]:
    """``bc1...`` addresses of equal-length witness ``programs`` (an ``(n, length)`` uint8 array).

    >>> bech32_many(0, np.zeros((1, 20), np.uint8))
    ['bc1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq9e75rs']
    """
    n, length = programs.shape
    bits = np.unpackbits(programs, axis=1)
    groups = -(-length * 8 // 5)
    bits = np.pad(bits, ((0, 0), (0, groups * 5 - length * 8)))
    data = bits.reshape(n, groups, 5) @ np.array([16, 8, 4, 2, 1], dtype=np.uint32)
    data = np.concatenate([np.full((n, 1), witver, np.uint32), data.astype(np.uint32)], axis=1)
    chk = np.ones(n, dtype=np.uint32)
    hrp = [c >> 5 for c in b"bc"] + [0] + [c & 31 for c in b"bc"]
    for v in hrp:
        chk = _polymod_step(chk, np.uint32(v))
    for j in range(data.shape[1]):
        chk = _polymod_step(chk, data[:, j])
    for _ in range(6):
        chk = _polymod_step(chk, np.uint32(0))
    chk ^= np.uint32(0x2BC830A3 if witver else 1)
    check = np.stack([(chk >> (5 * (5 - i))) & 31 for i in range(6)], axis=1)
    chars = np.frombuffer(CHARSET, np.uint8)[np.concatenate([data, check], axis=1)]
    width = chars.shape[1]
    buf = chars.tobytes().decode()
    return ["bc1" + buf[i : i + width] for i in range(0, n * width, width)]


def base58check(version: int, payload: bytes) -> str:
    """Base58Check of ``version`` + ``payload`` (p2pkh version 0, p2sh version 5).

    >>> base58check(0, bytes.fromhex("77bff20c60e522dfaa3350c39b030a5d004e839a"))
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'
    """
    raw = bytes([version]) + payload
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    n = int.from_bytes(raw, "big")
    out = bytearray()
    while n:
        n, chunk = divmod(n, 58**10)
        for _ in range(10):
            chunk, d = divmod(chunk, 58)
            out.append(B58[d])
    while out and out[-1] == B58[0]:
        out.pop()
    pad = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * pad + out[::-1].decode()


def addresses(visible_types: list[str], payloads: list[bytes]) -> list[str]:
    """Mainnet addresses of ``payloads`` of the given visible types, in order."""
    out: list[str] = [""] * len(payloads)
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(visible_types):
        groups.setdefault(t, []).append(i)
    for t, idx in groups.items():
        if t in ("p2pkh", "p2sh"):
            version = 0 if t == "p2pkh" else 5
            for i in idx:
                out[i] = base58check(version, payloads[i])
            continue
        # a chunk at a time: the vector steps hold ~300 bytes per address, so all 10^7
        # addresses of a large economy at once would take several GB for a moment
        for a in range(0, len(idx), CHUNK):
            part = idx[a : a + CHUNK]
            arr = np.frombuffer(b"".join(payloads[i] for i in part), np.uint8)
            arr = arr.reshape(len(part), -1)
            for i, text in zip(part, bech32_many(1 if t == "p2tr" else 0, arr), strict=True):
                out[i] = text
    return out
