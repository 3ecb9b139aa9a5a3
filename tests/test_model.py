"""The shared transaction types: arithmetic, tables and the printed forms."""

from datetime import UTC, datetime

import pytest
from chaintrace import AddressSummary, Transaction, TxInput, TxOutput

T = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def make_tx(**kw):
    base = dict(
        txid="ab" * 32,
        inputs=(
            TxInput(
                "cd" * 32, 1, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 80_000, "p2pkh", 0xFFFFFFFD
            ),
            TxInput(
                "ef" * 32, 0, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 20_000, "p2wpkh", 0
            ),
        ),
        outputs=(
            TxOutput(0, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", 60_000, "p2sh", "12" * 32, 3),
            TxOutput(1, "", 0, "op_return"),
            TxOutput(2, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 37_000, "p2wpkh"),
        ),
        fee=3_000,
        size=400,
        vsize=250,
        weight=1000,
        version=2,
        locktime=0,
        height=830_000,
        time=T,
        confirmations=3,
        coinbase=False,
    )
    return Transaction(**{**base, **kw})


def test_values_and_fee_rate():
    tx = make_tx()
    assert (tx.value_in, tx.value_out, tx.n_inputs, tx.n_outputs) == (100_000, 97_000, 2, 3)
    assert tx.value_in - tx.value_out == tx.fee
    assert tx.fee_rate == pytest.approx(12.0)
    assert tx.output(0).spent and not tx.output(2).spent


def test_output_out_of_range_says_how_many():
    with pytest.raises(IndexError, match="has 3 outputs"):
        make_tx().output(3)


def test_frozen_and_comparable():
    tx = make_tx()
    with pytest.raises(AttributeError):
        tx.fee = 1
    assert tx == make_tx() and tx != make_tx(fee=1)


def test_frames_have_btc_columns_and_integer_sats():
    tx = make_tx()
    outs, ins = tx.outputs_frame(), tx.inputs_frame()
    assert list(outs.columns) == [
        "vout",
        "address",
        "value",
        "btc",
        "script_type",
        "spent_txid",
        "spent_vin",
    ]
    assert outs["value"].dtype == "int64" and outs["btc"].tolist() == [0.0006, 0.0, 0.00037]
    assert outs["spent_vin"].isna().tolist() == [False, True, True]
    assert ins["value"].sum() == 100_000 and ins["sequence"].tolist() == [0xFFFFFFFD, 0]


def test_str_and_html_show_the_essentials():
    tx = make_tx()
    text, page = str(tx), tx._repr_html_()
    for needle in (
        tx.txid,
        "0.00003000 BTC",
        "12.0 sat/vB",
        "2024-03-01 12:00:00 UTC",
        "3 confirmations",
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        "0.00060000",
    ):
        assert needle in text or needle in page, needle
    assert "<table>" in page and "unspent" in page
    assert "unconfirmed" in str(make_tx(height=None, time=None, confirmations=0))


def test_str_and_html_in_the_readers_language_keep_the_data():
    from chaintrace.messages import use

    tx = make_tx(unverified=frozenset({"fee"}))
    with use("uk"):
        text, page = str(tx), tx._repr_html_()
        waiting = str(make_tx(height=None, time=None, confirmations=0))
    english = str(tx)
    assert text.splitlines()[0] == f"Транзакція {tx.txid}"
    # the block height, fee rate and date in the Ukrainian forms (no-break space in thousands)
    assert "01.03.2024 12:00:00 UTC, блок 830\u00a0000, підтверджень: 3" in text
    assert "комісія 0,00003000 BTC (12,0 sat/vB)" in text and "(12,0 sat/vB)" in page
    assert "830,000" not in text + page and "12.0 sat/vB" not in text + page
    assert "2024-03-01 12:00:00 UTC, block 830,000, 3 confirmations" in english
    assert "fee 0.00003000 BTC (12.0 sat/vB), 250 vB" in english
    assert "не перевірено (зі слів сервера): fee" in text and "витрачено в" in text
    assert "входи (2):" in text and "виходи (3):" in text and "не підтверджена" in waiting
    assert "адреса входу" in page and "не витрачено" in page and "unspent" not in page

    # the data itself (addresses, amounts, outpoints) is the same in both languages; only the
    # amounts' decimal mark is the reader's (a comma in Ukrainian)
    def data(shown: str) -> list[str]:  # the rows of inputs and outputs, without the words
        return [line.split("  -> ")[0] for line in shown.splitlines() if line.startswith("    ")]

    assert [row.replace(",", ".") for row in data(text)] == data(english)
    assert len(data(text)) == 5 and all(" BTC" in row and "," in row for row in data(text))


def test_coinbase_is_explained():
    cb = make_tx(inputs=(), coinbase=True, fee=0)
    assert "coinbase" in str(cb) and "coinbase" in cb._repr_html_()
    assert cb.value_in == 0


def test_html_escapes_text():
    tx = make_tx(outputs=(TxOutput(0, "<script>", 1, "p2pkh"),))
    assert "<script>" not in tx._repr_html_()


def test_address_summary_str():
    s = AddressSummary("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 2, 2, 30_000, 1, 10_000, 20_000)
    assert "balance 0.00020000 BTC" in str(s)
