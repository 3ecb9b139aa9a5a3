"""Tests for chaintrace.rawtx: real mainnet transactions, round trips, sizes of synthetic spends."""

import pytest
from chaintrace import encoding as enc
from chaintrace import rawtx

# Block 170: the first bitcoin payment (Satoshi to Hal Finney, 12 Jan 2009), a legacy P2PK spend.
BLOCK170_TXID = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
BLOCK170_HEX = (
    "0100000001c997a5e56e104102fa209c6a852dd90660a20b2d9c352423edce25857fcd37"
    "04000000004847304402204e45e16932b8af514961a1d3a1a25fdf3f4f7732e9d624c6c6"
    "1548ab5fb8cd410220181522ec8eca07de4860a4acdd12909d831cc56cbbac4622082221"
    "a8768d1d0901ffffffff0200ca9a3b00000000434104ae1a62fe09c5f51b13905f07f06b"
    "99a2f7159b2225f374cd378d71302fa28414e7aab37397f554a7df5f142c21c1b7303b8a"
    "0626f1baded5c72a704f7e6cd84cac00286bee0000000043410411db93e1dcdb8a016b49"
    "840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e16"
    "0bfa9b8b64f9d4c03f999b8643f656b412a3ac00000000"
)
# The first mainnet spend of a P2TR output (block 709,635, 14 Nov 2021): a key-path spend with
# an OP_RETURN output, as used in Bitcoin Core's libbitcoinkernel tests.
TAPROOT_TXID = "33e794d097969002ee05d336686fc03c9e15a597c1b9827669460fac98799036"
TAPROOT_HEX = (
    "01000000000101d1f1c1f8cdf6759167b90f52c9ad358a369f95284e841d7a2536cef31c"
    "0549580100000000fdffffff020000000000000000316a2f49206c696b65205363686e6f"
    "7272207369677320616e6420492063616e6e6f74206c69652e204062697462756734329e"
    "06010000000000225120a37c3903c8d0db6512e2b40b0dffa05e5a3ab73603ce8c9c4b77"
    "71e5412328f90140a60c383f71bac0ec919b1d7dbc3eb72dd56e7aa99583615564f9f99b"
    "8ae4e837b758773a5b2e4c51348854c8389f008e05029db7f464a5ff2e01d5e6e626174a"
    "ffd30a00"
)


def test_txid_of_block_170_payment():
    raw = bytes.fromhex(BLOCK170_HEX)
    assert rawtx.txid(raw) == BLOCK170_TXID
    assert rawtx.txid(BLOCK170_HEX) == BLOCK170_TXID
    assert rawtx.wtxid(raw) == BLOCK170_TXID  # no witness: the two ids agree
    tx = rawtx.parse(raw)
    assert tx["version"] == 1 and tx["locktime"] == 0
    assert tx["inputs"][0]["prev_txid"] == (
        "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9"
    )
    assert [o["value"] for o in tx["outputs"]] == [10 * 10**8, 40 * 10**8]
    assert rawtx.size(raw) == rawtx.vsize(raw) == 275
    assert rawtx.weight(raw) == 4 * 275


