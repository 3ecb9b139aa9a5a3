"""Recognise and validate the addresses an investigator meets: Bitcoin, Ethereum and TRON.

:func:`parse_address` checks every checksum and tells you, in plain words, what is wrong with
a bad address and what to do about it: a typo (and for bech32, where), a testnet address, a
Litecoin or Bitcoin Cash address pasted into a Bitcoin case, an invisible character copied
from a web page, a transaction id pasted in the wrong box, a private key (handle with care).

>>> a = parse_address("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
>>> a.chain, a.kind, a.network, a.witness_version
('bitcoin', 'p2wpkh', 'mainnet', 0)
>>> parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").checksum_form
'0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
>>> parse_address("ltc1q7vdkc5fr8v4k0fh9ha7d32thpk5gvz77wj4mrc")
Traceback (most recent call last):
...
chaintrace.address.AddressError: This looks like a Litecoin address (starts with 'ltc1'). chaintrace traces Bitcoin, Ethereum and TRON; check which chain the case is about.

Limits: a legacy Bitcoin Cash address (``1...``/``3...``) is byte-for-byte a Bitcoin address
and cannot be told apart; Ethereum and TRON addresses do not say which network they are for.
"""

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from . import encoding as enc
from .errors import ChaintraceError

__all__ = ["Address", "AddressError", "parse_address", "is_valid_address"]

NETWORKS = tuple(enc.NETWORKS)
_BECH32_HRPS = {"bc": "mainnet", "tb": "testnet", "bcrt": "regtest"}
_HEX = set("0123456789abcdefABCDEF")
# characters that copy-paste from web pages, PDFs and chat apps smuggles into addresses
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f"}
# Base58Check version bytes of other chains and of keys, with what to tell the user
_OTHER_VERSIONS = {
    0x30: ("a Litecoin address (starts with 'L')", "litecoin"),
    0x32: ("a Litecoin address (starts with 'M')", "litecoin"),
    0x1E: ("a Dogecoin address (starts with 'D')", "dogecoin"),
    0x16: ("a Dogecoin script address", "dogecoin"),
    0x4C: ("a Dash address (starts with 'X')", "dash"),
}
_OTHER_CHAIN_TODO = (
    "chaintrace traces Bitcoin, Ethereum and TRON; check which chain the case is about."
)


class AddressError(ChaintraceError, ValueError):
    """An address that is not valid (or not for the expected chain or network).

    The message says what is wrong and what to do next.
    """


@dataclass(frozen=True)
class Address:
    """A validated address.

    Fields: ``text`` (normalised: bech32 in lower case, Ethereum in EIP-55 form), ``chain``
    (``bitcoin``, ``ethereum``, ``tron``), ``kind`` (``p2pkh``, ``p2sh``, ``p2wpkh``,
    ``p2wsh``, ``p2tr``, ``witness_v2``..``witness_v16`` or ``account``), ``network`` (the
    expected network if you gave one, else the first possible), ``networks`` (every network
    the text is valid on: testnet and signet share their prefixes), ``payload`` (hex of the
    hash or key inside), ``script_pubkey`` (hex locking script, Bitcoin only),
    ``witness_version`` (SegWit only), ``checksummed`` (whether the text as given carried a
    checksum: always for Bitcoin and TRON; for Ethereum only mixed-case EIP-55 text) and
    ``checksum_form`` (the checksummed way to write it).

    >>> a = parse_address("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
    >>> a
    Address('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', chain='bitcoin', kind='p2sh', network='mainnet')
    >>> str(a), a.script_pubkey
    ('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', 'a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87')
    """

    text: str
    chain: str
    kind: str
    network: str
    networks: tuple[str, ...]
    payload: str
    script_pubkey: str | None = None
    witness_version: int | None = None
    checksummed: bool = True
    checksum_form: str | None = None

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (
            f"Address({self.text!r}, chain={self.chain!r}, kind={self.kind!r}, "
            f"network={self.network!r})"
        )


# --------------------------------------------------------------------------- entry points


