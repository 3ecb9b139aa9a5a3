"""What an amount was worth on a day, in USD, UAH, EUR or RUB.

Prices are the dataset's daily closes in USD (``prices.csv`` for BTC, ``account/prices.csv``
for ETH, TRX, USDT, BNB and the rouble stablecoin RUBX); other currencies go through the
official daily rates of ``account/rates.csv``. A Ukrainian case values assets in hryvnias at the
National Bank of Ukraine's official rate of the day (https://bank.gov.ua): the rate is set each
business day and holds over the weekend, so a Sunday's rate is Friday's. Which rate a day has is
the table's business: :func:`rate` and :func:`value` take the row of the day's UTC date, the
rate in force that calendar day, and never search for a neighbouring day.

>>> prices = load_prices()
>>> day = prices["date"].iloc[3]
>>> usd = value(1_000, "USDT", day, "USD", prices)
>>> uah = value(1_000, "USDT", day, "UAH", prices)
>>> round(uah / usd, 4) == round(float(prices.loc[3, "uah_per_usd"]), 4)
True
>>> value(2 * 10**18, "USDT", day, "USD", prices, decimals=18) == value(2, "USDT", day, "USD", prices)
True
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from .dataset import as_dataset
from .errors import ChaintraceError

__all__ = ["MoneyError", "load_prices", "value", "rate", "CURRENCIES"]

CURRENCIES = {"USD": None, "UAH": "uah_per_usd", "EUR": "eur_per_usd", "RUB": "rub_per_usd"}


class MoneyError(ChaintraceError, LookupError):
    """A price or rate the dataset does not have; the message says which and what it has."""


def load_prices(dataset=None) -> pd.DataFrame:
    """Every daily price and rate of a dataset in one table: ``date`` (``YYYY-MM-DD`` text),
    ``<asset>_usd`` for each asset (``btc_usd``, ``eth_usd``, ``trx_usd``, ``usdt_usd``,
    ``bnb_usd``, ``rubx_usd``, as far as the dataset has them), and ``uah_per_usd``,
    ``eur_per_usd``, ``rub_per_usd``.

    >>> sorted(c for c in load_prices().columns if c.endswith("_per_usd"))
    ['eur_per_usd', 'rub_per_usd', 'uah_per_usd']
    """
    ds = as_dataset(dataset)
    btc = ds.prices.rename(columns={"usd": "btc_usd"})
    btc["date"] = btc["date"].dt.strftime("%Y-%m-%d")
    frame = btc
    for name in ("account/prices.csv", "account/rates.csv"):
        try:
            more = pd.read_csv(ds._file(name), dtype={"date": "str"})
        except FileNotFoundError:
            continue  # an older dataset: BTC (and what it has) only
        frame = frame.merge(more, on="date", how="outer")
    return frame.sort_values("date").reset_index(drop=True)


def _day(when) -> str:
    if isinstance(when, str):
        try:
            return dt.date.fromisoformat(when[:10]).isoformat()
        except ValueError:
            raise MoneyError(
                f"{when!r} is not a date: give YYYY-MM-DD, a datetime or Unix seconds"
            ) from None
    if isinstance(when, int | float) and not isinstance(when, bool):
        return dt.datetime.fromtimestamp(int(when), dt.UTC).date().isoformat()
    if isinstance(when, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(when)
        stamp = stamp.tz_convert("UTC") if stamp.tzinfo else stamp
        return stamp.date().isoformat()
    if isinstance(when, dt.date):
        return when.isoformat()
    raise MoneyError(f"{when!r} is not a date: give YYYY-MM-DD, a datetime or Unix seconds")


def value(amount, asset: str, when, currency: str = "USD", prices=None, decimals: int | None = None,
          exact: bool = False):  # fmt: skip
    """``amount`` of ``asset`` in ``currency`` at the day's close (``when``: ``YYYY-MM-DD``, a
    datetime, or Unix seconds, read in UTC).

    ``amount`` is in whole tokens, or in base units when ``decimals`` is given (pass a row's
    ``units`` and ``decimals``: exact integers, whatever the contract's decimals). ``prices``: a
    :func:`load_prices` table (default: the course dataset's). Returns a float, or a
    :class:`decimal.Decimal` with ``exact=True`` (totals rounded once, to the cent).

    >>> p = load_prices()
    >>> value(100, "BTC", "1999-01-01", "UAH", p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chaintrace.money.MoneyError: no prices for 1999-01-01: the dataset covers 2024-02-29 to ...
    """
    prices = load_prices() if prices is None else prices
    currency = _currency(currency)
    column = f"{str(asset).lower()}_usd"
    if column not in prices:
        have = sorted(c[:-4].upper() for c in prices.columns if c.endswith("_usd"))
        raise MoneyError(f"no prices for {asset!r} in this dataset; it has {have}")
    day, row = _row(prices, when)
    whole = (
        Decimal(int(amount)) / Decimal(10) ** int(decimals)
        if decimals is not None
        else Decimal(str(amount))
    )
    result = whole * Decimal(str(row[column])) * _rate(row, currency, day, prices)
    return result if exact else float(result)


def rate(currency: str, when, prices=None, exact: bool = False):
    """How many units of ``currency`` one US dollar was worth on the day ``when`` (its UTC
    date): for UAH, the National Bank of Ukraine's official rate in force that day. A Saturday
    or Sunday has the rate of the business day before it, as the dataset's table holds it.

    >>> p = load_prices()
    >>> rate("UAH", "2024-03-02", p) == rate("UAH", "2024-03-01", p) == float(p.loc[1, "uah_per_usd"])
    True
    >>> rate("USD", "2024-03-02", p)
    1.0
    """
    prices = load_prices() if prices is None else prices
    currency = _currency(currency)
    day, row = _row(prices, when)
    result = _rate(row, currency, day, prices)
    return result if exact else float(result)


def _currency(currency) -> str:
    currency = str(currency).upper()
    if currency not in CURRENCIES:
        raise MoneyError(f"currency {currency!r}: choose one of {sorted(CURRENCIES)}")
    return currency


def _row(prices: pd.DataFrame, when) -> tuple[str, pd.Series]:
    """The day ``when`` falls on (UTC, ``YYYY-MM-DD``) and its row of ``prices``."""
    day = _day(when)
    row = prices[prices["date"] == day]
    if row.empty:
        raise MoneyError(
            f"no prices for {day}: the dataset covers {prices['date'].min()} to {prices['date'].max()}"
        )
    return day, row.iloc[0]


def _rate(row: pd.Series, currency: str, day: str, prices: pd.DataFrame) -> Decimal:
    rate_column = CURRENCIES[currency]
    if rate_column is None:
        return Decimal(1)
    if rate_column not in prices or pd.isna(row[rate_column]):
        raise MoneyError(f"no {currency} rate for {day} in this dataset (account/rates.csv)")
    return Decimal(str(row[rate_column]))
