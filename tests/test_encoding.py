"""Tests for chaintrace.encoding against published vectors (RIPEMD-160 paper, BIP-173, BIP-350)."""

import hashlib

import pytest
from chaintrace import encoding as enc

# RIPEMD-160 test vectors from Dobbertin, Bosselaers & Preneel, "RIPEMD-160: A strengthened
# version of RIPEMD" (1996), appendix.
RIPEMD_VECTORS = [
    (b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (b"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
    (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
    (b"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
    (
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "12a053384a9c0c88e405a06c27dcf49ada62eb2b",
    ),
    (
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "b0e20b6e3116640286ed3a87a5713079b21f5189",
    ),
    (b"1234567890" * 8, "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
]


@pytest.mark.parametrize("message,digest", RIPEMD_VECTORS)
def test_pure_python_ripemd160_matches_published_vectors(message, digest):
    assert enc.ripemd160_py(message).hex() == digest
    assert enc.ripemd160(message).hex() == digest


def test_pure_python_ripemd160_at_padding_block_edges():
    # lengths around the 55/56/64-byte padding boundaries, checked against hashlib when present
    try:
        hashlib.new("ripemd160")
    except ValueError:
        pytest.skip("hashlib has no ripemd160 to compare with")
    for n in (54, 55, 56, 57, 63, 64, 65, 119, 120, 128):
        data = bytes(range(n))
        assert enc.ripemd160_py(data) == hashlib.new("ripemd160", data).digest()


def test_hash160_of_a_known_public_key():
    # the compressed generator point G (private key 1): its P2PKH address is well known
    g = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    assert enc.hash160(g).hex() == "751e76e8199196d454941c45d1b3a323f1433bd6"
    assert enc.make_address("p2pkh", enc.hash160(g)) == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"


def test_sha256d():
    assert enc.sha256d(b"").hex() == (
        "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
    )


# --------------------------------------------------------------------------- Base58Check


@pytest.mark.parametrize(
    "address,payload",
    [
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "0077bff20c60e522dfaa3350c39b030a5d004e839a"),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "05b472a266d0bd89c13706a4132ccfb16f7c3b9fcb"),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "0062e907b15cbf27d5425399ebf6f0fb50ebb88f18"),
    ],
)
def test_base58check_round_trip(address, payload):
    assert enc.b58check_decode(address).hex() == payload
    assert enc.b58check_encode(bytes.fromhex(payload)) == address


def test_base58_leading_zeros_are_ones():
    assert enc.b58encode(b"\0\0\0") == "111"
    assert enc.b58decode("111") == b"\0\0\0"
    assert enc.b58decode("") == b""


def test_base58check_rejects_bad_checksum_and_characters():
    with pytest.raises(ValueError, match="checksum does not match"):
        enc.b58check_decode("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")
    with pytest.raises(ValueError, match=r"character 'l' at position 3"):
        enc.b58check_decode("1Bl")
    with pytest.raises(ValueError, match="too short"):
        enc.b58check_decode("1")


# --------------------------------------------------------------------------- bech32 (BIP-173, BIP-350)

# BIP-173 "Test vectors: valid bech32 strings" and BIP-350 valid bech32m strings
VALID_BECH32 = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11" + "q" * 82 + "c8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]
VALID_BECH32M = [
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11" + "l" * 83 + "udsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
]


@pytest.mark.parametrize("text", VALID_BECH32)
def test_bip173_valid_strings(text):
    hrp, data, spec = enc.bech32_decode(text)
    assert spec == enc.BECH32
    assert enc.bech32_encode(hrp, data, spec) == text.lower()


@pytest.mark.parametrize("text", VALID_BECH32M)
def test_bip350_valid_strings(text):
    hrp, data, spec = enc.bech32_decode(text)
    assert spec == enc.BECH32M
    assert enc.bech32_encode(hrp, data, spec) == text.lower()


# BIP-173 invalid bech32 strings (and BIP-350's bech32m equivalents), with the reason each fails
INVALID_BECH32 = [
    ("\x201nwldj5", "bad_hrp_char"),  # HRP character out of range
    ("\x7f1axkwrx", "bad_hrp_char"),
    ("\x801eym55h", "bad_hrp_char"),
    (
        "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
        "too_long",
    ),
    ("pzry9x0s0muk", "no_separator"),
    ("1pzry9x0s0muk", "empty_hrp"),
    ("x1b4n0q5v", "bad_char"),
    ("li1dgmt3", "too_short"),
    ("de1lg7wt\xff", "bad_hrp_char"),
    ("A1G7SGD8", "checksum"),  # checksum calculated with uppercase form of HRP
    ("10a06t8", "empty_hrp"),
    ("1qzzfhee", "empty_hrp"),
    # BIP-350
    ("\x201xj0phk", "bad_hrp_char"),
    ("\x7f1g6xzxy", "bad_hrp_char"),
    ("\x801vctc34", "bad_hrp_char"),
    (
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "too_long",
    ),
    ("qyrz8wqd2c9m", "no_separator"),
    ("1qyrz8wqd2c9m", "empty_hrp"),
    ("y1b0jsk6g", "bad_char"),
    ("lt1igcx5c0", "bad_char"),
    ("in1muywd", "too_short"),
    ("mm1crxm3i", "bad_char"),
    ("au1s5cgom", "bad_char"),
    ("M1VUXWEZ", "checksum"),
    ("16plkw9", "empty_hrp"),
    ("1p2gdwpf", "empty_hrp"),
]


@pytest.mark.parametrize("text,reason", INVALID_BECH32)
def test_bip173_bip350_invalid_strings(text, reason):
    with pytest.raises(enc.Bech32Error) as err:
        enc.bech32_decode(text)
    assert err.value.reason == reason


def test_checksum_error_locates_a_single_typo():
    good = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    for i in (4, 15, len(good)):  # 1-based positions: in the data and in the checksum
        wrong = "q" if good[i - 1] != "q" else "p"
        typo = good[: i - 1] + wrong + good[i:]
        with pytest.raises(enc.Bech32Error) as err:
            enc.bech32_decode(typo)
        assert err.value.reason == "checksum"
        assert err.value.positions == (i,)
        assert f"character {i}" in str(err.value)


def test_mixed_case_is_rejected():
    with pytest.raises(enc.Bech32Error, match="mixes upper and lower case") as err:
        enc.bech32_decode("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdQ")
    assert err.value.reason == "mixed_case"


# BIP-350 "Test vectors for v0-v16 native segregated witness addresses": valid addresses with
# their scriptPubKeys
VALID_SEGWIT = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
]


