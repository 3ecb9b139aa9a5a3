"""Bitcoin address encodings: hashes, Base58Check, bech32/bech32m, script_pubkey <-> address.

An address is only a way of writing down a locking script (``script_pubkey``) with a checksum
so typos are caught. This module converts in both directions, for every standard script type
and every network:

>>> make_address("p2wpkh", bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6"))
'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'
>>> address_to_script_pubkey("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2").hex()
'76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac'
>>> script_type_of(bytes.fromhex("0014" + "00" * 20))
'p2wpkh'

Everything here is pure Python and offline. Errors are ``ValueError`` (bech32 problems are the
subclass :class:`Bech32Error`, which also says *where* a typo probably is);
``chaintrace.address.parse_address`` turns them into messages for investigators.
"""

import hashlib
import struct

from .errors import ChaintraceError

# --------------------------------------------------------------------------- hashes


def sha256(b: bytes) -> bytes:
    """SHA-256 of ``b``.

    >>> sha256(b"").hex()[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(b).digest()


def sha256d(b: bytes) -> bytes:
    """Double SHA-256, the hash behind txids, block hashes and Base58Check checksums.

    >>> sha256d(b"hello").hex()[:16]
    '9595c9df90075148'
    """
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def hash160(b: bytes) -> bytes:
    """RIPEMD-160 of SHA-256: the 20-byte hash inside P2PKH, P2SH and P2WPKH addresses.

    >>> hash160(b"").hex()
    'b472a266d0bd89c13706a4132ccfb16f7c3b9fcb'
    """
    return ripemd160(hashlib.sha256(b).digest())


def ripemd160(b: bytes) -> bytes:
    """RIPEMD-160 of ``b``, from hashlib when OpenSSL offers it, else the pure-Python version.

    OpenSSL 3 moved RIPEMD-160 to its "legacy" provider, so some Python builds lack it.

    >>> ripemd160(b"abc").hex()
    '8eb208f7e05d987a9b044a8e98c6b087f15a0bfc'
    """
    try:
        return hashlib.new("ripemd160", b).digest()
    except (ValueError, TypeError):
        return ripemd160_py(b)


# RIPEMD-160 constants (Dobbertin, Bosselaers, Preneel 1996): message word order, rotations,
# and additive constants of the left and right lines.
_RL = [*range(16),
       7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
       3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
       1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
       4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13]  # fmt: skip
_RR = [5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
       6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
       15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
       8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
       12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11]  # fmt: skip
_SL = [11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
       7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
       11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
       11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
       9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6]  # fmt: skip
_SR = [8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
       9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
       9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
       15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
       8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11]  # fmt: skip
_KL = [0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E]
_KR = [0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000]
_M32 = 0xFFFFFFFF


def _rmd_f(j: int, x: int, y: int, z: int) -> int:
    if j == 0:
        return x ^ y ^ z
    if j == 1:
        return (x & y) | (~x & z)
    if j == 2:
        return (x | ~y) ^ z
    if j == 3:
        return (x & z) | (y & ~z)
    return x ^ (y | ~z)


def _rol(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _M32


def _rmd_line(h, words, order, shifts, consts, reverse):
    a, b, c, d, e = h
    for i in range(80):
        j = i >> 4
        f = _rmd_f(4 - j if reverse else j, b, c, d) & _M32
        t = (_rol((a + f + words[order[i]] + consts[j]) & _M32, shifts[i]) + e) & _M32
        a, e, d, c, b = e, d, _rol(c, 10), b, t
    return a, b, c, d, e


def ripemd160_py(b: bytes) -> bytes:
    """Pure-Python RIPEMD-160 (slow, but only needed where OpenSSL lacks it).

    >>> ripemd160_py(b"message digest").hex()
    '5d0689ef49d2fae572b881b123a85ffa21595f36'
    """
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    msg = b + b"\x80" + b"\x00" * ((55 - len(b)) % 64) + struct.pack("<Q", 8 * len(b))
    for off in range(0, len(msg), 64):
        words = struct.unpack("<16I", msg[off : off + 64])
        al, bl, cl, dl, el = _rmd_line(h, words, _RL, _SL, _KL, reverse=False)
        ar, br, cr, dr, er = _rmd_line(h, words, _RR, _SR, _KR, reverse=True)
        t = (h[1] + cl + dr) & _M32
        h[1] = (h[2] + dl + er) & _M32
        h[2] = (h[3] + el + ar) & _M32
        h[3] = (h[4] + al + br) & _M32
        h[4] = (h[0] + bl + cr) & _M32
        h[0] = t
    return struct.pack("<5I", *h)


# --------------------------------------------------------------------------- Base58Check

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}


def b58encode(data: bytes) -> str:
    """Base58 without checksum; each leading zero byte becomes a leading ``1``.

    >>> b58encode(b"\\x00\\x00hello")
    '11Cn8eVZg'
    """
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(B58_ALPHABET[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; raises ``ValueError`` naming the first bad character.

    >>> b58decode("11Cn8eVZg")
    b'\\x00\\x00hello'
    >>> b58decode("10OIl")
    Traceback (most recent call last):
    ...
    ValueError: character '0' at position 2 is not used in Base58 (0, O, I and l never appear); check for a typo
    """
    n = 0
    for i, c in enumerate(text):
        if c not in _B58_INDEX:
            raise ValueError(
                f"character {c!r} at position {i + 1} is not used in Base58 "
                "(0, O, I and l never appear); check for a typo"
            )
        n = n * 58 + _B58_INDEX[c]
    pad = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * pad + body