def parse_address(text, network: str | None = None) -> Address:
    """Validate ``text`` as a Bitcoin, Ethereum or TRON address and describe it.

    ``network`` (``mainnet``, ``testnet``, ``signet`` or ``regtest``), if given, must match a
    Bitcoin address's network; Ethereum and TRON text does not say its network, so it is
    taken as given. Raises :class:`AddressError` saying what is wrong and what to do.

    >>> parse_address("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").text
    'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'
    >>> parse_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").payload  # the USDT contract on TRON
    'a614f803b6fd780986a42c78ec9c7f77e6ded13c'
    >>> parse_address("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", network="signet").network
    'signet'
    >>> parse_address("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", network="mainnet")
    Traceback (most recent call last):
    ...
    chaintrace.address.AddressError: This is a testnet or signet address (prefix 'tb1'), but a mainnet address was expected. Test coins have no value: check that you copied the right address.
    """
    if network is not None and network not in NETWORKS:
        raise AddressError(
            f"Unknown network {network!r}. Use one of {', '.join(NETWORKS)}, or leave it out."
        )
    if not isinstance(text, str):
        raise AddressError(
            f"An address is text, but this is {type(text).__name__}. Pass the address as a string."
        )
    _check_characters(text)
    _check_pasted_other_things(text)
    low = text.lower()
    if low.startswith("0x") or (len(text) == 40 and set(text) <= _HEX):
        return _parse_ethereum(text, network)
    _check_other_chains(text)
    if low.startswith(("bc1", "tb1", "bcrt1")):
        return _parse_segwit(text, network)
    _check_foreign_bech32(text)
    if text.startswith("T") or (low.startswith("41") and len(text) == 42):
        return _parse_tron(text, network)
    return _parse_base58(text, network)


def is_valid_address(text, network: str | None = None) -> bool:
    """``True`` if :func:`parse_address` accepts ``text`` (on ``network``, if given).

    >>> is_valid_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    True
    >>> is_valid_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")
    False
    """
    try:
        parse_address(text, network)
    except AddressError:
        return False
    return True


# --------------------------------------------------------------------------- pasting mistakes


_PLAIN_NAMES = {" ": "a space", "\n": "a line break", "\r": "a carriage return", "\t": "a tab",
                "\u00a0": "a non-breaking space"}  # fmt: skip


def _char_name(c: str) -> str:
    return _PLAIN_NAMES.get(c) or unicodedata.name(c, f"U+{ord(c):04X}")


def _check_characters(text: str) -> None:
    if not text.strip() and not any(c in _INVISIBLE for c in text):
        raise AddressError("The address is empty. Paste the address itself.")
    odd = [(i, c) for i, c in enumerate(text, 1) if c.isspace() or c in _INVISIBLE]
    if odd:
        raise AddressError(_whitespace_message(text, odd))
    for i, c in enumerate(text, 1):
        if not c.isascii() or not c.isprintable():
            raise AddressError(
                f"Character {i} is {c!r} ({_char_name(c)}), which never appears in an address; "
                "it may look like a Latin letter or digit but is a different character. "
                "Copy the address again from the original source, or retype that character."
            )


def _whitespace_message(text: str, odd) -> str:
    kinds = sorted({_char_name(c) for _, c in odd})
    where = ", ".join(str(i) for i, _ in odd[:5])
    positions = {i for i, _ in odd}
    lead = next((i for i in range(1, len(text) + 1) if i not in positions), len(text) + 1)
    trail = next((i for i in range(len(text), 0, -1) if i not in positions), 0)
    if all(i < lead or i > trail for i in positions):
        place, how = "at the start or end", "in Python: text.strip()"
    else:
        place, how = "inside it", "delete them; text.strip() only cleans the ends"
    cleaned = "".join(c for c in text if not (c.isspace() or c in _INVISIBLE))
    tail = ""
    if cleaned and is_valid_address(cleaned):
        tail = f" Without it the address is valid: {cleaned}"
    return (
        f"The address has invisible or blank characters {place} (position {where}: "
        f"{', '.join(kinds)}), often picked up when copying from a web page, PDF or chat. "
        f"Remove them ({how}) and check again.{tail}"
    )


