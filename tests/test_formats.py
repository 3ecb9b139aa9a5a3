"""Amounts and dates as each edition prints them: English as the course always has, Ukrainian
with a decimal comma, DD.MM.YYYY dates and hryvnias at the NBU rate of the amount's day."""

import datetime as dt

import chaintrace as ct
import pandas as pd
import pytest
from chaintrace.messages import use

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def rates():
    """The official rates as the dataset's file has them, read without the toolkit."""
    path = ct.load_dataset().path / "account" / "rates.csv"
    return pd.read_csv(path, dtype={"date": str}).set_index("date")["uah_per_usd"]


def test_english_prints_what_the_lessons_printed_before():
    when = pd.Timestamp("2024-03-07 14:05:59", tz="UTC")
    with use("en"):
        assert ct.number_text(1234567.891) == f"{1234567.891:,.2f}"
        assert ct.usd_text(31234.5, when) == f"{31234.5:,.2f} USD"
        assert ct.date_text(when) == f"{when:%Y-%m-%d}" == "2024-03-07"
        assert ct.time_text(when) == f"{when:%Y-%m-%d %H:%M} UTC"
        assert ct.time_text(int(when.timestamp())) == ct.time_text(when)


def test_ukrainian_values_the_dollars_at_the_rate_of_the_amounts_own_day(rates):
    usd = 31234.5
    with use("uk"):
        text = ct.usd_text(usd, "2024-03-07")
    number, rest = text.split(" USD (")
    assert number == f"31{NBSP}234,50"
    uah, tail = rest.split(" грн за курсом НБУ на ")
    assert tail == "07.03.2024)"
    assert float(uah.replace(NBSP, "").replace(",", ".")) == pytest.approx(
        usd * rates["2024-03-07"], abs=0.005
    )


def test_a_weekend_day_has_the_rate_of_the_friday_before_and_shows_its_own_date(rates):
    saturday = dt.date(2024, 3, 9)
    assert saturday.weekday() == 5
    assert rates["2024-03-09"] == rates["2024-03-08"]  # the table carries Friday's rate
    with use("uk"):
        text = ct.usd_text(1000, saturday)
    want = f"{1000 * rates['2024-03-08']:,.2f}".replace(",", NBSP).replace(".", ",")
    assert text == f"1{NBSP}000,00 USD ({want} грн за курсом НБУ на 09.03.2024)"


def test_the_day_is_the_utc_date_and_the_language_can_come_from_the_environment(monkeypatch):
    late = pd.Timestamp("2024-03-08 01:30", tz="Europe/Kyiv")  # 7 March, 23:30 UTC
    monkeypatch.setenv("CHAINTRACE_LANG", "uk")
    assert ct.date_text(late) == "07.03.2024"
    assert ct.time_text(late) == "07.03.2024 23:30 UTC"
    assert ct.usd_text(1, late).endswith("на 07.03.2024)")
    assert ct.number_text(-1234.5, 1) == f"-1{NBSP}234,5"


def test_a_variants_own_prices_are_used_when_given():
    table = ct.load_prices().assign(uah_per_usd=40.0)
    with use("uk"):
        assert ct.usd_text(2.5, "2024-03-07", table).startswith("2,50 USD (100,00 грн ")


def test_a_day_without_a_rate_or_a_non_date_is_a_clear_error():
    table = ct.load_prices().assign(uah_per_usd=float("nan"))
    with use("uk"), pytest.raises(ct.MoneyError, match="курсу UAH за 2024-03-07"):
        ct.usd_text(1, "2024-03-07", table)
    with pytest.raises(ct.MoneyError, match="not a date"):
        ct.date_text("March")
    with use("en"):  # English never needs a rate, so it never fails for want of one
        assert ct.usd_text(1, "2024-03-07", table) == "1.00 USD"


def test_a_total_of_amounts_of_different_days_values_each_on_its_own_day(rates):
    amounts, days = [1000.0, 250.25, 10.0], ["2024-03-08", "2024-03-09", "2024-03-11"]
    with use("en"):
        assert ct.usd_text(amounts, days) == "1,260.25 USD"
    with use("uk"):
        text = ct.usd_text(amounts, pd.Series(days))
        same_day = ct.usd_text([1.0, 2.0], ["2024-03-07", "2024-03-07"])
    uah = sum(a * rates[d] for a, d in zip(amounts, days, strict=True))
    shown = text.split(" (")[1].split(" грн")[0]
    assert float(shown.replace(NBSP, "").replace(",", ".")) == pytest.approx(uah, abs=0.005)
    assert text.endswith("08.03.2024–11.03.2024)")
    assert same_day.endswith("за курсом НБУ на 07.03.2024)")
    with pytest.raises(ct.MoneyError, match="2 amounts and 1 days"):
        ct.usd_text([1, 2], ["2024-03-07"])
