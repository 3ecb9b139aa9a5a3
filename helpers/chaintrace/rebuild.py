"""Rebuild a transaction's raw form from the dataset tables, byte for byte.

The dataset stores tables, not raw transactions. Unlocking data (signatures, keys) is fake but
deterministic: an input spending output ``prev_vout`` of ``prev_txid`` carries
``chaintrace.rawtx.synth_unlocking(type, seed)`` with

    seed = bytes.fromhex(prev_txid) + prev_vout.to_bytes(4, "little")

(``prev_txid`` in display hex) and ``type`` taken from the input's ``spend_type``. A coinbase
carries :func:`coinbase_script_sig` and the 32-byte zero witness reserved value. So anyone holding
the tables (the classroom server answering ``/tx/:txid/hex``) can reproduce every txid. This is
part of the dataset format: the generator writes with it, readers rebuild with it.

>>> coinbase_script_sig(840_000)[:4].hex()
'0340d10c'
"""

import hashlib

from .encoding import address_to_script_pubkey
from .rawtx import synth_unlocking

NULL_TXID = "00" * 32
COINBASE_VOUT = 0xFFFFFFFF


def unlocking_args(spend_type: str) -> tuple[str, tuple[int, int] | None]:
    """``(script_type, m_of_n)`` for ``rawtx.synth_unlocking`` from a ``spend_type`` value.

    >>> unlocking_args("p2wsh-multisig-2-of-3")
    ('p2wsh', (2, 3))
    >>> unlocking_args("p2wpkh")
    ('p2wpkh', None)
    """
    if "-multisig-" in spend_type:
        kind, _, rest = spend_type.partition("-multisig-")
        m, _, n = rest.partition("-of-")
        return kind, (int(m), int(n))
    return spend_type, None


def unlocking_seed(prev_txid: str, prev_vout: int) -> bytes:
    """The seed of the fake unlocking data of the input spending ``prev_txid:prev_vout``.

    >>> unlocking_seed("ab" * 32, 1)[-4:].hex()
    '01000000'
    """
    return bytes.fromhex(prev_txid) + int(prev_vout).to_bytes(4, "little")


def unlocking(spend_type: str, prev_txid: str, prev_vout: int) -> tuple[bytes, list[bytes]]:
    """``(script_sig, witness)`` of an input, from its spend type and outpoint.

    >>> sig, wit = unlocking("p2wpkh", "00" * 32, 0)
    >>> sig, len(wit)
    (b'', 2)
    """
    kind, m_of_n = unlocking_args(spend_type)
    return synth_unlocking(kind, unlocking_seed(prev_txid, prev_vout), m_of_n)


def coinbase_script_sig(height: int) -> bytes:
    """BIP-34 height push followed by an 8-byte extranonce derived from the height."""
    n = (height.bit_length() + 8) // 8  # minimal script number, sign bit clear
    extranonce = hashlib.sha256(b"chaintrace-coinbase" + height.to_bytes(4, "little")).digest()[:8]
    return bytes([n]) + height.to_bytes(n, "little") + bytes([8]) + extranonce


def coinbase_input(height: int) -> dict:
    """The single input of the coinbase at ``height``."""
    return {
        "prev_txid": NULL_TXID,
        "prev_vout": COINBASE_VOUT,
        "script_sig": coinbase_script_sig(height),
        "sequence": 0xFFFFFFFF,
        "witness": [bytes(32)],
    }


def output_script(address: str, op_return_hex: str) -> bytes:
    """The locking script of an output row: from its address, or its stored OP_RETURN script."""
    return bytes.fromhex(op_return_hex) if not address else address_to_script_pubkey(address)


def raw_transaction(txid: str, transactions, inputs, outputs) -> dict:
    """The ``chaintrace.rawtx`` dict of ``txid`` rebuilt from the dataset's three tables.

    ``transactions``, ``inputs`` and ``outputs`` are the DataFrames of ``transactions.parquet``,
    ``inputs.parquet`` and ``outputs.parquet`` (whole, or already narrowed to this txid).
    ``chaintrace.rawtx.txid(raw_transaction(...)) == txid`` for every transaction.
    """
    row = transactions[transactions["txid"] == txid]
    if row.empty:
        raise KeyError(f"txid {txid} is not in this dataset; check it was copied whole (64 hex)")
    row = row.iloc[0]
    ins = inputs[inputs["txid"] == txid].sort_values("vin")
    outs = outputs[outputs["txid"] == txid].sort_values("vout")
    if bool(row["coinbase"]):
        tx_inputs = [coinbase_input(int(row["height"]))]
    else:
        tx_inputs = []
        for prev, vout, seq, kind in zip(
            ins["prev_txid"], ins["prev_vout"], ins["sequence"], ins["spend_type"], strict=True
        ):
            sig, wit = unlocking(kind, prev, int(vout))
            tx_inputs.append(
                {
                    "prev_txid": prev,
                    "prev_vout": int(vout),
                    "script_sig": sig,
                    "sequence": int(seq),
                    "witness": wit,
                }
            )
    tx_outputs = [
        {"value": int(v), "script_pubkey": output_script(a, d)}
        for v, a, d in zip(outs["value"], outs["address"], outs["op_return"], strict=True)
    ]
    return {
        "version": int(row["version"]),
        "locktime": int(row["locktime"]),
        "inputs": tx_inputs,
        "outputs": tx_outputs,
    }
