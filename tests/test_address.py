"""Tests for chaintrace.parse_address: published vectors, and every error message's promise
(what is wrong + what to do)."""

import hashlib

import chaintrace
import pytest
from chaintrace import encoding as enc
from chaintrace.address import Address, AddressError, is_valid_address, parse_address

# --------------------------------------------------------------------------- Bitcoin: valid

# BIP-173/BIP-350 valid addresses (from BIP-350's table), with their scriptPubKeys
BIP350_VALID = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6",
     "p2wpkh", "mainnet", 0),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
     "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", "p2wsh", "testnet", 0),
    ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
     "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
     "witness_v1", "mainnet", 1),
    ("BC1SW50QGDZ25J", "6002751e", "witness_v16", "mainnet", 16),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323",
     "witness_v2", "mainnet", 2),
    ("tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
     "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", "p2wsh", "testnet", 0),
    ("tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
     "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", "p2tr", "testnet", 1),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "p2tr", "mainnet", 1),
]  # fmt: skip


@pytest.mark.parametrize("text,spk,kind,network,witver", BIP350_VALID)
def test_bip350_valid_addresses(text, spk, kind, network, witver):
    a = parse_address(text)
    assert a.chain == "bitcoin"
    assert a.text == text.lower()
    assert a.script_pubkey == spk
    assert a.kind == kind
    assert a.network == network
    assert a.witness_version == witver
    assert a.checksummed and a.checksum_form == a.text
    assert is_valid_address(text)


@pytest.mark.parametrize(
    "text,kind,spk",
    [
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "p2pkh",
         "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac"),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "p2sh",
         "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87"),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "p2pkh",
         "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"),
    ],
)  # fmt: skip
def test_base58check_addresses(text, kind, spk):
    a = parse_address(text)
    assert (a.chain, a.kind, a.network, a.networks) == ("bitcoin", kind, "mainnet", ("mainnet",))
    assert a.script_pubkey == spk
    assert a.witness_version is None
    assert str(a) == text
    assert repr(a) == f"Address({text!r}, chain='bitcoin', kind={kind!r}, network='mainnet')"


@pytest.mark.parametrize("network", ["mainnet", "testnet", "signet", "regtest"])
@pytest.mark.parametrize("kind", ["p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"])
def test_every_type_on_every_network(kind, network):
    payload = hashlib.sha256(f"{kind}{network}".encode()).digest()[: enc._PAYLOAD_LEN[kind]]
    text = enc.make_address(kind, payload, network)
    a = parse_address(text, network=network)
    assert (a.kind, a.network, a.payload) == (kind, network, payload.hex())
    assert network in a.networks
    assert bytes.fromhex(a.script_pubkey) == enc.address_to_script_pubkey(text)


def test_testnet_and_signet_share_prefixes():
    a = parse_address("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx")
    assert a.network == "testnet" and a.networks == ("testnet", "signet")
    assert parse_address(a.text, network="signet").network == "signet"


