"""Bitcoin transactions as bytes: serialise, parse, txid, size and weight (BIP-141/144).

A transaction is a plain dict, so it is easy to build, print and compare::

    {"version": 2, "locktime": 0,
     "inputs": [{"prev_txid": "<64 hex, display order>", "prev_vout": 0,
                 "script_sig": b"", "sequence": 0xFFFFFFFD, "witness": [b"...", b"..."]}],
     "outputs": [{"value": 50_000, "script_pubkey": b"..."}]}

The txid is the double SHA-256 of the serialisation *without* witness data, shown byte-reversed;
that is why SegWit signatures cannot change a txid.

>>> tx = {"version": 1, "locktime": 0,
...       "inputs": [{"prev_txid": "00" * 32, "prev_vout": 0, "script_sig": b"", "sequence": 0xFFFFFFFF}],
...       "outputs": [{"value": 1_000, "script_pubkey": bytes.fromhex("0014" + "11" * 20)}]}
>>> raw = serialize(tx)
>>> parse(raw) == {**tx, "inputs": [{**tx["inputs"][0], "witness": []}]}
True
>>> len(txid(raw)), size(tx), vsize(tx)
(64, 82, 82)

``synth_unlocking`` makes deterministic, realistically sized *fake* signatures and keys for the
data generator (no private key exists for any of them).
"""

import struct

from .encoding import hash160, push_data, sha256, sha256d

__all__ = [
    "serialize",
    "parse",
    "txid",
    "wtxid",
    "tx_hash_hex",
    "size",
    "base_size",
    "weight",
    "vsize",
    "synth_pubkey",
    "synth_unlocking",
    "synth_payload",
    "UNLOCKING_TYPES",
    "parse_header",
    "bits_to_target",
    "merkle_root_from_proof",
    "coinbase_height",
]

# --------------------------------------------------------------------------- var ints


def _varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def _varbytes(b: bytes) -> bytes:
    return _varint(len(b)) + b


class _Reader:
    """A cursor over raw bytes that fails clearly when the data ends early."""

    def __init__(self, raw: bytes):
        self.raw = bytes(raw)
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.raw):
            raise ValueError(
                f"transaction data ends after {len(self.raw)} bytes but more was expected "
                f"(at byte {self.pos}); the hex is probably truncated or not a transaction"
            )
        out = self.raw[self.pos : self.pos + n]
        self.pos += n
        return out

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def varint(self) -> int:
        first = self.take(1)[0]
        if first < 0xFD:
            return first
        width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        return int.from_bytes(self.take(width), "little")

    def varbytes(self) -> bytes:
        return self.take(self.varint())


# --------------------------------------------------------------------------- serialise / parse


def _has_witness(tx: dict) -> bool:
    return any(inp.get("witness") for inp in tx["inputs"])


def serialize(tx: dict, witness: bool = True) -> bytes:
    """The network serialisation of ``tx``.

    With ``witness=True`` and any input carrying witness data, the BIP-144 format (marker
    ``00``, flag ``01``, witnesses after the outputs) is used; otherwise the legacy format,
    which is what the txid hashes.

    >>> tx = {"version": 2, "locktime": 0, "inputs": [], "outputs": []}
    >>> serialize(tx).hex()
    '02000000000000000000'
    """
    segwit = witness and _has_witness(tx)
    parts = [struct.pack("<i", tx["version"])]
    if segwit:
        parts.append(b"\x00\x01")
    parts.append(_varint(len(tx["inputs"])))
    for inp in tx["inputs"]:
        prev = bytes.fromhex(inp["prev_txid"])[::-1]
        if len(prev) != 32:
            raise ValueError(f"prev_txid must be 64 hex characters, got {inp['prev_txid']!r}")
        parts.append(prev + struct.pack("<I", inp["prev_vout"]))
        parts.append(_varbytes(inp.get("script_sig", b"")))
        parts.append(struct.pack("<I", inp.get("sequence", 0xFFFFFFFF)))
    parts.append(_varint(len(tx["outputs"])))
    for out in tx["outputs"]:
        parts.append(struct.pack("<q", out["value"]) + _varbytes(out["script_pubkey"]))
    if segwit:
        for inp in tx["inputs"]:
            stack = inp.get("witness") or []
            parts.append(_varint(len(stack)) + b"".join(_varbytes(item) for item in stack))
    parts.append(struct.pack("<I", tx["locktime"]))
    return b"".join(parts)