def b58check_encode(payload: bytes) -> str:
    """Base58Check: Base58 of ``payload`` plus the first 4 bytes of its double SHA-256.

    ``payload`` includes the version byte (0x00 for mainnet P2PKH, 0x05 for P2SH, ...).

    >>> b58check_encode(bytes.fromhex("0077bff20c60e522dfaa3350c39b030a5d004e839a"))
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'
    """
    return b58encode(payload + sha256d(payload)[:4])


def b58check_decode(text: str) -> bytes:
    """Decode Base58Check text to its payload (version byte included); verify the checksum.

    >>> b58check_decode("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2").hex()
    '0077bff20c60e522dfaa3350c39b030a5d004e839a'
    >>> b58check_decode("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")
    Traceback (most recent call last):
    ...
    ValueError: Base58Check checksum does not match: at least one character is wrong (a typo or a truncated copy)
    """
    raw = b58decode(text)
    if len(raw) < 5:
        raise ValueError("too short for Base58Check (needs a payload and a 4-byte checksum)")
    payload, check = raw[:-4], raw[-4:]
    if sha256d(payload)[:4] != check:
        raise ValueError(
            "Base58Check checksum does not match: at least one character is wrong "
            "(a typo or a truncated copy)"
        )
    return payload


# --------------------------------------------------------------------------- bech32 / bech32m

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(BECH32_CHARSET)}
BECH32 = "bech32"
BECH32M = "bech32m"
# the constant the checksum polymod must equal (BIP-173 for bech32, BIP-350 for bech32m)
_SPEC_CONST = {BECH32: 1, BECH32M: 0x2BC830A3}
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
BECH32_MAX_LENGTH = 90


class Bech32Error(ChaintraceError, ValueError):
    """A bech32 string that cannot be decoded.

    ``reason`` is a short code (``"mixed_case"``, ``"bad_char"``, ``"no_separator"``,
    ``"too_long"``, ``"too_short"``, ``"empty_hrp"``, ``"bad_hrp_char"``, ``"checksum"``) and
    ``positions`` the 1-based character positions involved (for a checksum error: where a
    single-character typo would explain it; empty when it cannot be located).
    """

    def __init__(self, message: str, reason: str, positions: tuple[int, ...] = ()):
        super().__init__(message)
        self.reason = reason
        self.positions = tuple(positions)


def bech32_polymod(values) -> int:
    """The BCH checksum polynomial of BIP-173 over 5-bit ``values``.

    >>> bech32_polymod(bech32_hrp_expand("a") + [10, 28, 25, 31, 20, 31])  # bech32's constant
    1
    """
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GEN[i]
    return chk