@pytest.mark.parametrize("address,spk", VALID_SEGWIT)
def test_bip350_valid_segwit_addresses(address, spk):
    hrp, witver, program = enc.bech32_decode_segwit(address)
    assert enc.witness_script_pubkey(witver, program).hex() == spk
    assert enc.bech32_encode_segwit(hrp, witver, program) == address.lower()
    assert (
        enc.script_pubkey_to_address(bytes.fromhex(spk), "mainnet" if hrp == "bc" else "testnet")
        == address.lower()
    )


# BIP-350 invalid segwit addresses
INVALID_SEGWIT = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",  # invalid hrp
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # v1 with bech32
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",  # v2 with bech32
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # v16 with bech32
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # v0 with bech32m
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",  # v0 with bech32m
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # bad char in program
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # version 17
    "bc1pw5dgrnzv",  # program 1 byte
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",  # 41 bytes
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 program of 16 bytes
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",  # mixed case
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # zero padding > 4 bits
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",  # non-zero padding
    "bc1gmk9yu",  # empty data section
]


@pytest.mark.parametrize("address", INVALID_SEGWIT)
def test_bip350_invalid_segwit_addresses(address):
    with pytest.raises(ValueError):
        enc.decode_address(address)


def test_segwit_version_rules_have_clear_messages():
    v1_bech32 = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"
    with pytest.raises(ValueError, match="must use the bech32m checksum"):
        enc.bech32_decode_segwit(v1_bech32)
    with pytest.raises(ValueError, match="version 17 does not exist"):
        enc.bech32_decode_segwit("BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R")
    with pytest.raises(ValueError, match="20-byte .* or 32-byte"):
        enc.bech32_decode_segwit("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P")