def parse(raw: bytes) -> dict:
    """Parse a serialised transaction (with or without witness) into the dict form.

    Accepts bytes or a hex string. Every input gets a ``witness`` list (empty for legacy).

    >>> parse("02000000000000000000")
    {'version': 2, 'locktime': 0, 'inputs': [], 'outputs': []}
    >>> parse("0200")
    Traceback (most recent call last):
    ...
    ValueError: transaction data ends after 2 bytes but more was expected (at byte 0); the hex is probably truncated or not a transaction
    """
    if isinstance(raw, str):
        raw = bytes.fromhex(raw)
    r = _Reader(raw)
    version = struct.unpack("<i", r.take(4))[0]
    segwit = r.raw[r.pos : r.pos + 2] == b"\x00\x01"
    if segwit:
        r.take(2)
    inputs = [_parse_input(r) for _ in range(r.varint())]
    outputs = []
    for _ in range(r.varint()):
        value = struct.unpack("<q", r.take(8))[0]
        outputs.append({"value": value, "script_pubkey": r.varbytes()})
    if segwit:
        for inp in inputs:
            inp["witness"] = [r.varbytes() for _ in range(r.varint())]
    locktime = r.u32()
    if r.pos != len(r.raw):
        raise ValueError(
            f"{len(r.raw) - r.pos} bytes left over after the transaction; "
            "check that the hex holds exactly one transaction"
        )
    return {"version": version, "locktime": locktime, "inputs": inputs, "outputs": outputs}


def _parse_input(r: _Reader) -> dict:
    prev = r.take(32)[::-1].hex()
    vout = r.u32()
    script_sig = r.varbytes()
    return {
        "prev_txid": prev,
        "prev_vout": vout,
        "script_sig": script_sig,
        "sequence": r.u32(),
        "witness": [],
    }


# --------------------------------------------------------------------------- ids and sizes


def _as_tx(raw_or_tx) -> dict:
    if isinstance(raw_or_tx, dict):
        return raw_or_tx
    return parse(raw_or_tx)


def tx_hash_hex(digest: bytes) -> str:
    """A 32-byte hash in the byte-reversed hex that explorers display.

    >>> tx_hash_hex(bytes(31) + b"\\x01")
    '0100000000000000000000000000000000000000000000000000000000000000'
    """
    return digest[::-1].hex()


def txid(raw_or_tx) -> str:
    """The transaction id: double SHA-256 of the non-witness serialisation, reversed hex.

    Accepts raw bytes, hex text or the dict form.

    >>> txid({"version": 1, "locktime": 0, "inputs": [], "outputs": []})[:16]
    'd21633ba23f70118'
    """
    return tx_hash_hex(sha256d(serialize(_as_tx(raw_or_tx), witness=False)))


def wtxid(raw_or_tx) -> str:
    """The witness txid (BIP-141): like :func:`txid` but over the full serialisation.

    Equals the txid when no input has witness data.

    >>> t = {"version": 1, "locktime": 0, "inputs": [], "outputs": []}
    >>> wtxid(t) == txid(t)
    True
    """
    return tx_hash_hex(sha256d(serialize(_as_tx(raw_or_tx), witness=True)))


def size(tx) -> int:
    """Total size in bytes, witness included (what is sent over the network).

    >>> size({"version": 1, "locktime": 0, "inputs": [], "outputs": []})
    10
    """
    return len(serialize(_as_tx(tx), witness=True))


def base_size(tx) -> int:
    """Size in bytes without witness data.

    >>> base_size({"version": 1, "locktime": 0, "inputs": [], "outputs": []})
    10
    """
    return len(serialize(_as_tx(tx), witness=False))


def weight(tx) -> int:
    """Weight units (BIP-141): base size x 3 + total size; a block holds 4,000,000.

    >>> weight({"version": 1, "locktime": 0, "inputs": [], "outputs": []})
    40
    """
    tx = _as_tx(tx)
    return base_size(tx) * 3 + size(tx)