def _check_pasted_other_things(text: str) -> None:
    low = text.lower()
    for scheme in ("bitcoin:", "ethereum:", "tron:"):
        if low.startswith(scheme):
            inner = text[len(scheme) :].split("?")[0].split("@")[0]
            raise AddressError(
                f"This is a payment link (URI starting with '{scheme}'), not a bare address. "
                f"Use the part after '{scheme}' and before any '?': {inner}"
            )
    body = low[2:] if low.startswith("0x") else low
    if len(body) == 64 and set(body) <= _HEX:
        raise AddressError(
            "This is 64 hexadecimal characters: a transaction id (txid), transaction hash or "
            "block hash, not an address. Look it up as a transaction; if it came from a wallet "
            "backup it may be a private key, which must be treated as sensitive evidence."
        )
    if low.startswith(("xpub", "ypub", "zpub", "tpub", "upub", "vpub")) and len(text) > 100:
        raise AddressError(
            "This is an extended public key (xpub/ypub/zpub), which stands for every address of "
            "a wallet, not one address. Derive the addresses with wallet software (or ask for the "
            "wallet's address list) and look those up."
        )
    if low.startswith(("xprv", "yprv", "zprv", "tprv")) and len(text) > 100:
        raise AddressError(_SECRET_WARNING.format(what="an extended PRIVATE key (xprv)"))
    if low.startswith(("lnbc", "lntb", "lnbcrt")):
        raise AddressError(
            "This is a Lightning Network invoice, not an on-chain address. Lightning payments "
            "do not appear on the blockchain; ask the payment provider named in the case."
        )
    if low.endswith(".eth") and "." in low:
        raise AddressError(
            "This is an ENS name, not an address. Resolve it to a 0x... address (for example "
            "with an Ethereum explorer) and record the date, since the owner can change it."
        )


_SECRET_WARNING = (
    "This is {what}, NOT an address: whoever has it can move the funds. Treat it as sensitive "
    "evidence: do not paste it into online tools or share it, and follow your seizure procedure."
)


# --------------------------------------------------------------------------- other chains


def _check_other_chains(text: str) -> None:
    low = text.lower()
    if low.startswith(("bitcoincash:", "bchtest:", "bchreg:")) or _is_bare_cashaddr(low):
        raise AddressError(
            "This looks like a Bitcoin Cash address (CashAddr format"
            + (", prefix 'bitcoincash:'" if ":" in low else "")
            + f"). {_OTHER_CHAIN_TODO}"
        )
    for prefix, chain in (("ltc1", "Litecoin"), ("tltc1", "Litecoin testnet"),
                          ("ltcmweb1", "Litecoin MWEB")):  # fmt: skip
        if low.startswith(prefix):
            raise AddressError(
                f"This looks like a {chain} address (starts with '{prefix}'). {_OTHER_CHAIN_TODO}"
            )


def _check_foreign_bech32(text: str) -> None:
    # a well-formed bech32 string whose prefix is not bc/tb/bcrt: another chain's address
    try:
        hrp, _, _ = enc.bech32_decode(text)
    except ValueError:
        return
    raise AddressError(
        f"This is a valid bech32 string with the prefix '{hrp}1', which is not a Bitcoin network "
        f"(Bitcoin uses bc1, tb1, bcrt1). It is probably another chain's address. {_OTHER_CHAIN_TODO}"
    )


def cashaddr_polymod(values) -> int:
    """The 40-bit BCH checksum of Bitcoin Cash's CashAddr format (0 means valid).

    >>> text = "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
    >>> cashaddr_polymod(_cashaddr_values("bitcoincash", text))
    0
    """
    gens = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
    c = 1
    for d in values:
        top = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for i in range(5):
            if (top >> i) & 1:
                c ^= gens[i]
    return c ^ 1


def _cashaddr_values(prefix: str, body: str) -> list[int]:
    return [ord(ch) & 31 for ch in prefix] + [0] + [enc.BECH32_CHARSET.index(ch) for ch in body]