def test_address_is_immutable_and_hashable():
    a = parse_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    with pytest.raises(AttributeError):
        a.kind = "p2sh"
    assert len({a, parse_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")}) == 1


def test_public_names_are_exported():
    assert chaintrace.parse_address is parse_address
    assert chaintrace.Address is Address
    assert chaintrace.AddressError is AddressError
    assert issubclass(AddressError, ValueError)


# --------------------------------------------------------------------------- Bitcoin: invalid

# BIP-350 invalid addresses, with words the message must contain
BIP350_INVALID = [
    ("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", "not a Bitcoin network"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "requires bech32m"),
    ("tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", "requires bech32m"),
    ("BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "requires bech32m"),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "requires bech32 for version 0"),
    ("tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", "requires bech32 for"),
    ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "cannot appear"),
    ("BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "version 17"),
    ("bc1pw5dgrnzv", "2- to 40-byte"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", "2- to 40"),
    ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "holds 16 bytes"),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixes upper"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "padding"),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "padding"),
    ("bc1gmk9yu", "no witness version"),
]


@pytest.mark.parametrize("text,words", BIP350_INVALID)
def test_bip350_invalid_addresses(text, words):
    with pytest.raises(AddressError, match=words):
        parse_address(text)
    assert not is_valid_address(text)


def _message(text, **kw) -> str:
    with pytest.raises(AddressError) as err:
        parse_address(text, **kw)
    return str(err.value)


GOOD_BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def test_bech32_typo_position_is_reported():
    typo = GOOD_BECH32[:19] + "x" + GOOD_BECH32[20:]  # character 20 changed
    msg = _message(typo)
    assert "checksum does not match" in msg and "character 20 ('x')" in msg
    assert "Compare that character with the original source" in msg


def test_bech32_two_typos_cannot_be_located():
    typo = GOOD_BECH32[:9] + "xx" + GOOD_BECH32[11:]
    msg = _message(typo)
    assert "at least one character is wrong" in msg and "Copy the address again" in msg


def test_bech32_missing_character_reports_length():
    msg = _message(GOOD_BECH32[:-1])
    assert "41 characters where 42 or 62 are expected" in msg
    assert "missing or extra" in msg


def test_mixed_case_bech32():
    msg = _message(GOOD_BECH32[:-1] + "Q")
    assert "mixes upper- and lower-case" in msg and "Copy it again" in msg
    assert "In lower case it is valid" in msg
    assert parse_address(GOOD_BECH32.upper()).text == GOOD_BECH32  # all upper is fine


def test_bech32_invalid_character_is_named():
    msg = _message(GOOD_BECH32[:10] + "o" + GOOD_BECH32[11:])
    assert "Character 11 ('o')" in msg and "check that character" in msg


def test_base58_checksum_and_characters():
    msg = _message("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")
    assert "checksum does not match" in msg and "copy the address again" in msg
    msg = _message("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNV0")
    assert "Character 33 ('0')" in msg and "0 (zero)" in msg


@pytest.mark.parametrize("text", ["1BvBMSEYstWetqTF", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2NVN2xx"])
def test_wrong_length(text):
    msg = _message(text)
    assert f"{len(text)} characters" in msg and "copied completely" in msg


def test_wrong_network():
    msg = _message("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", network="mainnet")
    assert "testnet or signet address" in msg and "mainnet address was expected" in msg
    assert "check that you copied the right address" in msg
    msg = _message("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", network="testnet")
    assert "mainnet address" in msg and "real money" in msg
    msg = _message("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", network="testnet")
    assert "regtest address" in msg
    msg = _message("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", network="litecoin")
    assert "Unknown network 'litecoin'" in msg and "mainnet, testnet, signet, regtest" in msg


# --------------------------------------------------------------------------- pasting mistakes


@pytest.mark.parametrize(
    "text,where,name",
    [
        (" " + GOOD_BECH32, "at the start or end", "a space"),
        (GOOD_BECH32 + "\n", "at the start or end", "a line break"),
        (GOOD_BECH32[:20] + "\u200b" + GOOD_BECH32[20:], "inside it", "ZERO WIDTH SPACE"),
        ("\ufeff1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "at the start or end", "ZERO WIDTH NO-BREAK"),
        ("1BvBMSEYst WetqTFn5Au4m4GFg7xJaNVN2", "inside it", "a space"),
    ],
)
def test_whitespace_and_invisible_characters(text, where, name):
    msg = _message(text)
    assert where in msg and name in msg
    assert "strip()" in msg and "Without it the address is valid" in msg
    assert ("delete them" in msg) == (where == "inside it")


def test_lookalike_unicode_letter_is_named():
    msg = _message(GOOD_BECH32[:-1] + "\u043e")  # Cyrillic o
    assert "CYRILLIC SMALL LETTER O" in msg and "retype that character" in msg


def test_txid_pasted_as_address():
    txid = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
    for text in (txid, "0x" + txid):
        msg = _message(text)
        assert "transaction id" in msg and "Look it up as a transaction" in msg


def test_private_keys_are_flagged_as_sensitive():
    # the WIF of private key 1 is nobody's secret: it is the textbook example
    wif = enc.b58check_encode(b"\x80" + (1).to_bytes(32, "big") + b"\x01")
    msg = _message(wif)
    assert "private key" in msg and "NOT an address" in msg and "sensitive evidence" in msg


def test_extended_keys_invoices_uris_and_names():
    xpub = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"  # BIP-32 test vector 1, m
    assert "extended public key" in _message(xpub)
    assert "Lightning" in _message("lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqf")
    msg = _message("bitcoin:" + GOOD_BECH32 + "?amount=0.1")
    assert "payment link" in msg and msg.endswith(GOOD_BECH32)
    assert "ENS name" in _message("vitalik.eth")


def test_empty_and_non_text():
    assert "empty" in _message("")
    assert "empty" in _message("   ")
    with pytest.raises(AddressError, match="Pass the address as a string"):
        parse_address(b"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")


# --------------------------------------------------------------------------- other chains


def test_litecoin_addresses():
    for text, start in [
        (enc.b58check_encode(b"\x30" + bytes(range(20))), "'L'"),
        (enc.b58check_encode(b"\x32" + bytes(range(20))), "'M'"),
        (enc.bech32_encode_segwit("ltc", 0, bytes(20)), "'ltc1'"),
    ]:
        msg = _message(text)
        assert "looks like a Litecoin address" in msg and start in msg
        assert "check which chain the case is about" in msg


@pytest.mark.parametrize(
    "text",
    [
        # CashAddr spec examples (the same key hash as 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu)
        "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
        "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
        "BITCOINCASH:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A",
    ],
)
def test_bitcoin_cash_cashaddr(text):
    msg = _message(text)
    assert "Bitcoin Cash" in msg and "check which chain" in msg


def test_dogecoin_is_named():
    assert "Dogecoin" in _message(enc.b58check_encode(b"\x1e" + bytes(range(20))))


# --------------------------------------------------------------------------- Ethereum (EIP-55)

# the examples in EIP-55's text
EIP55_CHECKSUMMED = [
    "0x52908400098527886E0F7030069857D2E4169EE7",  # all caps
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",  # all lower
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # normal
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("text", EIP55_CHECKSUMMED)
def test_eip55_examples(text):
    a = parse_address(text)
    assert (a.chain, a.kind) == ("ethereum", "account")
    assert a.checksum_form == a.text == text
    assert a.checksummed
    assert a.payload == text[2:].lower()
    # written in one case, the same address is accepted as unchecksummed (unless that case
    # happens to be its checksum form, as for EIP-55's all-caps and all-lower examples)
    for variant in ("0x" + text[2:].lower(), "0x" + text[2:].upper()):
        b = parse_address(variant)
        assert b.checksum_form == text
        assert b.checksummed == (variant == text)


def test_keccak256_matches_sha3_permutation():
    # hashlib's sha3_256 runs the same Keccak-f permutation with another padding byte
    for n in (0, 1, 135, 136, 137, 272, 300):
        data = bytes(range(256)) * 2
        assert enc._keccak_sponge(data[:n], 0x06) == hashlib.sha3_256(data[:n]).digest()
    assert enc.keccak256(b"abc").hex() == (
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    )


def test_bad_eip55_checksum_is_not_silently_fixed():
    good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    bad = good[:-1] + "D"
    msg = _message(bad)
    assert "EIP-55 checksum" in msg and "mistyped" in msg
    assert "copy the address again" in msg
    assert good not in msg  # a bad checksum means a typo: never suggest a "fixed" address
    # a hex digit typo with the capitals unchanged is also caught
    typo = good[:5] + "7" + good[6:]
    assert "EIP-55 checksum" in _message(typo)


def test_ethereum_length_characters_and_prefix():
    assert "has 39 after '0x'" in _message("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe")
    assert "has 41 after '0x'" in _message("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0")
    msg = _message("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg")
    assert "Character 42 ('g') is not hexadecimal" in msg
    msg = _message("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
    assert "without the '0x' prefix" in msg and "0x5aaeb6053f" in msg


def test_ethereum_network_is_taken_as_given():
    a = parse_address("0xde709f2102306220921060314715629080e2fb77", network="testnet")
    assert a.network == "testnet"
    assert parse_address("0xde709f2102306220921060314715629080e2fb77").network == "mainnet"


# --------------------------------------------------------------------------- TRON

USDT_TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # Tether's USDT contract on TRON


def test_tron_address():
    a = parse_address(USDT_TRON)
    assert (a.chain, a.kind, a.text, a.checksummed) == ("tron", "account", USDT_TRON, True)
    assert a.payload == "a614f803b6fd780986a42c78ec9c7f77e6ded13c"
    assert a.script_pubkey is None and a.witness_version is None


def test_tron_hex_form_is_normalised():
    a = parse_address("41a614f803b6fd780986a42c78ec9c7f77e6ded13c")
    assert a.text == USDT_TRON and not a.checksummed


def test_tron_errors():
    msg = _message(USDT_TRON[:-1] + "u")
    assert "checksum does not match" in msg and "copy the address again" in msg
    msg = _message(USDT_TRON[:-1])
    assert "TRON addresses are 34 characters" in msg and "has 33" in msg
    assert "(capital o)" in _message(USDT_TRON[:-1] + "O")


def test_is_valid_address_with_network():
    assert is_valid_address(USDT_TRON)
    assert is_valid_address("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", network="signet")
    assert not is_valid_address("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", network="mainnet")
    assert not is_valid_address(None)
