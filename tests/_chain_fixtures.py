"""A tiny dataset that follows docs/ARCHITECTURE.md exactly, built from real serialised transactions.

Tests of the dataset loader and the chain backends use it, so they never depend on the exact
content of the bundled ``datasets/course``. Every txid is the double SHA-256 of the
transaction's serialisation (``chaintrace.rawtx``), sizes and weights are measured from the
bytes, and every address is a valid mainnet address.

Shape (deterministic): 12 blocks, each with a coinbase; block 800001 starts a peel chain of
30 transactions that each pay the HUB address (so its history needs two pages of 25) and send
change to a fresh address; one transaction carries an OP_RETURN output, and the script types
p2pkh, p2sh, p2wpkh, p2wsh and p2tr all appear.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pandas as pd
from chaintrace import rawtx, rebuild
from chaintrace.encoding import address_to_script_pubkey, make_address

GENESIS_HEIGHT = 800_000
BASE_TIME = 1_700_000_000  # 2023-11-14 22:13:20 UTC
N_BLOCKS = 12
SUBSIDY = 625_000_000
OP_RETURN = b"\x6a\x0bchaintrace!"
_TYPES = ("p2wpkh", "p2pkh", "p2sh", "p2tr", "p2wsh")
# how each visible type is spent (the generator's ``spend_type`` column)
SPEND_TYPE = {
    "p2pkh": "p2pkh",
    "p2wpkh": "p2wpkh",
    "p2sh": "p2sh-p2wpkh",
    "p2tr": "p2tr",
    "p2wsh": "p2wsh-multisig-2-of-3",
}


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def address(label: str, script_type: str = "p2wpkh") -> str:
    """A valid mainnet address of ``script_type`` derived from ``label``."""
    size = 32 if script_type in ("p2wsh", "p2tr") else 20
    return make_address(script_type, _h(label)[:size])


HUB = address("hub-exchange-deposit", "p2wpkh")
MINER = address("miner", "p2wpkh")


class _Chain:
    def __init__(self):
        self.txs, self.outputs, self.inputs, self.blocks, self.raw = [], [], [], [], {}
        self.utxo = {}  # (txid, vout) -> (address, value, script_type)
        self.block_txs = []

    def add_tx(self, spends, outs, *, coinbase_height=None, locktime=0, version=2):
        """spends: [(txid, vout)]; outs: [(address, value, script_type)] ('' for OP_RETURN)."""
        if coinbase_height is not None:
            ins = [rebuild.coinbase_input(coinbase_height)]
        else:
            ins = []
            for ptx, pvout in spends:
                _, _, stype = self.utxo[(ptx, pvout)]
                sig, wit = rebuild.unlocking(SPEND_TYPE[stype], ptx, pvout)
                ins.append(
                    {
                        "prev_txid": ptx,
                        "prev_vout": pvout,
                        "script_sig": sig,
                        "sequence": 0xFFFFFFFD,
                        "witness": wit,
                    }
                )
        tx_outs = []
        for addr, value, stype in outs:
            spk = OP_RETURN if stype == "op_return" else address_to_script_pubkey(addr)
            tx_outs.append({"value": value, "script_pubkey": spk})
        tx = {"version": version, "locktime": locktime, "inputs": ins, "outputs": tx_outs}
        txid = rawtx.txid(tx)
        self.raw[txid] = tx
        value_in = 0
        for n, (ptx, pvout) in enumerate(spends):
            addr, value, stype = self.utxo.pop((ptx, pvout))
            value_in += value
            self.inputs.append(
                {
                    "txid": txid,
                    "vin": n,
                    "prev_txid": ptx,
                    "prev_vout": pvout,
                    "address": addr,
                    "value": value,
                    "script_type": stype,
                    "sequence": 0xFFFFFFFD,
                    "spend_type": SPEND_TYPE[stype],
                }
            )
            for row in self.outputs:
                if row["txid"] == ptx and row["vout"] == pvout:
                    row["spent_txid"], row["spent_vin"] = txid, n
        for vout, (addr, value, stype) in enumerate(outs):
            self.outputs.append(
                {
                    "txid": txid,
                    "vout": vout,
                    "address": addr,
                    "value": value,
                    "script_type": stype,
                    "spent_txid": None,
                    "spent_vin": None,
                    "op_return": OP_RETURN.hex() if stype == "op_return" else "",
                }
            )
            if stype != "op_return":
                self.utxo[(txid, vout)] = (addr, value, stype)
        fee = 0 if coinbase_height is not None else value_in - sum(v for _, v, _ in outs)
        assert fee >= 0
        self.block_txs.append(
            {
                "txid": txid,
                "version": version,
                "locktime": locktime,
                "size": rawtx.size(tx),
                "vsize": rawtx.vsize(tx),
                "weight": rawtx.weight(tx),
                "fee": fee,
                "n_inputs": len(spends),
                "n_outputs": len(outs),
                "coinbase": coinbase_height is not None,
            }
        )
        return txid

    def close_block(self, height):
        time = BASE_TIME + 600 * (height - GENESIS_HEIGHT)
        for pos, row in enumerate(self.block_txs):
            self.txs.append({**row, "height": height, "position": pos, "time": time})
        bhash = hashlib.sha256(b"block%d" % height).hexdigest()
        self.blocks.append(
            {"height": height, "hash": bhash, "time": time, "n_tx": len(self.block_txs)}
        )
        self.block_txs = []


@functools.lru_cache(maxsize=1)
def build_chain() -> _Chain:
    """The fixture chain in memory (tables as lists of dicts, raw txs by txid); do not mutate."""
    c = _Chain()
    heights = range(GENESIS_HEIGHT, GENESIS_HEIGHT + N_BLOCKS)
    peel = None  # (txid, vout) of the peel chain's current change
    for height in heights:
        fees_spends = []
        if height == GENESIS_HEIGHT + 1:
            first_cb = c.txs[0]["txid"]
            # a first spend from the miner, with an OP_RETURN and a p2tr output
            peel_start = c.add_tx(
                [(first_cb, 0)],
                [
                    (address("peel-0", "p2pkh"), 600_000_000, "p2pkh"),
                    (address("taproot-saver", "p2tr"), 24_990_000, "p2tr"),
                    ("", 0, "op_return"),
                ],
            )
            peel = (peel_start, 0)
            fees_spends.append(peel_start)
        elif height > GENESIS_HEIGHT + 1:
            for step in range(3 if height < GENESIS_HEIGHT + N_BLOCKS - 1 else 0):
                n = (height - GENESIS_HEIGHT - 2) * 3 + step + 1
                addr, value, stype = c.utxo[peel]
                stype_next = _TYPES[n % len(_TYPES)]
                pay = 1_000_000 + 10_000 * n
                fee = 300 + 7 * n
                txid = c.add_tx(
                    [peel],
                    [
                        (HUB, pay, "p2wpkh"),
                        (address(f"peel-{n}", stype_next), value - pay - fee, stype_next),
                    ],
                )
                peel = (txid, 1)
                fees_spends.append(txid)
            if height == GENESIS_HEIGHT + 5:
                # the hub sweeps two deposits together (common-input ownership)
                hub_outs = [k for k, v in c.utxo.items() if v[0] == HUB][:2]
                total = sum(c.utxo[k][1] for k in hub_outs)
                c.add_tx(hub_outs, [(address("hub-hot", "p2wsh"), total - 1_000, "p2wsh")])
        fees = sum(r["fee"] for r in c.block_txs)
        c.block_txs, pending = [], c.block_txs
        c.add_tx([], [(MINER, SUBSIDY + fees, "p2wpkh")], coinbase_height=height)
        c.block_txs.extend(pending)
        c.close_block(height)
    return c


_INT32 = (
    "height",
    "position",
    "size",
    "vsize",
    "weight",
    "n_inputs",
    "n_outputs",
    "vout",
    "vin",
    "prev_vout",
    "n_tx",
    "decimals",
)


def _frame(rows, columns, dtypes=None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for col in columns:
        if col in _INT32:
            frame[col] = frame[col].astype("int32")
    return frame.astype(dtypes or {})


def write_dataset(root: Path, name: str = "mini") -> Path:
    """Write the fixture dataset to ``root/name`` (with SHA256SUMS) and return the folder."""
    c = build_chain()
    folder = Path(root) / name
    (folder / "cases").mkdir(parents=True, exist_ok=True)
    (folder / "account").mkdir(exist_ok=True)
    (folder / "sanctions").mkdir(exist_ok=True)
    _frame(c.blocks, ["height", "hash", "time", "n_tx"]).to_parquet(folder / "blocks.parquet")
    _frame(
        c.txs,
        [
            "txid",
            "height",
            "position",
            "time",
            "version",
            "locktime",
            "size",
            "vsize",
            "weight",
            "fee",
            "n_inputs",
            "n_outputs",
            "coinbase",
        ],
        {"version": "int32", "locktime": "int64", "fee": "int64", "time": "int64"},
    ).to_parquet(folder / "transactions.parquet")
    _frame(
        c.outputs,
        ["txid", "vout", "address", "value", "script_type", "spent_txid", "spent_vin", "op_return"],
        {"value": "int64", "spent_vin": "Int32"},
    ).to_parquet(folder / "outputs.parquet")
    _frame(
        c.inputs,
        [
            "txid",
            "vin",
            "prev_txid",
            "prev_vout",
            "address",
            "value",
            "script_type",
            "sequence",
            "spend_type",
        ],
        {"value": "int64", "sequence": "int64"},
    ).to_parquet(folder / "inputs.parquet")
    days = pd.date_range("2023-11-14", periods=3, freq="D")
    (folder / "prices.csv").write_text(
        "date,usd\n" + "".join(f"{d:%Y-%m-%d},{36000 + 500 * i}.5\n" for i, d in enumerate(days))
    )
    transfers = [
        {
            "tx_hash": "0x" + _h("t1").hex(),
            "block": 18_500_000,
            "time": BASE_TIME,
            "from": "0x52908400098527886E0F7030069857D2E4169EE7",
            "to": "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
            "asset": "USDT",
            "value": "2500000000",
            "decimals": 6,
            "fee_wei": "420000000000000",
        }
    ]
    _frame(transfers, list(transfers[0])).to_parquet(folder / "account" / "transfers.parquet")
    (folder / "tags.yaml").write_text(
        f"title: mini tags\ncreator: tests\nconfidence: web_crawl\ncurrency: BTC\n"
        f"tags:\n  - address: {HUB}\n    label: Example Exchange\n    category: exchange\n"
    )
    (folder / "sanctions" / "sanctioned_addresses_XBT.txt").write_text(
        address("peel-5", "p2sh") + "\n"
    )
    peel_start = c.txs[2]["txid"]  # block 800001: the coinbase, then the first spend
    case = {
        "case_id": "M1",
        "title": "Mini peel chain",
        "typology": "peel_chain",
        "brief": "A victim paid from a wallet; follow the money.",
        "reported": {
            "payment_txid": peel_start,
            "victim_address": MINER,
            "date": "2023-11-14",
            "amount_btc": 6.0,
        },
        "dataset": name,
        "module": "03",
    }
    (folder / "cases" / "M1.json").write_text(json.dumps(case, indent=2))
    write_manifest(folder)
    return folder


def write_manifest(folder: Path) -> None:
    """(Re)write SHA256SUMS for every other file under ``folder``."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    (folder / "SHA256SUMS").write_text("".join(lines))


def raw_tx_dict(txid: str) -> dict:
    """The rawtx dict of a fixture transaction (what ``/tx/:txid/hex`` serialises)."""
    return build_chain().raw[txid]