def _is_bare_cashaddr(low: str) -> bool:
    # CashAddr without its 'bitcoincash:' prefix: 42 characters starting with q (key hash) or
    # p (script hash), all from the bech32 alphabet, and a valid checksum for that prefix
    if len(low) != 42 or low[0] not in "qp" or any(c not in enc.BECH32_CHARSET for c in low):
        return False
    return cashaddr_polymod(_cashaddr_values("bitcoincash", low)) == 0


# --------------------------------------------------------------------------- Bitcoin


def _network_mismatch(text: str, prefix: str, nets, expected: str) -> AddressError:
    names = " or ".join(nets) if len(nets) < 3 else "testnet, signet or regtest"
    if expected == "mainnet":
        what = "Test coins have no value"
    elif "mainnet" in nets:
        what = "This one is for real money"
    else:
        what = "Test networks are separate chains"
    return AddressError(
        f"This is a {names} address (prefix '{prefix}'), but a {expected} address was expected. "
        f"{what}: check that you copied the right address."
    )


def _choose_network(text: str, prefix: str, nets, network: str | None) -> str:
    if network is None:
        return nets[0]
    if network not in nets:
        raise _network_mismatch(text, prefix, nets, network)
    return network


def _parse_segwit(text: str, network: str | None) -> Address:
    try:
        hrp, witver, program = _decode_segwit_for_people(text)
    except enc.Bech32Error as err:
        raise AddressError(_bech32_message(text, err)) from None
    nets = tuple(n for n, p in enc.NETWORKS.items() if p[2] == hrp)
    chosen = _choose_network(text, hrp + "1", nets, network)
    spk = enc.witness_script_pubkey(witver, program)
    kind = enc.script_type_of(spk)
    if kind == "unknown":
        kind = f"witness_v{witver}"
    low = text.lower()
    return Address(
        text=low, chain="bitcoin", kind=kind, network=chosen, networks=nets,
        payload=program.hex(), script_pubkey=spk.hex(), witness_version=witver, checksum_form=low,
    )  # fmt: skip


def _decode_segwit_for_people(text: str):
    """bech32_decode_segwit, with every rule failure turned into an investigator's message."""
    hrp, data, spec = enc.bech32_decode(text)
    if not data:
        raise AddressError(
            "The address stops right after its prefix: it has no witness version or program. "
            "It is incomplete; copy it again in full."
        )
    witver = data[0]
    if witver > 16:
        raise AddressError(
            f"The character after '{hrp}1' encodes witness version {witver}, but only versions "
            "0 to 16 exist, so this address is invalid; check the first characters against the source."
        )
    try:
        program = bytes(enc.convertbits(data[1:], 5, 8, pad=False))
    except ValueError:
        raise AddressError(
            f"The address has the wrong number of characters ({len(text)}) for its data "
            "(invalid padding): a character is probably missing or extra. Copy it again in full."
        ) from None
    _check_program(text, witver, program)
    wanted = enc.BECH32 if witver == 0 else enc.BECH32M
    if spec != wanted:
        raise AddressError(
            f"This witness version {witver} address carries a {spec} checksum, but BIP-350 "
            f"requires {wanted} for version {witver}"
            + (" (Taproot and later)" if witver else "")
            + ". It was probably made by outdated or faulty software; do not send to it, and ask "
            "for the address again."
        )
    return hrp, witver, program


def _check_program(text: str, witver: int, program: bytes) -> None:
    n = len(program)
    if witver == 0 and n not in (20, 32):
        raise AddressError(
            f"A witness version 0 address holds a 20-byte (P2WPKH, 42 characters) or 32-byte "
            f"(P2WSH, 62 characters) program; this one holds {n} bytes ({len(text)} characters). "
            "Characters are probably missing or extra; copy it again in full."
        )
    if not 2 <= n <= 40:
        raise AddressError(
            f"A SegWit address holds a 2- to 40-byte program (BIP-141); this one holds {n} bytes. "
            "It is invalid; copy it again in full."
        )


