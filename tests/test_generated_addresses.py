"""Every address in the bundled data passes an independent validator.

The generator and `chaintrace.parse_address` share `chaintrace.encoding`, so a bug there could
make both agree on a wrong address. This test checks the data with code that shares nothing
with the package: the reference bech32/bech32m decoder published with BIP-350 (Pieter Wuille,
MIT licence; `segwit_addr.py`, transcribed) and a Base58Check decoder written from its
definition. (Python's standard library has no Keccak-256, so Ethereum addresses are checked for
shape here; their EIP-55 checksums are tested against the EIP's vectors in test_address.py.)
"""

import hashlib

import pandas as pd
from chaintrace import load_dataset

# --- BIP-350 reference implementation (segwit_addr.py), transcribed ---------------------------
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32_CONST, BECH32M_CONST = 1, 0x2BC830A3


def bech32_polymod(values):
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if ((top >> i) & 1) else 0
    return chk


def bech32_hrp_expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def bech32_decode(bech):
    if any(ord(x) < 33 or ord(x) > 126 for x in bech) or (
        bech.lower() != bech and bech.upper() != bech
    ):
        return None, None, None
    bech = bech.lower()
    pos = bech.rfind("1")
    if pos < 1 or pos + 7 > len(bech) or len(bech) > 90:
        return None, None, None
    if not all(x in CHARSET for x in bech[pos + 1 :]):
        return None, None, None
    hrp, data = bech[:pos], [CHARSET.find(x) for x in bech[pos + 1 :]]
    const = bech32_polymod(bech32_hrp_expand(hrp) + data)
    spec = "bech32" if const == BECH32_CONST else "bech32m" if const == BECH32M_CONST else None
    if spec is None:
        return None, None, None
    return hrp, data[:-6], spec


def convertbits(data, frombits, tobits, pad=True):
    acc, bits, ret, maxv = 0, 0, [], (1 << tobits) - 1
    for value in data:
        if value < 0 or (value >> frombits):
            return None
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad and bits:
        ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return ret


def segwit_decode(hrp, addr):
    hrpgot, data, spec = bech32_decode(addr)
    if hrpgot != hrp:
        return None, None
    decoded = convertbits(data[1:], 5, 8, False)
    if decoded is None or len(decoded) < 2 or len(decoded) > 40 or data[0] > 16:
        return None, None
    if data[0] == 0 and len(decoded) != 20 and len(decoded) != 32:
        return None, None
    if (data[0] == 0 and spec != "bech32") or (data[0] != 0 and spec != "bech32m"):
        return None, None
    return data[0], decoded


# --- Base58Check, from its definition ------------------------------------------------------
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check_payload(text):
    number = 0
    for char in text:
        number = number * 58 + B58.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(text) - len(text.lstrip("1"))) + raw
    body, checksum = raw[:-4], raw[-4:]
    assert hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] == checksum, text
    return body


def valid_mainnet(address: str, script_type: str) -> bool:
    if address.startswith("bc1"):
        version, program = segwit_decode("bc", address)
        expected = {"p2wpkh": (0, 20), "p2wsh": (0, 32), "p2tr": (1, 32)}[script_type]
        return (version, len(program or [])) == expected
    body = base58check_payload(address)
    prefix = {"p2pkh": 0x00, "p2sh": 0x05}[script_type]
    return len(body) == 21 and body[0] == prefix


def test_every_bitcoin_address_in_the_course_data_is_valid_mainnet():
    outputs = load_dataset().outputs
    with_address = outputs[outputs["script_type"] != "op_return"]
    pairs = with_address[["address", "script_type"]].drop_duplicates()
    bad = [(a, t) for a, t in pairs.itertuples(index=False) if not valid_mainnet(a, t)]
    assert len(pairs) > 1_000
    assert set(pairs["script_type"]) == {"p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"}
    assert not bad, f"{len(bad)} invalid addresses, e.g. {bad[:3]}"


def test_the_reference_decoder_accepts_a_real_address_and_rejects_its_typos():
    real = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"  # a well-known mainnet P2WPKH address
    assert segwit_decode("bc", real)[0] == 0
    for i in range(4, len(real)):
        typo = real[:i] + ("q" if real[i] != "q" else "p") + real[i + 1 :]
        assert segwit_decode("bc", typo) == (None, None)
    assert segwit_decode("bc", real.upper())[0] == 0
    assert segwit_decode("bc", real[:10].upper() + real[10:]) == (None, None)  # mixed case


def test_account_addresses_have_the_ethereum_shape():
    transfers = load_dataset().transfers
    eth = transfers[transfers["chain"] == "ethereum"]
    addresses = pd.concat([eth["from"], eth["to"]]).unique()
    for address in addresses:
        assert address.startswith("0x") and len(address) == 42
        int(address[2:], 16)
        assert address[2:] != address[2:].lower() or address[2:].isdigit(), (
            "EIP-55 mixed case expected"
        )


def test_tron_addresses_are_base58check_with_the_0x41_prefix():
    transfers = load_dataset().transfers
    tron = transfers[transfers["chain"] == "tron"]
    assert len(tron) > 100
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    for address in pd.concat([tron["from"], tron["to"]]).unique():
        number = 0
        for c in address:  # Base58 from its definition, not through the toolkit's decoder
            number = number * 58 + alphabet.index(c)
        raw = number.to_bytes(25, "big")
        assert raw[0] == 0x41 and address.startswith("T") and len(address) == 34
        assert hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]