def bech32_hrp_expand(hrp: str) -> list[int]:
    """The human-readable part as the checksum sees it (high bits, a zero, low bits).

    >>> bech32_hrp_expand("bc")
    [3, 3, 0, 2, 3]
    """
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_create_checksum(hrp: str, data, spec: str = BECH32) -> list[int]:
    """The six 5-bit checksum values for ``hrp`` and ``data`` under ``spec``.

    >>> bech32_create_checksum("a", [], BECH32)
    [10, 28, 25, 31, 20, 31]
    """
    values = bech32_hrp_expand(hrp) + list(data)
    mod = bech32_polymod(values + [0] * 6) ^ _SPEC_CONST[spec]
    return [(mod >> 5 * (5 - i)) & 31 for i in range(6)]


def bech32_verify_checksum(hrp: str, data) -> str | None:
    """Which variant's checksum ``data`` (checksum included) satisfies: ``"bech32"``,
    ``"bech32m"`` or ``None``.

    >>> bech32_verify_checksum("a", [10, 28, 25, 31, 20, 31])
    'bech32'
    """
    const = bech32_polymod(bech32_hrp_expand(hrp) + list(data))
    for spec, value in _SPEC_CONST.items():
        if const == value:
            return spec
    return None


def bech32_encode(hrp: str, data, spec: str = BECH32) -> str:
    """Encode 5-bit ``data`` under ``hrp`` with a bech32 or bech32m checksum.

    >>> bech32_encode("a", [])
    'a12uel5l'
    >>> bech32_encode("a", [], BECH32M)
    'a1lqfn3a'
    """
    data = list(data)
    combined = data + bech32_create_checksum(hrp, data, spec)
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in combined)


def bech32_decode(text: str) -> tuple[str, list[int], str]:
    """Decode a bech32/bech32m string into ``(hrp, data, spec)``; ``data`` excludes the checksum.

    The result is lowercase. Raises :class:`Bech32Error` saying what is wrong and, for a bad
    checksum, the likely position of the typo.

    >>> bech32_decode("A12UEL5L")
    ('a', [], 'bech32')
    >>> bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")[2]
    'bech32'
    >>> bech32_decode("a1lqfn3a")
    ('a', [], 'bech32m')
    >>> bech32_decode("a12uel5m")
    Traceback (most recent call last):
    ...
    chaintrace.encoding.Bech32Error: bech32 checksum does not match; character 8 ('m') is probably mistyped
    """
    _check_bech32_chars(text)
    low = text.lower()
    pos = low.rfind("1")
    if pos < 0:
        raise Bech32Error("no '1' separator between the prefix and the data", "no_separator")
    if pos == 0:
        raise Bech32Error("the prefix before '1' is empty", "empty_hrp", (1,))
    if len(low) > BECH32_MAX_LENGTH:
        raise Bech32Error(
            f"{len(low)} characters; bech32 allows at most {BECH32_MAX_LENGTH}", "too_long"
        )
    if pos + 7 > len(low):
        raise Bech32Error(
            "fewer than 6 characters after the '1' separator: too short to hold a checksum",
            "too_short",
        )
    hrp = low[:pos]
    data = []
    for i, c in enumerate(low[pos + 1 :], start=pos + 2):
        if c not in _CHARSET_INDEX:
            raise Bech32Error(
                f"character {text[i - 1]!r} at position {i} is not used in bech32 "
                "(1, b, i and o never appear after the separator); check for a typo",
                "bad_char",
                (i,),
            )
        data.append(_CHARSET_INDEX[c])
    spec = bech32_verify_checksum(hrp, data)
    if spec is None:
        positions = bech32_locate_errors(low)
        where = _describe_positions(low, positions)
        raise Bech32Error(f"bech32 checksum does not match; {where}", "checksum", positions)
    return hrp, data[:-6], spec


def _check_bech32_chars(text: str) -> None:
    for i, c in enumerate(text, start=1):
        if not 33 <= ord(c) <= 126:
            raise Bech32Error(
                f"character {c!r} at position {i} is not printable ASCII", "bad_hrp_char", (i,)
            )
    if text.lower() != text and text.upper() != text:
        raise Bech32Error(
            "mixes upper and lower case; bech32 must be all lower case (or all upper case)",
            "mixed_case",
        )


