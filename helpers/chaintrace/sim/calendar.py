"""Time, money supply and market conditions of the simulated chain.

Blocks arrive as a Poisson process (exponential gaps, mean 600 s), the subsidy follows the real
halving schedule, and fee rates and the USD price drift day by day, so a trainee who converts a
payment to dollars "on the day" gets a plausible number.

>>> import random
>>> times = block_times(random.Random(1), 1_709_164_800, 3)
>>> len(times), times[0] < times[1] < times[2]
(3, True)
>>> subsidy(839_999), subsidy(840_000)
(625000000, 312500000)
"""

import math
import random
from datetime import UTC, datetime

# 2024-02-29 00:00:00 UTC at height 831,400: close to the real chain (block 840,000, the fourth
# halving, came on 2024-04-20), so heights and dates tell a consistent story.
START_TIME = 1_709_164_800
START_HEIGHT = 831_400
BLOCK_INTERVAL = 600
HALVING_INTERVAL = 210_000
COINBASE_MATURITY = 100
START_PRICE_USD = 61_500.0


def subsidy(height: int) -> int:
    """The block reward in satoshis at ``height`` (50 BTC halved every 210,000 blocks).

    >>> subsidy(0), subsidy(210_000)
    (5000000000, 2500000000)
    """
    halvings = height // HALVING_INTERVAL
    return 0 if halvings >= 64 else (50 * 100_000_000) >> halvings


def block_times(rng: random.Random, start: int, n_blocks: int) -> list[int]:
    """Timestamps of ``n_blocks`` blocks after ``start``: exponential gaps with mean 600 s.

    A small share of real header times run backwards (miners' clocks); we keep them monotonic
    because trainees sort by time and an inversion would only confuse lesson 01.

    >>> block_times(random.Random(0), 0, 2)[0] > 0
    True
    """
    times, t = [], float(start)
    for _ in range(n_blocks):
        t += max(1.0, rng.expovariate(1.0 / BLOCK_INTERVAL))
        times.append(int(t))
    return times


def day_of(timestamp: int, start: int = START_TIME) -> int:
    """Whole days since ``start`` (the index into the daily series).

    >>> day_of(START_TIME + 86_400 * 2 + 5)
    2
    """
    return (timestamp - start) // 86_400


def date_text(timestamp: int) -> str:
    """``YYYY-MM-DD`` (UTC) of a Unix time.

    >>> date_text(START_TIME)
    '2024-02-29'
    """
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def daily_prices(
    rng: random.Random, n_days: int, start_price: float = START_PRICE_USD
) -> list[float]:
    """Daily USD closes: a geometric random walk with ~3.3 % daily volatility (2024-like).

    Rounded to cents, as price feeds publish them.

    >>> p = daily_prices(random.Random(2), 5)
    >>> len(p), all(40_000 < x < 90_000 for x in p)
    (5, True)
    """
    prices, log_p = [], math.log(start_price)
    for _ in range(n_days):
        log_p += rng.gauss(0.0015, 0.033)
        prices.append(round(math.exp(log_p), 2))
    return prices


def daily_fee_rates(rng: random.Random, n_days: int) -> list[float]:
    """Median fee rate (sat/vB) of each day: lognormal around 12 sat/vB, as in 2024.

    The 10th-90th percentile of real 2024 daily medians was 4-52 sat/vB; a lognormal with
    sigma 0.9 and a slowly wandering level gives a similar spread with calm and busy weeks.

    >>> r = daily_fee_rates(random.Random(3), 30)
    >>> min(r) >= 1.0
    True
    """
    rates, level = [], 0.0
    for _ in range(n_days):
        level = 0.5 * level + rng.gauss(0.0, 0.45)
        rates.append(max(1.0, round(math.exp(math.log(12.0) + level + rng.gauss(0, 0.5)), 1)))
    return rates