def test_txid_of_first_taproot_spend_ignores_the_witness():
    raw = bytes.fromhex(TAPROOT_HEX)
    tx = rawtx.parse(raw)
    assert rawtx.txid(raw) == TAPROOT_TXID
    assert rawtx.txid(tx) == TAPROOT_TXID
    assert rawtx.wtxid(raw) != TAPROOT_TXID
    witness = tx["inputs"][0]["witness"]
    assert [len(item) for item in witness] == [64]  # a Schnorr signature, SIGHASH_DEFAULT
    assert tx["inputs"][0]["sequence"] == 0xFFFFFFFD
    assert enc.script_type_of(tx["outputs"][0]["script_pubkey"]) == "op_return"
    assert enc.script_type_of(tx["outputs"][1]["script_pubkey"]) == "p2tr"
    assert tx["outputs"][1]["value"] == 67_230  # of the 88,480 sat spent
    assert tx["locktime"] == 709_631
    assert rawtx.size(raw) == len(raw)
    assert rawtx.base_size(raw) == len(raw) - 2 - 66  # marker+flag, then 1+1+64 witness
    assert rawtx.vsize(raw) == -(-(rawtx.base_size(raw) * 3 + len(raw)) // 4)


@pytest.mark.parametrize("hexdata", [BLOCK170_HEX, TAPROOT_HEX])
def test_round_trip(hexdata):
    raw = bytes.fromhex(hexdata)
    assert rawtx.serialize(rawtx.parse(raw)) == raw


def test_parse_rejects_truncated_and_trailing_data():
    raw = bytes.fromhex(BLOCK170_HEX)
    with pytest.raises(ValueError, match="truncated"):
        rawtx.parse(raw[:-1])
    with pytest.raises(ValueError, match="1 bytes left over"):
        rawtx.parse(raw + b"\0")


def test_serialize_rejects_bad_prev_txid():
    tx = {
        "version": 1,
        "locktime": 0,
        "inputs": [{"prev_txid": "ab", "prev_vout": 0, "script_sig": b"", "sequence": 0}],
        "outputs": [],
    }
    with pytest.raises(ValueError, match="64 hex characters"):
        rawtx.serialize(tx)


def test_large_counts_use_multibyte_varints():
    outs = [{"value": i, "script_pubkey": b"\x6a"} for i in range(300)]
    inp = {"prev_txid": "11" * 32, "prev_vout": 70_000, "script_sig": b"", "sequence": 1}
    tx = {"version": 2, "locktime": 0, "inputs": [inp], "outputs": outs}
    raw = rawtx.serialize(tx)
    assert raw[4 + 1 + 41] == 0xFD  # output count 300 needs the 3-byte form
    back = rawtx.parse(raw)
    assert back["outputs"] == outs and back["inputs"][0]["prev_vout"] == 70_000


# --------------------------------------------------------------------------- synthetic spends


def _spend(kinds, out_kind, n_out=2, m_of_n=None):
    """A transaction spending one output of each kind in ``kinds`` into ``n_out`` outputs."""
    inputs = []
    for i, kind in enumerate(kinds):
        script_sig, witness = rawtx.synth_unlocking(kind, bytes([i]) * 8, m_of_n)
        inputs.append(
            {
                "prev_txid": enc.sha256(bytes([i])).hex(),
                "prev_vout": i,
                "script_sig": script_sig,
                "sequence": 0xFFFFFFFD,
                "witness": witness,
            }
        )
    payload = bytes(20 if out_kind in ("p2pkh", "p2sh", "p2wpkh") else 32)
    spk = enc.script_pubkey_for(out_kind, payload)
    outputs = [{"value": 10_000 + j, "script_pubkey": spk} for j in range(n_out)]
    return {"version": 2, "locktime": 0, "inputs": inputs, "outputs": outputs}


def test_published_sizes_of_typical_payments():
    # The usual rule-of-thumb sizes (e.g. Bitcoin Optech's size calculator):
    # 1-in-2-out P2PKH 226 bytes, P2WPKH 141 vB, P2TR ~154 vB (DER signatures of 71 or 72 bytes)
    for seed in range(20):
        sizes = {}
        for kind, out in (("p2pkh", "p2pkh"), ("p2wpkh", "p2wpkh"), ("p2tr", "p2tr")):
            sig, wit = rawtx.synth_unlocking(kind, bytes([seed]) * 4)
            tx = _spend([kind], out)
            tx["inputs"][0]["script_sig"], tx["inputs"][0]["witness"] = sig, wit
            sizes[kind] = rawtx.vsize(tx)
        assert 225 <= sizes["p2pkh"] <= 227
        assert 140 <= sizes["p2wpkh"] <= 142
        assert sizes["p2tr"] == 154


def test_synthetic_p2pkh_has_no_witness_and_size_equals_vsize():
    tx = _spend(["p2pkh"], "p2pkh")
    assert rawtx.size(tx) == rawtx.vsize(tx) == rawtx.base_size(tx)
    assert rawtx.txid(tx) == rawtx.wtxid(tx)


def test_synthetic_nested_and_multisig_sizes():
    # P2SH-P2WPKH input: 23-byte scriptSig, same witness as P2WPKH: ~ 91 vB per input
    one = rawtx.vsize(_spend(["p2sh-p2wpkh"], "p2wpkh"))
    two = rawtx.vsize(_spend(["p2sh-p2wpkh"] * 2, "p2wpkh"))
    assert 90 <= two - one <= 92
    # 2-of-3 P2WSH input ~ 104-105 vB; 2-of-3 P2SH input ~ 297 bytes
    one = rawtx.vsize(_spend(["p2wsh"], "p2wpkh"))
    two = rawtx.vsize(_spend(["p2wsh"] * 2, "p2wpkh"))
    assert 103 <= two - one <= 106
    one = rawtx.vsize(_spend(["p2sh"], "p2wpkh"))
    two = rawtx.vsize(_spend(["p2sh"] * 2, "p2wpkh"))
    assert 295 <= two - one <= 299


def test_synthetic_unlocking_is_deterministic_and_well_formed():
    a = rawtx.synth_unlocking("p2wpkh", b"seed-1")
    assert a == rawtx.synth_unlocking("p2wpkh", b"seed-1")
    assert a != rawtx.synth_unlocking("p2wpkh", b"seed-2")
    sig = a[1][0]
    assert sig[0] == 0x30 and sig[1] == len(sig) - 3 and sig[-1] == 0x01
    assert len(sig) in (71, 72)
    lengths = {len(rawtx.synth_unlocking("p2wpkh", bytes([i]))[1][0]) for i in range(64)}
    assert lengths == {71, 72}  # both lengths occur, as on the real chain


@pytest.mark.parametrize("kind", rawtx.UNLOCKING_TYPES)
def test_synthetic_payload_commits_to_the_unlocking_data(kind):
    seed = b"commit"
    script_sig, witness = rawtx.synth_unlocking(kind, seed, (2, 3))
    addr_kind, payload = rawtx.synth_payload(kind, seed, (2, 3))
    address = enc.make_address(addr_kind, payload)
    spk = enc.address_to_script_pubkey(address)
    if kind == "p2pkh":
        pub = script_sig[-33:]
        assert spk[3:23] == enc.hash160(pub)
    elif kind == "p2wpkh":
        assert spk[2:] == enc.hash160(witness[1])
    elif kind in ("p2sh-p2wpkh", "p2sh-p2wsh"):
        redeem = script_sig[1:]
        assert spk[2:22] == enc.hash160(redeem)
    elif kind == "p2sh":
        redeem = script_sig[-105:]
        assert enc.script_type_of(redeem) == "multisig"
        assert spk[2:22] == enc.hash160(redeem)
    elif kind == "p2wsh":
        assert witness[0] == b"" and len(witness) == 4
        assert spk[2:] == enc.sha256(witness[-1])
    else:
        assert kind == "p2tr" and len(witness[0]) == 64 and len(spk) == 34


def test_synthetic_unlocking_rejects_unknown_type():
    with pytest.raises(ValueError, match="use one of p2pkh"):
        rawtx.synth_unlocking("p2pk", b"x")