def bech32_locate_errors(text: str) -> tuple[int, ...]:
    """1-based positions where changing one character would make the checksum valid.

    Bech32 can correct any single substitution, so a one-character typo is found exactly;
    with two or more typos the result is usually empty (detected, but not locatable).

    >>> bech32_locate_errors("a12uel5m")
    (8,)
    >>> bech32_locate_errors("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5")
    (42,)
    """
    low = text.lower()
    pos = low.rfind("1")
    if pos < 1:
        return ()
    hrp, body = low[:pos], low[pos + 1 :]
    if any(c not in _CHARSET_INDEX for c in body):
        return ()
    values = [_CHARSET_INDEX[c] for c in body]
    # The polymod is linear over GF(32): flipping one value changes the residue by a fixed
    # term, so we try every substitution (32 x length residues, cheap for <= 90 characters).
    found = []
    for i in range(len(values)):
        original = values[i]
        for v in range(32):
            if v == original:
                continue
            values[i] = v
            if bech32_verify_checksum(hrp, values) is not None:
                found.append(pos + 2 + i)
                break
        values[i] = original
    return tuple(found)


def _describe_positions(text: str, positions) -> str:
    if not positions:
        return "more than one character is probably wrong; compare it with the source carefully"
    chars = ", ".join(f"character {p} ({text[p - 1]!r})" for p in positions)
    verb = "is" if len(positions) == 1 else "are each"
    return f"{chars} {verb} probably mistyped"


def convertbits(data, frombits: int, tobits: int, pad: bool = True) -> list[int]:
    """Regroup a sequence of ``frombits``-bit values into ``tobits``-bit values.

    Raises ``ValueError`` when ``pad`` is false and leftover bits are non-zero or too many
    (BIP-173's rule for decoding witness programs).

    >>> convertbits(b"\\xff", 8, 5)
    [31, 28]
    """
    acc = bits = 0
    ret = []
    maxv = (1 << tobits) - 1
    for value in data:
        if value < 0 or value >> frombits:
            raise ValueError(f"value {value} does not fit in {frombits} bits")
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad:
        if bits:
            ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise ValueError("invalid padding bits at the end of the data")
    return ret


def check_witness_program(witver: int, program: bytes) -> None:
    """Raise ``ValueError`` unless BIP-141/BIP-350 allow this witness version and program.

    >>> check_witness_program(0, bytes(20))
    >>> check_witness_program(0, bytes(21))
    Traceback (most recent call last):
    ...
    ValueError: witness version 0 needs a 20-byte (P2WPKH) or 32-byte (P2WSH) program, not 21 bytes
    """
    if not 0 <= witver <= 16:
        raise ValueError(f"witness version {witver} does not exist (versions are 0 to 16)")
    if not 2 <= len(program) <= 40:
        raise ValueError(f"witness program of {len(program)} bytes; it must be 2 to 40 bytes")
    if witver == 0 and len(program) not in (20, 32):
        raise ValueError(
            "witness version 0 needs a 20-byte (P2WPKH) or 32-byte (P2WSH) program, "
            f"not {len(program)} bytes"
        )


def bech32_encode_segwit(hrp: str, witver: int, program: bytes) -> str:
    """A SegWit address: bech32 for witness version 0, bech32m for 1 and up (BIP-350).

    >>> bech32_encode_segwit("bc", 1, bytes(32))
    'bc1pqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqpqqenm'
    """
    check_witness_program(witver, program)
    spec = BECH32 if witver == 0 else BECH32M
    return bech32_encode(hrp, [witver] + convertbits(program, 8, 5), spec)


def bech32_decode_segwit(text: str) -> tuple[str, int, bytes]:
    """Decode a SegWit address into ``(hrp, witness_version, program)``, enforcing BIP-350.

    >>> hrp, ver, prog = bech32_decode_segwit("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4")
    >>> hrp, ver, prog.hex()
    ('bc', 0, '751e76e8199196d454941c45d1b3a323f1433bd6')
    """
    hrp, data, spec = bech32_decode(text)
    if not data:
        raise ValueError("no witness version after the separator")
    witver = data[0]
    if witver > 16:
        raise ValueError(f"witness version {witver} does not exist (versions are 0 to 16)")
    program = bytes(convertbits(data[1:], 5, 8, pad=False))
    check_witness_program(witver, program)
    wanted = BECH32 if witver == 0 else BECH32M
    if spec != wanted:
        raise ValueError(
            f"witness version {witver} must use the {wanted} checksum (BIP-350), "
            f"but this address uses {spec}"
        )
    return hrp, witver, program


