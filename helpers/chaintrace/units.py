"""Satoshis and bitcoins.

Every amount inside chaintrace is an integer number of satoshis (1 BTC = 100,000,000 sat), so
sums never drift the way floating-point bitcoin amounts do. These helpers convert at the edges:
what a person reads, and what a person types.

>>> btc(12_345)
'0.00012345 BTC'
>>> to_sats("0.5")
50000000
>>> to_btc(250_000_000)
2.5
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from .messages import language

SATS_PER_BTC = 100_000_000


def btc(sats: int, unit: bool = True) -> str:
    """Show an amount of satoshis as bitcoins with all eight decimals, for a reader: with a
    decimal point in English, a decimal comma in Ukrainian (the reader's language,
    :func:`chaintrace.messages.language`). Exact (no float), never grouped in thousands: every
    digit of an on-chain amount stays in one run, as wallets and explorers show it.

    >>> btc(100_000_000)
    '1.00000000 BTC'
    >>> btc(-5_000, unit=False)
    '-0.00005000'
    >>> from chaintrace.messages import use
    >>> with use("uk"):
    ...     btc(123_456_789_012)
    '1234,56789012 BTC'
    """
    sats = int(sats)
    sign = "-" if sats < 0 else ""
    whole, frac = divmod(abs(sats), SATS_PER_BTC)
    point = "," if language() == "uk" else "."
    text = f"{sign}{whole}{point}{frac:08d}"
    return f"{text} BTC" if unit else text


def to_btc(sats: int) -> float:
    """Satoshis as a float number of bitcoins, for arithmetic in plots and tables.

    >>> to_btc(1)
    1e-08
    """
    return int(sats) / SATS_PER_BTC


def to_sats(amount) -> int:
    """Convert a bitcoin amount (number or text like ``"0.015"``) to integer satoshis.

    Amounts finer than one satoshi are an error, not silently rounded away.

    >>> to_sats(0.015)
    1500000
    >>> to_sats("1e-9")
    Traceback (most recent call last):
    ...
    ValueError: 1e-9 BTC is finer than one satoshi (0.00000001 BTC); check the amount.
    """
    try:
        value = Decimal(str(amount).strip()) * SATS_PER_BTC
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not a bitcoin amount; write it like 0.015") from None
    sats = value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    if sats != value:
        raise ValueError(
            f"{amount} BTC is finer than one satoshi (0.00000001 BTC); check the amount."
        )
    return int(sats)