def vsize(tx) -> int:
    """Virtual size in vbytes, ``ceil(weight / 4)``: what fee rates (sat/vB) are quoted in.

    >>> vsize({"version": 1, "locktime": 0, "inputs": [], "outputs": []})
    10
    """
    return -(-weight(tx) // 4)


# --------------------------------------------------------------------------- synthetic unlocking

UNLOCKING_TYPES = ("p2pkh", "p2wpkh", "p2sh-p2wpkh", "p2tr", "p2sh", "p2wsh", "p2sh-p2wsh")
_MULTISIG_TYPES = ("p2sh", "p2wsh", "p2sh-p2wsh")


def _stream(seed: bytes, label: str, n: int) -> bytes:
    # counter-mode SHA-256: as many deterministic bytes as needed from one seed
    out = b""
    counter = 0
    while len(out) < n:
        out += sha256(seed + label.encode() + counter.to_bytes(4, "little"))
        counter += 1
    return out[:n]


def synth_pubkey(seed: bytes, index: int = 0) -> bytes:
    """A deterministic 33-byte compressed-public-key-shaped value (nobody holds its key).

    >>> k = synth_pubkey(b"alice")
    >>> len(k), k[0] in (2, 3), k == synth_pubkey(b"alice"), k == synth_pubkey(b"bob")
    (33, True, True, False)
    """
    body = _stream(seed, f"pubkey{index}", 33)
    return bytes([2 + (body[0] & 1)]) + body[1:]


def _fake_der_signature(seed: bytes, index: int) -> bytes:
    # DER: 30 len 02 rlen r 02 slen s, then the sighash byte (SIGHASH_ALL). r has its top bit
    # set about half the time (then a 00 pad byte, so 72 bytes), s is "low-S" as BIP-62/146
    # require: 71 or 72 bytes in total, like real ECDSA signatures.
    raw = _stream(seed, f"sig{index}", 64)
    r = bytes([raw[0] or 1]) + raw[1:32]
    s = bytes([(raw[32] & 0x7F) or 1]) + raw[33:64]
    if r[0] & 0x80:
        r = b"\x00" + r
    body = b"\x02" + bytes([len(r)]) + r + b"\x02" + bytes([len(s)]) + s
    return b"\x30" + bytes([len(body)]) + body + b"\x01"


def _multisig_redeem(seed: bytes, m_of_n) -> bytes:
    from .encoding import multisig_redeem_script

    m, n = m_of_n or (2, 3)
    return multisig_redeem_script(m, [synth_pubkey(seed, i) for i in range(n)])


def synth_payload(script_type: str, seed: bytes, m_of_n: tuple[int, int] | None = None):
    """``(address_type, payload)`` for the output that :func:`synth_unlocking` spends.

    Pass them to ``chaintrace.encoding.make_address``; the address then really commits to the
    fake keys in the unlocking data (hash160 of the pubkey, hash of the redeem script), as on
    the real chain.

    >>> from chaintrace.encoding import make_address
    >>> kind, payload = synth_payload("p2sh-p2wpkh", b"seed")
    >>> kind, make_address(kind, payload)[:1]
    ('p2sh', '3')
    """
    _check_type(script_type)
    if script_type in ("p2pkh", "p2wpkh"):
        return script_type, hash160(synth_pubkey(seed))
    if script_type == "p2sh-p2wpkh":
        return "p2sh", hash160(b"\x00\x14" + hash160(synth_pubkey(seed)))
    if script_type == "p2tr":
        return "p2tr", synth_pubkey(seed)[1:]  # x-only output key
    redeem = _multisig_redeem(seed, m_of_n)
    if script_type == "p2sh":
        return "p2sh", hash160(redeem)
    if script_type == "p2wsh":
        return "p2wsh", sha256(redeem)
    return "p2sh", hash160(b"\x00\x20" + sha256(redeem))


def _check_type(script_type: str) -> None:
    if script_type not in UNLOCKING_TYPES:
        raise ValueError(
            f"cannot make unlocking data for {script_type!r}; use one of "
            f"{', '.join(UNLOCKING_TYPES)}"
        )


def synth_unlocking(
    script_type: str, seed: bytes, m_of_n: tuple[int, int] | None = None
) -> tuple[bytes, list[bytes]]:
    """A fake but realistically sized ``(script_sig, witness)`` spending a ``script_type`` output.

    Types: ``p2pkh``, ``p2wpkh``, ``p2sh-p2wpkh``, ``p2tr`` (key path, 64-byte Schnorr),
    ``p2sh`` / ``p2wsh`` / ``p2sh-p2wsh`` (m-of-n multisig, default 2-of-3). Every byte comes
    from ``seed``: the same seed gives the same bytes. No signature verifies and no private key
    exists; these only make sizes, weights and fees realistic.

    >>> sig, wit = synth_unlocking("p2wpkh", b"x")
    >>> sig, [len(item) for item in wit][1]
    (b'', 33)
    >>> sig, wit = synth_unlocking("p2sh", b"x", (2, 3))
    >>> sig[0], len(wit)
    (0, 0)
    """
    _check_type(script_type)
    pub = synth_pubkey(seed)
    if script_type == "p2pkh":
        return push_data(_fake_der_signature(seed, 0)) + push_data(pub), []
    if script_type in ("p2wpkh", "p2sh-p2wpkh"):
        witness = [_fake_der_signature(seed, 0), pub]
        if script_type == "p2wpkh":
            return b"", witness
        return push_data(b"\x00\x14" + hash160(pub)), witness
    if script_type == "p2tr":
        return b"", [_stream(seed, "schnorr", 64)]
    m = (m_of_n or (2, 3))[0]
    redeem = _multisig_redeem(seed, m_of_n)
    sigs = [_fake_der_signature(seed, i) for i in range(m)]
    if script_type == "p2sh":
        # OP_0 first: OP_CHECKMULTISIG pops one item too many (an original-client bug)
        script_sig = b"\x00" + b"".join(push_data(s) for s in sigs) + push_data(redeem)
        return script_sig, []
    witness = [b""] + sigs + [redeem]
    if script_type == "p2wsh":
        return b"", witness
    return push_data(b"\x00\x20" + sha256(redeem)), witness


# --------------------------------------------------------------------------- block headers

HEADER_SIZE = 80


def parse_header(raw) -> dict:
    """The six fields of an 80-byte block header, plus its ``hash`` (display hex).

    Accepts bytes or hex. ``prev_hash`` and ``merkle_root`` are in display (reversed) hex,
    like txids; ``time`` is Unix seconds; ``bits`` the compact difficulty target.

    >>> h = parse_header(bytes(4) + bytes(32) + bytes(32) + (1_700_000_000).to_bytes(4, "little")
    ...                  + bytes.fromhex("ffff7f20") + bytes(4))
    >>> h["time"], hex(h["bits"]), len(h["hash"])
    (1700000000, '0x207fffff', 64)
    >>> parse_header("00")
    Traceback (most recent call last):
    ...
    ValueError: a block header is 80 bytes, got 1
    """
    if isinstance(raw, str):
        raw = bytes.fromhex(raw)
    if len(raw) != HEADER_SIZE:
        raise ValueError(f"a block header is {HEADER_SIZE} bytes, got {len(raw)}")
    version, time_, bits, nonce = struct.unpack("<i", raw[:4]) + struct.unpack("<III", raw[68:])
    return {
        "version": version,
        "prev_hash": raw[4:36][::-1].hex(),
        "merkle_root": raw[36:68][::-1].hex(),
        "time": time_,
        "bits": bits,
        "nonce": nonce,
        "hash": tx_hash_hex(sha256d(raw)),
    }


def bits_to_target(bits: int) -> int:
    """The target a compact ``bits`` value encodes: a block hash must be at most this.

    >>> bits_to_target(0x1D00FFFF) == 0xFFFF * 2 ** 208   # difficulty 1 on mainnet
    True
    """
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return mantissa << (8 * (exponent - 3))


def merkle_root_from_proof(txid_hex: str, branch: list[str], pos: int) -> str:
    """The merkle root a proof leads to: ``txid`` at position ``pos`` hashed up ``branch``.

    ``branch`` holds the sibling hashes from the leaf upwards in display hex, as Esplora's
    ``/tx/:txid/merkle-proof`` gives them. A transaction alone in its block has an empty
    branch and is its own root.

    >>> merkle_root_from_proof("ab" * 32, [], 0) == "ab" * 32
    True
    >>> a, b = "11" * 32, "22" * 32
    >>> merkle_root_from_proof(a, [b], 0) == merkle_root_from_proof(b, [a], 1)
    True
    """
    node = bytes.fromhex(txid_hex)[::-1]
    for sibling in branch:
        other = bytes.fromhex(sibling)[::-1]
        node = sha256d(other + node) if pos & 1 else sha256d(node + other)
        pos >>= 1
    return tx_hash_hex(node)


def coinbase_height(raw_or_tx) -> int | None:
    """The block height a coinbase transaction commits to (BIP-34), or ``None`` if it has none.

    From block 227,931 on, the coinbase's script_sig starts with the height as a number push.

    >>> coinbase_height({"version": 1, "locktime": 0, "outputs": [], "inputs": [
    ...     {"prev_txid": "00" * 32, "prev_vout": 0xFFFFFFFF, "sequence": 0,
    ...      "script_sig": bytes.fromhex("03e0f50a") + b"miner"}]})
    718304
    """
    tx = _as_tx(raw_or_tx)
    if len(tx["inputs"]) != 1 or tx["inputs"][0]["prev_vout"] != 0xFFFFFFFF:
        return None
    script = tx["inputs"][0]["script_sig"]
    if not script or not 1 <= script[0] <= 8 or len(script) < 1 + script[0]:
        return None
    return int.from_bytes(script[1 : 1 + script[0]], "little")