def _bech32_message(text: str, err: enc.Bech32Error) -> str:
    low = text.lower()
    if err.reason == "mixed_case":
        hint = ""
        if is_valid_address(low):
            hint = " (In lower case it is valid, but check it against the source.)"
        return (
            "The address mixes upper- and lower-case letters. Bech32 addresses (bc1...) are "
            "written all in lower case or all in upper case, so some software or a person "
            f"changed it. Copy it again from the original source.{hint}"
        )
    if err.reason == "bad_char":
        i = err.positions[0]
        return (
            f"Character {i} ({text[i - 1]!r}) cannot appear in a bc1 address: the letters "
            "b, i, o and the digit 1 are never used after the '1' separator. It is probably "
            "a typo (o for 0, l for 1?); check that character against the source."
        )
    if err.reason == "checksum":
        return _bech32_checksum_message(text, err.positions)
    if err.reason == "too_long":
        return (
            f"The address has {len(text)} characters; a bc1 address has at most 90 (usually 42 "
            "or 62). Something extra was pasted with it; copy only the address."
        )
    return f"This is not a valid bc1 address: {err}. Copy it again from the original source."


def _bech32_checksum_message(text: str, positions) -> str:
    low = text.lower()
    usual = {"q": (42, 62), "p": (62,)}.get(low[low.rfind("1") + 1 : low.rfind("1") + 2], ())
    if usual and len(text) not in usual:
        lengths = " or ".join(str(n) for n in usual)
        return (
            f"The checksum does not match and the address has {len(text)} characters where "
            f"{lengths} are expected: a character is probably missing or extra. "
            "Copy it again in full from the original source."
        )
    if len(positions) == 1:
        i = positions[0]
        return (
            f"The checksum does not match: the address has a typo, most likely at character {i} "
            f"({text[i - 1]!r}). Compare that character with the original source; do not guess a "
            "replacement."
        )
    return (
        "The checksum does not match: at least one character is wrong (more than one typo, so "
        "it cannot be located). Copy the address again from the original source."
    )


def _parse_base58(text: str, network: str | None) -> Address:
    try:
        payload = enc.b58check_decode(text)
    except ValueError:
        raise AddressError(_base58_message(text)) from None
    version, body = payload[0], payload[1:]
    if version in (0x80, 0xEF) and len(body) in (32, 33):
        raise AddressError(_SECRET_WARNING.format(what="a private key in WIF format"))
    if version in _OTHER_VERSIONS and len(body) == 20:
        what, _ = _OTHER_VERSIONS[version]
        raise AddressError(f"This looks like {what}. {_OTHER_CHAIN_TODO}")
    if len(body) != 20:
        raise AddressError(
            f"This Base58Check text holds {len(payload)} bytes, but a Bitcoin address holds 21. "
            "It is not a Bitcoin address; check what kind of identifier it is."
        )
    for kind, index in (("p2pkh", 0), ("p2sh", 1)):
        nets = tuple(n for n, p in enc.NETWORKS.items() if p[index] == version)
        if nets:
            chosen = _choose_network(text, text[0], nets, network)
            spk = enc.script_pubkey_for(kind, body)
            return Address(
                text=text, chain="bitcoin", kind=kind, network=chosen, networks=nets,
                payload=body.hex(), script_pubkey=spk.hex(), checksum_form=text,
            )  # fmt: skip
    raise AddressError(
        f"This is valid Base58Check, but its version byte (0x{version:02x}) is not a Bitcoin "
        f"address type (1..., 3..., m/n..., 2...). It may belong to another cryptocurrency. "
        f"{_OTHER_CHAIN_TODO}"
    )


def _base58_message(text: str) -> str:
    bad = next((i for i, c in enumerate(text, 1) if c not in enc.B58_ALPHABET), None)
    if not 26 <= len(text) <= 35:
        return (
            f"This is not a recognised address: {len(text)} characters, where a Bitcoin address "
            "has 26 to 35 (1.../3...), 42 or 62 (bc1...), an Ethereum address 42 (0x...), a TRON "
            "address 34 (T...). Check that it was copied completely."
        )
    if bad is not None:
        return (
            f"Character {bad} ({text[bad - 1]!r}) cannot appear in a Base58 address (1..., 3..., "
            "T...): Base58 leaves out 0 (zero), O (capital o), I (capital i) and l (lower-case L) "
            "because they look alike. It is probably a typo; check that character against the source."
        )
    return (
        "The checksum does not match: at least one character is wrong (a typo, or a character "
        "changed when copying). Base58 checksums cannot say which one; copy the address again "
        "from the original source."
    )


