"""The generator's fast encoders give exactly the bytes of the reference implementations."""

import random

import pytest
from chaintrace import encoding, rawtx
from chaintrace.rebuild import unlocking_args
from chaintrace.sim import fastenc, fastser
from chaintrace.sim.addresses import SPEND_TYPE

LENGTHS = {"p2pkh": 20, "p2sh": 20, "p2wpkh": 20, "p2wsh": 32, "p2tr": 32}


def test_addresses_match_make_address():
    rng = random.Random(5)
    types = [rng.choice(sorted(LENGTHS)) for _ in range(3_000)]
    # some payloads start with zero bytes: Base58 writes each leading zero byte as '1'
    payloads = [
        (bytes(i % 3) + rng.randbytes(LENGTHS[t]))[: LENGTHS[t]] for i, t in enumerate(types)
    ]
    got = fastenc.addresses(types, payloads)
    assert got == [encoding.make_address(t, p) for t, p in zip(types, payloads, strict=True)]
    spks = [fastenc.script_pubkey(t, p) for t, p in zip(types, payloads, strict=True)]
    assert spks == [encoding.script_pubkey_for(t, p) for t, p in zip(types, payloads, strict=True)]


@pytest.mark.parametrize("spend_type", sorted(set(SPEND_TYPE.values())))
def test_unlocking_data_matches_rawtx(spend_type):
    rng = random.Random(spend_type)
    kind, m_of_n = unlocking_args(spend_type)
    for _ in range(200):
        seed = rng.randbytes(36)
        sig, wit = rawtx.synth_unlocking(kind, seed, m_of_n)
        tx = {
            "version": 2,
            "locktime": 7,
            "inputs": [
                {
                    "prev_txid": seed[:32].hex(),
                    "prev_vout": 3,
                    "script_sig": sig,
                    "witness": wit,
                    "sequence": 5,
                }
            ],
            "outputs": [{"value": 1_000, "script_pubkey": bytes(22)}],
        }
        f_sig, f_wit = fastser.unlock(spend_type, seed)
        ins = [
            (seed[:32][::-1] + (3).to_bytes(4, "little") + f_sig + (5).to_bytes(4, "little"), f_wit)
        ]
        base, full = fastser.transaction(2, 7, ins, [fastser.output(1_000, bytes(22))])
        assert base == rawtx.serialize(tx, witness=False)
        assert full == rawtx.serialize(tx, witness=True)