# --------------------------------------------------------------------------- networks and scripts

NETWORKS = {
    # name: (P2PKH version byte, P2SH version byte, bech32 prefix)
    "mainnet": (0x00, 0x05, "bc"),
    "testnet": (0x6F, 0xC4, "tb"),
    "signet": (0x6F, 0xC4, "tb"),
    "regtest": (0x6F, 0xC4, "bcrt"),
}
SCRIPT_TYPES = ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr")
_PAYLOAD_LEN = {"p2pkh": 20, "p2sh": 20, "p2wpkh": 20, "p2wsh": 32, "p2tr": 32}

OP_0, OP_PUSHDATA1, OP_PUSHDATA2, OP_1, OP_16 = 0x00, 0x4C, 0x4D, 0x51, 0x60
OP_RETURN, OP_DUP, OP_EQUAL, OP_EQUALVERIFY = 0x6A, 0x76, 0x87, 0x88
OP_HASH160, OP_CHECKSIG, OP_CHECKMULTISIG = 0xA9, 0xAC, 0xAE


def _network_params(network: str):
    try:
        return NETWORKS[network]
    except KeyError:
        raise ValueError(f"unknown network {network!r}; use one of {', '.join(NETWORKS)}") from None


def push_data(data: bytes) -> bytes:
    """The script opcode(s) that push ``data`` onto the stack (minimal encoding).

    >>> push_data(bytes(20))[:1].hex()
    '14'
    >>> push_data(bytes(80))[:2].hex()
    '4c50'
    """
    n = len(data)
    if n < OP_PUSHDATA1:
        return bytes([n]) + data
    if n <= 0xFF:
        return bytes([OP_PUSHDATA1, n]) + data
    if n <= 0xFFFF:
        return bytes([OP_PUSHDATA2]) + n.to_bytes(2, "little") + data
    raise ValueError(f"cannot push {n} bytes; script pushes are at most 65535 bytes")


def script_pubkey_for(script_type: str, payload: bytes) -> bytes:
    """The locking script for ``script_type`` with its hash or key ``payload``.

    >>> script_pubkey_for("p2sh", bytes(20)).hex()
    'a914000000000000000000000000000000000000000087'
    """
    _check_payload(script_type, payload)
    if script_type == "p2pkh":
        return bytes([OP_DUP, OP_HASH160, 20]) + payload + bytes([OP_EQUALVERIFY, OP_CHECKSIG])
    if script_type == "p2sh":
        return bytes([OP_HASH160, 20]) + payload + bytes([OP_EQUAL])
    witver = 1 if script_type == "p2tr" else 0
    return witness_script_pubkey(witver, payload)


def witness_script_pubkey(witver: int, program: bytes) -> bytes:
    """``OP_n <program>``: the locking script of any SegWit output.

    >>> witness_script_pubkey(1, bytes(32))[:2].hex()
    '5120'
    """
    check_witness_program(witver, program)
    return bytes([OP_1 + witver - 1 if witver else OP_0, len(program)]) + program


def _check_payload(script_type: str, payload: bytes) -> None:
    if script_type not in _PAYLOAD_LEN:
        raise ValueError(
            f"unknown script type {script_type!r}; use one of {', '.join(SCRIPT_TYPES)}"
        )
    want = _PAYLOAD_LEN[script_type]
    if len(payload) != want:
        raise ValueError(f"a {script_type} payload is {want} bytes, not {len(payload)}")


def make_address(script_type: str, payload: bytes, network: str = "mainnet") -> str:
    """Write ``payload`` (a hash or key) as an address of ``script_type`` on ``network``.

    ``payload`` is the 20-byte hash for p2pkh/p2sh/p2wpkh, the 32-byte script hash for p2wsh
    and the 32-byte x-only output key for p2tr.

    >>> make_address("p2pkh", bytes.fromhex("77bff20c60e522dfaa3350c39b030a5d004e839a"))
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'
    >>> make_address("p2sh", bytes(20), "testnet")[:1]
    '2'
    >>> make_address("p2tr", bytes(32), "regtest")[:6]
    'bcrt1p'
    """
    _check_payload(script_type, payload)
    pkh, sh, hrp = _network_params(network)
    if script_type == "p2pkh":
        return b58check_encode(bytes([pkh]) + payload)
    if script_type == "p2sh":
        return b58check_encode(bytes([sh]) + payload)
    return bech32_encode_segwit(hrp, 1 if script_type == "p2tr" else 0, payload)