# --------------------------------------------------------------------------- addresses and scripts

NETS = ("mainnet", "testnet", "signet", "regtest")


@pytest.mark.parametrize("network", NETS)
@pytest.mark.parametrize("kind", enc.SCRIPT_TYPES)
def test_make_address_round_trips_through_script_pubkey(kind, network):
    payload = bytes(range(1, 1 + enc._PAYLOAD_LEN[kind]))
    address = enc.make_address(kind, payload, network)
    kind2, nets, spk = enc.decode_address(address)
    assert kind2 == kind == enc.script_type_of(spk)
    assert network in nets
    assert enc.script_pubkey_to_address(spk, network) == address


def test_address_prefixes_per_network():
    h20, h32 = bytes(20), bytes(32)
    assert enc.make_address("p2pkh", h20)[0] == "1"
    assert enc.make_address("p2sh", h20)[0] == "3"
    assert enc.make_address("p2pkh", h20, "testnet")[0] in "mn"
    assert enc.make_address("p2sh", h20, "signet")[0] == "2"
    assert enc.make_address("p2wsh", h32, "testnet").startswith("tb1q")
    assert enc.make_address("p2tr", h32).startswith("bc1p")
    assert enc.make_address("p2wpkh", h20, "regtest").startswith("bcrt1q")


def test_make_address_rejects_wrong_payload_or_network():
    with pytest.raises(ValueError, match="p2wsh payload is 32 bytes, not 20"):
        enc.make_address("p2wsh", bytes(20))
    with pytest.raises(ValueError, match="unknown script type 'p2pk'"):
        enc.make_address("p2pk", bytes(20))
    with pytest.raises(ValueError, match="unknown network 'litecoin'"):
        enc.make_address("p2pkh", bytes(20), "litecoin")


def test_script_type_of_every_kind():
    keys = [bytes([2]) + bytes([i]) * 32 for i in range(3)]
    bare = enc.multisig_redeem_script(1, keys)
    assert enc.script_type_of(bare) == "multisig"
    assert enc.script_pubkey_to_address(bare) is None
    assert enc.script_type_of(b"\x6a") == "op_return"
    assert enc.script_type_of(bytes.fromhex("5210751e76e8199196d454941c45d1b3a323")) == "unknown"
    # a future witness version still has an address (BIP-350), though its type is unknown
    assert enc.script_pubkey_to_address(bytes.fromhex("6002751e")) == "bc1sw50qgdz25j"
    assert enc.script_type_of(b"\x41" + bytes(65) + b"\xac") == "unknown"  # P2PK


def test_multisig_redeem_script_layout_and_limits():
    keys = [bytes([3]) + bytes([i]) * 32 for i in range(3)]
    script = enc.multisig_redeem_script(2, keys)
    assert script[0] == 0x52 and script[-2] == 0x53 and script[-1] == 0xAE
    assert script[1] == 33 and len(script) == 3 + 3 * 34
    with pytest.raises(ValueError, match="3-of-2"):
        enc.multisig_redeem_script(3, keys[:2])
    with pytest.raises(ValueError, match="33 or 65 bytes"):
        enc.multisig_redeem_script(1, [bytes(20)])


def test_known_p2sh_multisig_address():
    # a P2SH address is base58check(0x05 || hash160(redeem script))
    keys = [bytes([2]) + bytes([i]) * 32 for i in range(1, 4)]
    script = enc.multisig_redeem_script(2, keys)
    address = enc.make_address("p2sh", enc.hash160(script))
    assert enc.b58check_decode(address) == b"\x05" + enc.hash160(script)
    assert enc.address_to_script_pubkey(address) == (b"\xa9\x14" + enc.hash160(script) + b"\x87")


def test_decode_address_rejects_unknown_version_byte():
    litecoin_like = enc.b58check_encode(b"\x30" + bytes(20))  # Litecoin P2PKH version
    with pytest.raises(ValueError, match="version byte 0x30"):
        enc.decode_address(litecoin_like)