# --------------------------------------------------------------------------- Ethereum


def eip55_checksum(address: str) -> str:
    """The EIP-55 mixed-case form of a ``0x`` + 40-hex Ethereum address (any case).

    >>> eip55_checksum("0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359")
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359'
    """
    return _eip55(address[2:].lower())


@lru_cache(maxsize=65_536)
def _eip55(body: str) -> str:
    # Keccak in pure Python takes ~1 ms, and the same addresses recur (a sanctions list's
    # versions, a ledger's counterparties): loading the course's lists hashed 315 for 11
    digest = enc.keccak256(body.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest[:40], strict=True)
    )


def _parse_ethereum(text: str, network: str | None) -> Address:
    if not text.lower().startswith("0x"):
        raise AddressError(
            "This is 40 hexadecimal characters without the '0x' prefix. If it is an Ethereum "
            f"address, write it as 0x{text}; if it came from Bitcoin data it may be a key hash."
        )
    body = text[2:]
    bad = next((i for i, c in enumerate(body, 3) if c not in _HEX), None)
    if bad is not None:
        raise AddressError(
            f"Character {bad} ({text[bad - 1]!r}) is not hexadecimal: an Ethereum address is "
            "'0x' followed by 40 characters from 0-9 and a-f. Check that character against the source."
        )
    if len(body) != 40:
        return _eth_wrong_length(text, len(body))
    form = eip55_checksum(text)
    has_letters = any(c.isalpha() for c in body)
    single_case = body == body.lower() or body == body.upper()
    if not single_case and "0x" + body != form:
        raise AddressError(
            "The EIP-55 checksum (the pattern of capital letters) does not match: at least one "
            "character was mistyped or changed. Do not just fix the capitals; copy the address "
            "again from the original source (transaction, screenshot, exchange record)."
        )
    checksummed = has_letters and "0x" + body == form
    return _account("ethereum", form, body.lower(), network, checksummed)


def _eth_wrong_length(text: str, n: int) -> Address:
    hint = "a character is missing" if n < 40 else "a character is extra"
    raise AddressError(
        f"An Ethereum address is '0x' and 40 hexadecimal characters; this one has {n} after "
        f"'0x', so {hint} (or it is another identifier). Copy it again in full."
    )


# --------------------------------------------------------------------------- TRON


def _parse_tron(text: str, network: str | None) -> Address:
    if text.lower().startswith("41"):
        if not set(text) <= _HEX:
            raise AddressError(
                "This starts like a TRON address in hex form (41...) but has non-hex characters; "
                "check it against the source."
            )
        body = bytes.fromhex(text)[1:]
        form = enc.b58check_encode(b"\x41" + body)
        return _account("tron", form, body.hex(), network, checksummed=False)
    if len(text) != 34:
        raise AddressError(
            f"TRON addresses are 34 characters (T...); this one has {len(text)}, so characters "
            "are missing or extra. Check that it was copied completely."
        )
    try:
        payload = enc.b58check_decode(text)
    except ValueError:
        raise AddressError(_base58_message(text)) from None
    if len(payload) != 21 or payload[0] != 0x41:
        raise AddressError(
            f"This starts with 'T' but is not a TRON address: TRON addresses are 34 characters "
            f"holding 0x41 and a 20-byte hash; this one has {len(text)} characters. "
            "Check that it was copied completely."
        )
    return _account("tron", text, payload[1:].hex(), network, checksummed=True)


def _account(chain: str, form: str, payload: str, network, checksummed: bool) -> Address:
    # account-model address formats carry no network: take the caller's word, else mainnet
    return Address(
        text=form, chain=chain, kind="account", network=network or "mainnet", networks=NETWORKS,
        payload=payload, checksummed=checksummed, checksum_form=form,
    )  # fmt: skip