def decode_address(address: str) -> tuple[str, tuple[str, ...], bytes]:
    """``(script_type, possible_networks, script_pubkey)`` of a Bitcoin address.

    Testnet and signet share every prefix (and regtest shares the Base58 ones), so the
    network is a tuple of candidates. Raises ``ValueError`` if the address is not valid.

    >>> decode_address("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")[:2]
    ('p2sh', ('mainnet',))
    >>> decode_address("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx")[:2]
    ('p2wpkh', ('testnet', 'signet'))
    """
    if address[:3].lower() in ("bc1", "tb1") or address[:5].lower() == "bcrt1":
        hrp, witver, program = bech32_decode_segwit(address)
        nets = tuple(n for n, p in NETWORKS.items() if p[2] == hrp)
        if not nets:
            raise ValueError(f"prefix {hrp!r} is not a Bitcoin network")
        spk = witness_script_pubkey(witver, program)
        return script_type_of(spk), nets, spk
    payload = b58check_decode(address)
    if len(payload) != 21:
        raise ValueError(f"a Base58 Bitcoin address holds 21 bytes, this one {len(payload)}")
    version, body = payload[0], payload[1:]
    for kind, index in (("p2pkh", 0), ("p2sh", 1)):
        nets = tuple(n for n, p in NETWORKS.items() if p[index] == version)
        if nets:
            return kind, nets, script_pubkey_for(kind, body)
    raise ValueError(f"version byte 0x{version:02x} is not a Bitcoin address type")


def address_to_script_pubkey(address: str) -> bytes:
    """The locking script (script_pubkey) an address stands for.

    >>> address_to_script_pubkey("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").hex()
    '0014751e76e8199196d454941c45d1b3a323f1433bd6'
    """
    return decode_address(address)[2]


def script_type_of(spk: bytes) -> str:
    """Classify a locking script as on-chain explorers do.

    Returns one of ``p2pkh``, ``p2sh``, ``p2wpkh``, ``p2wsh``, ``p2tr``, ``op_return``,
    ``multisig`` (bare) or ``unknown`` (including future witness versions).

    >>> script_type_of(bytes.fromhex("6a0568656c6c6f"))
    'op_return'
    >>> script_type_of(b"")
    'unknown'
    """
    n = len(spk)
    if (
        n == 25
        and spk[:3] == bytes([OP_DUP, OP_HASH160, 20])
        and spk[23:] == bytes([OP_EQUALVERIFY, OP_CHECKSIG])
    ):
        return "p2pkh"
    if n == 23 and spk[:2] == bytes([OP_HASH160, 20]) and spk[22] == OP_EQUAL:
        return "p2sh"
    if n == 22 and spk[:2] == b"\x00\x14":
        return "p2wpkh"
    if n == 34 and spk[:2] == b"\x00\x20":
        return "p2wsh"
    if n == 34 and spk[:2] == b"\x51\x20":
        return "p2tr"
    if n >= 1 and spk[0] == OP_RETURN:
        return "op_return"
    if _is_multisig(spk):
        return "multisig"
    return "unknown"


def _is_multisig(spk: bytes) -> bool:
    if len(spk) < 37 or spk[-1] != OP_CHECKMULTISIG:
        return False
    m, n = spk[0] - OP_1 + 1, spk[-2] - OP_1 + 1
    if not (1 <= m <= n <= 16):
        return False
    i, keys = 1, 0
    while i < len(spk) - 2:
        size = spk[i]
        if size not in (33, 65):
            return False
        i += 1 + size
        keys += 1
    return i == len(spk) - 2 and keys == n


def _witness_of(spk: bytes) -> tuple[int, bytes] | None:
    # OP_0 or OP_1..OP_16, then one direct push of 2..40 bytes: a witness program (BIP-141)
    if not 4 <= len(spk) <= 42 or spk[1] != len(spk) - 2:
        return None
    if spk[0] == OP_0:
        witver = 0
    elif OP_1 <= spk[0] <= OP_16:
        witver = spk[0] - OP_1 + 1
    else:
        return None
    return witver, spk[2:]


