"""What a chain lookup accepts and what it raises: one vocabulary for every backend and the engine.

A txid is 64 hexadecimal characters and an address one word; :func:`check_txid` and
:func:`check_address` say what a mistyped one looks like instead. Something well formed that is
not there raises :class:`NotFound`; anything else a lookup refuses, :class:`ChainError`. The
chain backends (:mod:`chaintrace.chain`, :mod:`chaintrace.esplora`) and the engine index
(:mod:`chaintrace.graph`) all use these, so the same mistake raises the same error wherever it
is made. Public as ``chaintrace.ChainError``, ``chaintrace.NotFound`` (and from
``chaintrace.chain``, where they have always been).
"""

from __future__ import annotations

import re

from .errors import ChaintraceError

__all__ = ["ChainError", "NotFound", "check_txid", "check_address"]


class ChainError(ChaintraceError, ValueError):
    """A lookup could not be answered: bad input, or a backend failure."""

    __module__ = "chaintrace.chain"  # where it is documented and always was


class NotFound(ChainError, LookupError):
    """The transaction, address or block is not known to this backend."""

    __module__ = "chaintrace.chain"


_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_BASE58 = re.compile(r"[13mn2][1-9A-HJ-NP-Za-km-z]{25,34}")
_BECH32 = re.compile(r"(bc|tb|bcrt)1[02-9ac-hj-np-z]{6,87}", re.IGNORECASE)


def _looks_like_btc_address(text: str) -> bool:
    return bool(_BASE58.fullmatch(text) or _BECH32.fullmatch(text))


def check_txid(txid) -> str:
    """Normalise a txid (strip, lowercase) or raise :class:`ChainError` saying what is wrong.

    >>> check_txid("  " + "AB" * 32 + " ") == "ab" * 32
    True
    >>> check_txid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    Traceback (most recent call last):
    ...
    chaintrace.chain.ChainError: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' looks like a Bitcoin address, not a txid; use address_txs(...) or address_summary(...) for an address
    """
    if not isinstance(txid, str):
        raise ChainError(f"a txid is text (64 hex characters), not {type(txid).__name__}: {txid!r}")
    text = txid.strip()
    if _HEX64.fullmatch(text):
        return text.lower()
    if _looks_like_btc_address(text):
        raise ChainError(
            f"{text!r} looks like a Bitcoin address, not a txid; use address_txs(...) or "
            "address_summary(...) for an address"
        )
    if text[:2].lower() == "0x" and _HEX64.fullmatch(text[2:]):
        raise ChainError(
            f"{text!r} is an Ethereum/TRON-style transaction hash (0x...); Bitcoin txids have "
            "no 0x prefix. Account-model transfers are in dataset.transfers"
        )
    if ":" in text and _HEX64.fullmatch(text.split(":")[0]):
        raise ChainError(
            f"{text!r} is an outpoint (txid:vout); pass the txid and the vout separately"
        )
    bad = sorted({c for c in text if c not in "0123456789abcdefABCDEF"})
    what = f"it has {len(text)} characters" if len(text) != 64 else "it has the right length"
    extra = f" and non-hex characters {''.join(bad)!r}" if bad else ""
    raise ChainError(
        f"{text!r} is not a txid: a txid is 64 hexadecimal characters (0-9, a-f); {what}{extra}. "
        "Copy the whole id from the case file or explorer"
    )


def check_address(address) -> str:
    """Strip an address and reject obvious mistakes (empty, a txid) with a clear message.

    >>> check_address(" 1BoatSLRHtKNngkdXEeobR76b53LETtpyT ")
    '1BoatSLRHtKNngkdXEeobR76b53LETtpyT'
    """
    if not isinstance(address, str) or not address.strip():
        raise ChainError(f"an address is non-empty text, got {address!r}")
    text = address.strip()
    if _HEX64.fullmatch(text):
        raise ChainError(
            f"{text!r} is a txid (64 hex characters), not an address; use tx(...) for it"
        )
    if any(c.isspace() for c in text):
        raise ChainError(f"{text!r} contains spaces; an address is one word, copy it again")
    return text
