"""Serialise the generator's transactions fast, byte-identical to ``chaintrace.rawtx``.

The writer computes every txid from the real serialisation, with the fake unlocking data of
:func:`chaintrace.rawtx.synth_unlocking`. The general functions build dicts and hex strings per
input; a million transactions need the same bytes with less work, so this module builds them
directly from the handful of script types the generator uses. ``tests/test_sim_fastenc.py``
checks every type against ``rawtx``.

>>> from chaintrace import rawtx
>>> seed = bytes(range(36))
>>> sig, wit = rawtx.synth_unlocking("p2wpkh", seed)
>>> unlock("p2wpkh", seed) == (b"\\x00", b"\\x02" + b"".join(bytes([len(w)]) + w for w in wit))
True
"""

import hashlib
import struct

from ..encoding import hash160

_sha = hashlib.sha256
_C0, _C1 = (0).to_bytes(4, "little"), (1).to_bytes(4, "little")


def varint(n: int) -> bytes:
    """Bitcoin's CompactSize.

    >>> varint(252).hex(), varint(253).hex()
    ('fc', 'fdfd00')
    """
    if n < 0xFD:
        return bytes((n,))
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


def _pubkey(seed: bytes, i: int) -> bytes:
    label = b"pubkey%d" % i
    body = _sha(seed + label + _C0).digest() + _sha(seed + label + _C1).digest()[:1]
    return bytes((2 + (body[0] & 1),)) + body[1:]


def _sig(seed: bytes, i: int) -> bytes:
    label = b"sig%d" % i
    raw = _sha(seed + label + _C0).digest() + _sha(seed + label + _C1).digest()
    r = bytes((raw[0] or 1,)) + raw[1:32]
    s = bytes(((raw[32] & 0x7F) or 1,)) + raw[33:64]
    if r[0] & 0x80:
        r = b"\x00" + r
    body = b"\x02" + bytes((len(r),)) + r + b"\x02" + bytes((len(s),)) + s
    return b"\x30" + bytes((len(body),)) + body + b"\x01"


def _redeem(seed: bytes) -> bytes:
    keys = b"".join(b"\x21" + _pubkey(seed, i) for i in range(3))
    return b"\x52" + keys + b"\x53\xae"


def unlock(spend_type: str, seed: bytes) -> tuple[bytes, bytes]:
    """``(varbytes(script_sig), serialised witness stack)`` of one input.

    The witness is ``b"\\x00"`` (an empty stack) for inputs without witness data.
    """
    if spend_type == "p2wpkh":
        sig, pub = _sig(seed, 0), _pubkey(seed, 0)
        return b"\x00", b"\x02" + bytes((len(sig),)) + sig + b"\x21" + pub
    if spend_type == "p2tr":
        raw = _sha(seed + b"schnorr" + _C0).digest() + _sha(seed + b"schnorr" + _C1).digest()
        return b"\x00", b"\x01\x40" + raw
    if spend_type == "p2sh-p2wpkh":
        sig, pub = _sig(seed, 0), _pubkey(seed, 0)
        return b"\x17\x16\x00\x14" + hash160(pub), b"\x02" + bytes(
            (len(sig),)
        ) + sig + b"\x21" + pub
    if spend_type == "p2pkh":
        sig, pub = _sig(seed, 0), _pubkey(seed, 0)
        script = bytes((len(sig),)) + sig + b"\x21" + pub
        return varint(len(script)) + script, b"\x00"
    redeem = _redeem(seed)
    sigs = [_sig(seed, 0), _sig(seed, 1)]
    if spend_type == "p2sh-multisig-2-of-3":
        script = b"\x00" + b"".join(bytes((len(s),)) + s for s in sigs)
        script += b"\x4c" + bytes((len(redeem),)) + redeem
        return varint(len(script)) + script, b"\x00"
    if spend_type == "p2wsh-multisig-2-of-3":
        stack = b"".join(bytes((len(s),)) + s for s in sigs) + bytes((len(redeem),)) + redeem
        return b"\x00", b"\x04\x00" + stack
    raise ValueError(f"no fast unlocking data for spend type {spend_type!r}")


def transaction(version, locktime, ins, outs) -> tuple[bytes, bytes]:
    """``(base, full)`` serialisations from serialised inputs and outputs.

    ``ins`` are ``(outpoint + varbytes(script_sig) + sequence, witness stack)`` pairs and
    ``outs`` serialised outputs; ``full`` is ``base`` when no input carries witness data.
    """
    head = struct.pack("<i", version)
    body = varint(len(ins)) + b"".join(i for i, _ in ins) + varint(len(outs)) + b"".join(outs)
    tail = struct.pack("<I", locktime)
    base = head + body + tail
    if all(w == b"\x00" for _, w in ins):
        return base, base
    return base, head + b"\x00\x01" + body + b"".join(w for _, w in ins) + tail


def output(value: int, script: bytes) -> bytes:
    """A serialised output: value then the length-prefixed locking script."""
    return struct.pack("<q", value) + varint(len(script)) + script