def script_pubkey_to_address(spk: bytes, network: str = "mainnet") -> str | None:
    """The address that writes ``spk`` down, or ``None`` (OP_RETURN, bare multisig, unknown).

    >>> script_pubkey_to_address(bytes.fromhex("a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87"))
    '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'
    >>> script_pubkey_to_address(bytes.fromhex("6a00")) is None
    True
    """
    kind = script_type_of(spk)
    pkh, sh, hrp = _network_params(network)
    if kind == "p2pkh":
        return b58check_encode(bytes([pkh]) + spk[3:23])
    if kind == "p2sh":
        return b58check_encode(bytes([sh]) + spk[2:22])
    witness = _witness_of(spk)
    if witness is None:
        return None
    try:
        return bech32_encode_segwit(hrp, *witness)
    except ValueError:  # e.g. a v0 program of a length no wallet can spend
        return None


def multisig_redeem_script(m: int, pubkeys) -> bytes:
    """``OP_m <pubkey>... OP_n OP_CHECKMULTISIG``: the script behind a multisig address.

    Hash it with :func:`hash160` for P2SH or :func:`sha256` for P2WSH. Keys are used in the
    order given (BIP-67 wallets sort them first).

    >>> keys = [bytes([2]) + bytes([i]) * 32 for i in (1, 2, 3)]
    >>> script = multisig_redeem_script(2, keys)
    >>> len(script), script_type_of(script)
    (105, 'multisig')
    >>> make_address("p2wsh", sha256(script))[:4]
    'bc1q'
    """
    pubkeys = list(pubkeys)
    n = len(pubkeys)
    if not 1 <= m <= n <= 16:
        raise ValueError(f"{m}-of-{n} multisig is not possible; need 1 <= m <= n <= 16")
    for key in pubkeys:
        if len(key) not in (33, 65):
            raise ValueError(f"a public key is 33 or 65 bytes, not {len(key)}")
    body = b"".join(push_data(k) for k in pubkeys)
    return bytes([OP_1 + m - 1]) + body + bytes([OP_1 + n - 1, OP_CHECKMULTISIG])


# --------------------------------------------------------------------------- Keccak-256 (Ethereum)

_M64 = (1 << 64) - 1


def _keccak_round_constants() -> list[int]:
    # the iota constants come from a degree-8 LFSR (FIPS 202, algorithm 5)
    out, r = [], 1
    for _ in range(24):
        rc = 0
        for j in range(7):
            if r & 1:
                rc |= 1 << ((1 << j) - 1)
            r = ((r << 1) ^ 0x171) if r & 0x80 else (r << 1)
        out.append(rc)
    return out


_KECCAK_RC = _keccak_round_constants()


