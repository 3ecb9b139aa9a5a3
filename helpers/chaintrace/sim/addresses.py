"""Addresses of the simulated economy: valid mainnet addresses of keys nobody holds.

Every address is made from random bytes (a 20-byte hash or a 32-byte key/script hash) written
with the real encodings (Base58Check, bech32, bech32m), so any wallet or validator accepts it,
but no private key for it exists.

The *true* script type is kept for the ground truth: a P2SH-P2WPKH output looks like ``p2sh``
on chain until it is spent, and a P2SH or P2WSH output may hide a 2-of-3 multisig.

>>> import random
>>> book = AddressBook(random.Random(7))
>>> i = book.new(entity=3, role="receive", true_type="p2wpkh")
>>> book.address[i][:4], book.visible_type(i), book.entity[i]
('bc1q', 'p2wpkh', 3)
"""

import random

from .fastenc import addresses, script_pubkey

# true type -> (type visible in an output, payload length, multisig m-of-n or None)
TRUE_TYPES = {
    "p2pkh": ("p2pkh", 20, None),
    "p2sh-p2wpkh": ("p2sh", 20, None),
    "p2wpkh": ("p2wpkh", 20, None),
    "p2tr": ("p2tr", 32, None),
    "p2sh-multisig": ("p2sh", 20, (2, 3)),
    "p2wsh-multisig": ("p2wsh", 32, (2, 3)),
}

# how the spending input reveals the type (the inputs.parquet ``spend_type`` column), and the
# script type name that chaintrace.rawtx.synth_unlocking takes for it
SPEND_TYPE = {
    "p2pkh": "p2pkh",
    "p2sh-p2wpkh": "p2sh-p2wpkh",
    "p2wpkh": "p2wpkh",
    "p2tr": "p2tr",
    "p2sh-multisig": "p2sh-multisig-2-of-3",
    "p2wsh-multisig": "p2wsh-multisig-2-of-3",
}

# estimated vbytes of an input spending / an output paying each true type (bitcoinops calc-size)
INPUT_VBYTES = {
    "p2pkh": 148,
    "p2sh-p2wpkh": 91,
    "p2wpkh": 68,
    "p2tr": 58,
    "p2sh-multisig": 297,
    "p2wsh-multisig": 105,
}
OUTPUT_VBYTES = {"p2pkh": 34, "p2sh": 32, "p2wpkh": 31, "p2wsh": 43, "p2tr": 43}


class AddressBook:
    """All addresses made so far, with their owner and role (parallel lists, index = id)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.payload: list[bytes] = []
        self._address: list[str] = []  # encoded lazily, all new ones at once (fastenc)
        self.script_pubkey: list[bytes] = []
        self.entity: list[int] = []
        self.beneficiary: list[int] = []
        self.role: list[str] = []
        self.true_type: list[str] = []
        self.used: list[bool] = []  # has it received anything yet (for reuse statistics)

    def __len__(self) -> int:
        return len(self.payload)

    @property
    def address(self) -> list[str]:
        """The address text of every id (encoding whatever was made since the last call)."""
        done = len(self._address)
        if done < len(self.payload):
            types = [TRUE_TYPES[t][0] for t in self.true_type[done:]]
            self._address += addresses(types, self.payload[done:])
        return self._address

    def new(self, entity: int, role: str, true_type: str, beneficiary: int = -1) -> int:
        """Make a fresh address for ``entity`` and return its id."""
        visible, length, _ = TRUE_TYPES[true_type]
        payload = self.rng.randbytes(length)
        self.payload.append(payload)
        self.script_pubkey.append(script_pubkey(visible, payload))
        self.entity.append(entity)
        self.beneficiary.append(entity if beneficiary < 0 else beneficiary)
        self.role.append(role)
        self.true_type.append(true_type)
        self.used.append(False)
        return len(self.payload) - 1

    def visible_type(self, idx: int) -> str:
        """The script type an explorer shows for an output paying address ``idx``."""
        return TRUE_TYPES[self.true_type[idx]][0]
