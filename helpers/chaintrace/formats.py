"""Numbers, US-dollar amounts and dates written as the reader's language writes them.

A notebook's code is the same in every edition of the course; what it prints is not. A
sentence that shows an amount or a date calls one of these functions, which write it the
English way (as the course always has) or, when the language is Ukrainian
(:func:`chaintrace.messages.language` is ``uk``), the way Ukrainian documents do:

- numbers with a decimal comma and a (no-break) space between thousands: ``12 345,67``
  (the Unicode CLDR's Ukrainian number format, which Ukrainian office software follows);
- dates in figures as day, month, year with dots: ``07.03.2024`` (ДСТУ 4163:2020, the
  national standard for official documents, in force since 1 September 2021);
- an amount in US dollars with its value in hryvnias beside it, at the National Bank of
  Ukraine's official rate of the day the amount is valued on, and that day:
  ``12 345,68 USD (467 413,54 грн за курсом НБУ на 07.03.2024)``.

**Which day's rate.** The rate of the amount's own date, read in UTC as everything in the
course is: the rate in force on that calendar day (the NBU's "курс на дату"), as the dataset's
table holds it (:func:`chaintrace.money.rate`); nothing searches for another day. The course's
table carries a Friday's rate over the weekend after it (``docs/translating.md`` sets this
beside the NBU's own rule). The date shown beside the hryvnias is the amount's date, the one
whose rate was used, never the day the rate was set.

English, as printed before these functions existed:

>>> from chaintrace.messages import use
>>> with use("en"):
...     print(number_text(1234567.891), "|", usd_text(12345.678, "2024-03-07"), "|",
...           date_text("2024-03-07"), "|", time_text(1709820300))
1,234,567.89 | 12,345.68 USD | 2024-03-07 | 2024-03-07 14:05 UTC

Ukrainian (the hryvnias at the 7 March rate; 9 March 2024 was a Saturday and has Friday's rate;
the spaces inside numbers are no-break spaces, shown here as plain ones):

>>> def plain(text):
...     return text.replace("\\xa0", " ")
>>> with use("uk"):
...     print(plain(number_text(1234567.891)), "|", date_text("2024-03-07"), "|", time_text(1709820300))
...     print(plain(usd_text(12345.678, "2024-03-07")))
...     print(plain(usd_text(100, "2024-03-09")))
1 234 567,89 | 07.03.2024 | 07.03.2024 14:05 UTC
12 345,68 USD (467 413,54 грн за курсом НБУ на 07.03.2024)
100,00 USD (3 786,97 грн за курсом НБУ на 09.03.2024)
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import pandas as pd

from .dataset import as_dataset
from .messages import language
from .money import MoneyError, _day, load_prices, rate

__all__ = ["number_text", "usd_text", "date_text", "time_text"]

THOUSANDS_UK = "\u00a0"  # no-break space: a number is never split across two lines


def number_text(x, digits: int = 2) -> str:
    """``x`` rounded to ``digits`` decimals, its thousands grouped: ``1,234.50`` in English,
    ``1 234,50`` in Ukrainian (decimal comma, no-break space between thousands).

    >>> from chaintrace.messages import use
    >>> with use("uk"):
    ...     number_text(-0.5), number_text(1234.5, 0), number_text(1234.5, 4).replace("\\xa0", " ")
    ('-0,50', '1\\xa0234', '1 234,5000')
    """
    english = f"{float(x):,.{int(digits)}f}"
    if language() != "uk":
        return english
    return english.replace(",", THOUSANDS_UK).replace(".", ",")


def usd_text(amount, when, prices=None, digits: int = 2) -> str:
    """An amount of US dollars valued on the day ``when`` (``YYYY-MM-DD``, a datetime, or Unix
    seconds, read in UTC), as ``12,345.68 USD``; in Ukrainian with its hryvnias at the NBU's
    official rate of that day beside it (the rule: this module's opening text).

    A total of amounts valued on different days: pass the amounts and their days (two
    sequences of the same length). English shows the sum; Ukrainian the sum and the hryvnias
    of each amount at its own day's rate, added up:

    >>> from chaintrace.messages import use
    >>> with use("en"):
    ...     usd_text([100, 50.5], ["2024-03-07", "2024-03-08"])
    '150.50 USD'
    >>> with use("uk"):
    ...     usd_text([100, 50.5], ["2024-03-07", "2024-03-08"]).replace("\\xa0", " ")
    '150,50 USD (5 698,47 грн: кожна сума за курсом НБУ свого дня, 07.03.2024–08.03.2024)'

    ``prices``: a :func:`chaintrace.load_prices` table (default: the course dataset's, or the
    one ``$CHAINTRACE_DATA`` names). English needs no rate and never reads it.

    >>> with use("uk"):
    ...     usd_text(10, "1999-01-01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chaintrace.money.MoneyError: no prices for 1999-01-01: the dataset covers 2024-02-29 to ...
    """
    amounts, days = _amounts_and_days(amount, when)
    usd = f"{number_text(sum(amounts), digits)} USD"
    if language() != "uk":
        return usd
    table = _default_prices(as_dataset().path) if prices is None else prices
    uah = number_text(
        sum(a * rate("UAH", d, table) for a, d in zip(amounts, days, strict=True)), digits
    )
    first, last = date_text(min(days)), date_text(max(days))
    if first == last:
        return f"{usd} ({uah} грн за курсом НБУ на {first})"
    return f"{usd} ({uah} грн: кожна сума за курсом НБУ свого дня, {first}–{last})"


def _amounts_and_days(amount, when) -> tuple[list[float], list[str]]:
    """One amount and its day, or amounts and their days, as lists (days ``YYYY-MM-DD``)."""
    if isinstance(amount, str | bytes) or not hasattr(amount, "__len__"):
        return [float(amount)], [_day(when)]
    amounts = [float(a) for a in amount]
    days = [when] if isinstance(when, str) or not hasattr(when, "__len__") else list(when)
    if len(days) != len(amounts) or not amounts:
        raise MoneyError(
            f"{len(amounts)} amounts and {len(days)} days: give each amount the day it was valued on"
        )
    return amounts, [_day(d) for d in days]


def date_text(when) -> str:
    """The UTC date of ``when`` (``YYYY-MM-DD`` text, a datetime, or Unix seconds): ``2024-03-07``
    in English (ISO 8601), ``07.03.2024`` in Ukrainian.

    >>> from chaintrace.messages import use
    >>> with use("uk"):
    ...     date_text(pd.Timestamp("2024-03-07 23:30", tz="Europe/Kyiv"))  # 21:30 UTC
    '07.03.2024'
    """
    day = dt.date.fromisoformat(_day(when))
    return day.strftime("%d.%m.%Y") if language() == "uk" else day.isoformat()


def time_text(when) -> str:
    """The UTC date and time of ``when`` (a datetime, Unix seconds, or ISO text) to the minute,
    marked UTC: ``2024-03-07 14:05 UTC`` in English, ``07.03.2024 14:05 UTC`` in Ukrainian.

    >>> time_text("2024-03-07T14:05:59")
    '2024-03-07 14:05 UTC'
    >>> time_text("yesterday")
    Traceback (most recent call last):
    ...
    chaintrace.money.MoneyError: 'yesterday' is not a time: give a datetime, Unix seconds or YYYY-MM-DD HH:MM
    """
    stamp = _utc(when)
    return f"{date_text(stamp)} {stamp:%H:%M} UTC"


def _utc(when) -> pd.Timestamp:
    try:
        if isinstance(when, int | float) and not isinstance(when, bool):
            return pd.Timestamp(int(when), unit="s", tz="UTC")
        stamp = pd.Timestamp(when)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise MoneyError(
            f"{when!r} is not a time: give a datetime, Unix seconds or YYYY-MM-DD HH:MM"
        )
    return stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")


@cache
def _default_prices(path) -> pd.DataFrame:
    """The prices of the dataset at ``path``, read once per process (a lesson values many amounts)."""
    return load_prices(as_dataset(path))