def _keccak_f(state: list[int], RC=_KECCAK_RC, M=_M64) -> list[int]:
    """Keccak-f[1600] on 25 lanes (``state[x + 5*y]``), unrolled: lanes are locals ``a0..a24``.

    One round is theta (``c``, ``d``), rho and pi together (``b``: lane x + 5y goes to
    y + 5((2x + 3y) mod 5), rotated by its rho offset), chi (back into ``a``) and iota (``rc``).
    Unrolled, a permutation takes ~0.15 ms instead of ~0.6 ms as loops over lists; the
    generator hashes thousands of account-chain addresses. ``tests/test_address.py`` checks
    the sponge against ``hashlib.sha3_256``, which uses the same permutation.
    """
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12 = state[:13]
    a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24 = state[13:]
    for rc in RC:
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
        d0 = c4 ^ (((c1 << 1) | (c1 >> 63)) & M)
        d1 = c0 ^ (((c2 << 1) | (c2 >> 63)) & M)
        d2 = c1 ^ (((c3 << 1) | (c3 >> 63)) & M)
        d3 = c2 ^ (((c4 << 1) | (c4 >> 63)) & M)
        d4 = c3 ^ (((c0 << 1) | (c0 >> 63)) & M)
        b0 = a0 ^ d0
        t = a5 ^ d0
        b16 = ((t << 36) | (t >> 28)) & M
        t = a10 ^ d0
        b7 = ((t << 3) | (t >> 61)) & M
        t = a15 ^ d0
        b23 = ((t << 41) | (t >> 23)) & M
        t = a20 ^ d0
        b14 = ((t << 18) | (t >> 46)) & M
        t = a1 ^ d1
        b10 = ((t << 1) | (t >> 63)) & M
        t = a6 ^ d1
        b1 = ((t << 44) | (t >> 20)) & M
        t = a11 ^ d1
        b17 = ((t << 10) | (t >> 54)) & M
        t = a16 ^ d1
        b8 = ((t << 45) | (t >> 19)) & M
        t = a21 ^ d1
        b24 = ((t << 2) | (t >> 62)) & M
        t = a2 ^ d2
        b20 = ((t << 62) | (t >> 2)) & M
        t = a7 ^ d2
        b11 = ((t << 6) | (t >> 58)) & M
        t = a12 ^ d2
        b2 = ((t << 43) | (t >> 21)) & M
        t = a17 ^ d2
        b18 = ((t << 15) | (t >> 49)) & M
        t = a22 ^ d2
        b9 = ((t << 61) | (t >> 3)) & M
        t = a3 ^ d3
        b5 = ((t << 28) | (t >> 36)) & M
        t = a8 ^ d3
        b21 = ((t << 55) | (t >> 9)) & M
        t = a13 ^ d3
        b12 = ((t << 25) | (t >> 39)) & M
        t = a18 ^ d3
        b3 = ((t << 21) | (t >> 43)) & M
        t = a23 ^ d3
        b19 = ((t << 56) | (t >> 8)) & M
        t = a4 ^ d4
        b15 = ((t << 27) | (t >> 37)) & M
        t = a9 ^ d4
        b6 = ((t << 20) | (t >> 44)) & M
        t = a14 ^ d4
        b22 = ((t << 39) | (t >> 25)) & M
        t = a19 ^ d4
        b13 = ((t << 8) | (t >> 56)) & M
        t = a24 ^ d4
        b4 = ((t << 14) | (t >> 50)) & M
        a0 = b0 ^ (~b1 & b2)
        a1 = b1 ^ (~b2 & b3)
        a2 = b2 ^ (~b3 & b4)
        a3 = b3 ^ (~b4 & b0)
        a4 = b4 ^ (~b0 & b1)
        a5 = b5 ^ (~b6 & b7)
        a6 = b6 ^ (~b7 & b8)
        a7 = b7 ^ (~b8 & b9)
        a8 = b8 ^ (~b9 & b5)
        a9 = b9 ^ (~b5 & b6)
        a10 = b10 ^ (~b11 & b12)
        a11 = b11 ^ (~b12 & b13)
        a12 = b12 ^ (~b13 & b14)
        a13 = b13 ^ (~b14 & b10)
        a14 = b14 ^ (~b10 & b11)
        a15 = b15 ^ (~b16 & b17)
        a16 = b16 ^ (~b17 & b18)
        a17 = b17 ^ (~b18 & b19)
        a18 = b18 ^ (~b19 & b15)
        a19 = b19 ^ (~b15 & b16)
        a20 = b20 ^ (~b21 & b22)
        a21 = b21 ^ (~b22 & b23)
        a22 = b22 ^ (~b23 & b24)
        a23 = b23 ^ (~b24 & b20)
        a24 = b24 ^ (~b20 & b21)
        a0 ^= rc
    return [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12,
            a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24]  # fmt: skip


def _keccak_sponge(data: bytes, pad_byte: int, rate: int = 136, out_len: int = 32) -> bytes:
    padded = bytearray(data + bytes([pad_byte]) + bytes(-(len(data) + 1) % rate))
    padded[-1] |= 0x80
    state = [0] * 25
    for off in range(0, len(padded), rate):
        block = padded[off : off + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        state = _keccak_f(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state)[:out_len]


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (the original Keccak padding, not NIST SHA3-256).

    Python's ``hashlib.sha3_256`` differs only in one padding byte, so it cannot stand in.

    >>> keccak256(b"").hex()
    'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
    """
    return _keccak_sponge(bytes(data), 0x01)
