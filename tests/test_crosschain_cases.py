"""The account-chain cases of 2026 solved with the public toolkit from their briefs alone, and
checked against the ground truth: what a trainee must be able to do, and can."""

import chaintrace
import pytest
from chaintrace import account, crossing, money, truth

ZERO = {"0x" + "0" * 40, "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"}


@pytest.fixture(scope="module")
def course():
    t = account.load_transfers()
    tags = chaintrace.load_tagpack(chaintrace.load_dataset().path / "account" / "tags.yaml")
    return {"t": t, "tags": tags, "services": {tag.address for tag in tags},
            "prices": money.load_prices(), "freezes": account.load_freezes(),
            "tokens": account.load_tokens()}  # fmt: skip


def _successors(t, brief):
    """Where the sanctioned exchange's balances went after its designation: the new wallets its
    own wallets paid, looking through a wallet that only passed everything on."""
    after = t[t["when"].dt.strftime("%Y-%m-%d") >= brief["designated"]]
    wallets = {a for _, a in brief["exchange_wallets"]}
    found = set()
    for a in set(after[after["from"].isin(wallets)]["to"]) - ZERO:
        got, sent = after[after["to"] == a], after[after["from"] == a]
        passes_on = len(sent) and sum(sent["units"]) == sum(got["units"])
        found |= set(sent["to"]) if passes_on else {a}
    return found


def _solve(course, case_id):
    t, tags, services = course["t"], course["tags"], course["services"]
    brief = chaintrace.load_case(case_id).reported
    successors = _successors(t, brief)
    report = brief["report_time"]
    trails = []
    for _, customer in brief["customers"]:
        start = t[(t["to"] == customer) & t["from"].isin(successors)]
        trails.append(account.trace_transfers(t, start["tx_hash"].tolist(), hops=4, until=report,
                                              stop_at=sorted(services)))  # fmt: skip
    reached = {a for trail in trails for a in trail["to"]} - services - ZERO
    reached |= {a for _, a in brief["customers"]} | successors
    custodians = account.custodian_of(t, sorted(reached), tags)
    swap_wallets = [tag.address for tag in tags if tag.label == "Swapline"]
    for address, holder in list(custodians.items()):
        if holder == "Swapline":  # a swap service holds an order only until it pays it out
            paid_in = t[t["to"] == address].iloc[0]["tx_hash"]
            if len(crossing.swap_candidates(t, paid_in, swap_wallets, course["prices"])):
                del custodians[address]
                reached.discard(address)
    held = account.freezable(t, sorted(reached), at=report, prices=course["prices"],
                             freezes=course["freezes"], tokens=course["tokens"],
                             custodians=custodians)  # fmt: skip
    return {"brief": brief, "successors": successors, "trails": trails,
            "holders": account.freezable_by_holder(held), "custodians": custodians}  # fmt: skip


@pytest.mark.parametrize("case_id", ["evasion-01", "evasion-02"])
def test_evasion_case_is_solved_by_the_toolkit(course, case_id):
    answers = truth.load().case(case_id)
    got = _solve(course, case_id)
    assert got["successors"] == set(answers["successor_wallets"])
    bridges = [row for trail in got["trails"] for row in trail.to_dict("records")
               if row["via"] == "bridge"]  # fmt: skip
    by_design = {}
    for row in bridges:
        c = crossing.follow_crossing(course["t"], row["tx_hash"])
        by_design[c.design] = (c.destination["tx_hash"], c.evidence)
    for design, fact in answers["bridges"].items():
        assert by_design[design] == (fact["destination_tx_hash"], fact["evidence"])
    swaps = [row for trail in got["trails"] for row in trail.to_dict("records")
             if row["via"] == "swap" and row["asset"] == "RUBX"]  # fmt: skip
    summary = crossing.swap_summary(course["t"], swaps[0]["tx_hash"])
    assert summary["n_transfers"] == answers["aggregator"]["n_transfers"]
    assert str(summary["got_units"]["RUBX"]) == answers["aggregator"]["out_base_units"]
    swap = answers["instant_swap"]
    service = [tag.address for tag in course["tags"] if tag.label == swap["service"]]
    found = crossing.swap_candidates(
        course["t"], swap["deposit_tx_hash"], service, course["prices"]
    )
    assert found.loc[0, "tx_hash"] == swap["payout_tx_hash"]
    holders = got["holders"].set_index("holder")
    for holder, usd in answers["freezable_usd"].items():
        assert holders.loc[holder, "usd"] == pytest.approx(usd, abs=0.011), holder
        assert holders.loc[holder, "uah"] == pytest.approx(
            answers["freezable_uah"][holder], abs=0.5
        )
    assert set(holders.index) == set(answers["freezable_usd"])


def test_evasion_cases_differ_where_a_trainee_must_judge():
    lesson, task = truth.load().case("evasion-01"), truth.load().case("evasion-02")
    assert lesson["sanctioned_exchange"] != task["sanctioned_exchange"]
    assert lesson["successor_wallets"] != task["successor_wallets"]
    assert lesson["cashout"]["exchange"] != task["cashout"]["exchange"]
    chains = {k: (v["source_chain"], v["destination_chain"]) for k, v in lesson["bridges"].items()}
    assert chains != {k: (v["source_chain"], v["destination_chain"])
                      for k, v in task["bridges"].items()}  # fmt: skip
    assert lesson["freezable_usd"] != task["freezable_usd"]


def test_mixer_deposits_fall_on_both_sides_of_the_delisting():
    for case_id in ("evasion-01", "evasion-02"):
        mixer = truth.load().case(case_id)["mixer"]
        listed = [d["listed_at_time"] for d in mixer["deposits"]]
        assert True in listed and False in listed
        exposure = truth.load().case(case_id)["exposure"]
        pool = [e for e in exposure if e["address"] == mixer["pool"]]
        assert pool and pool[0]["delisted"] == mixer["delisted"]


def test_account_02_payment_went_to_a_lookalike_and_is_read_with_18_decimals(course):
    t, answers = course["t"], truth.load().case("account-02")
    brief = chaintrace.load_case("account-02").reported
    paid = t[(t["from"] == brief["payer_address"]) & (t["chain"] == "bsc") & (t["units"] > 0)
             & (t["asset"] == "USDT")]  # fmt: skip
    to_fake = paid[paid["to"] != brief["supplier_address"]]
    assert to_fake["tx_hash"].tolist()[-1] == answers["tx_hash"]
    row = to_fake.iloc[-1]
    assert row["decimals"] == 18 and row["amount"] == pytest.approx(brief["amount"], abs=1_000)
    fake = row["to"]
    assert (
        fake[:8].lower() == brief["supplier_address"][:8].lower()
        and fake == answers["scam_address"]
    )
    zero = t[(t["to"] == fake) & (t["units"] == 0)]
    assert set(zero["tx_hash"]) <= set(answers["poisoning_tx_hashes"])
    assert (zero["tx_from"] != zero["from"]).all()  # the scammer sent it, not the victim
    nxt = account.trace_transfers(t, answers["tx_hash"], hops=1)
    assert answers["next_tx_hash"] in set(nxt["tx_hash"])


def test_stablecoin_02_crosses_by_burn_and_mint_and_freezable_balances_match(course):
    t, answers = course["t"], truth.load().case("stablecoin-02")
    case = chaintrace.load_case("stablecoin-02")
    trail = account.trace_transfers(t, answers["victim_tx_hash"], hops=6, until=case.report_time,
                                    stop_at=sorted(course["services"]))  # fmt: skip
    bridge = trail[trail["via"] == "bridge"].iloc[0]
    assert (bridge["evidence"], bridge["tx_hash"]) == ("attestation",
                                                       answers["bridge_destination_tx_hash"])  # fmt: skip
    c = crossing.follow_crossing(t, answers["bridge_source_tx_hash"])
    assert c.fee == 0 and c.source["decimals"] == 18 and c.destination["decimals"] == 6
    assert c.funds_from.startswith("newly minted")
    people = set(trail["to"]) - course["services"] - ZERO
    held = account.freeze_points(t, people, at=case.report_time, freezes=course["freezes"],
                                 tokens=course["tokens"])  # fmt: skip
    can = held[held["issuer_can_freeze"] & (held["chain"] == "tron")]
    assert (
        dict(zip(can["address"], can["units"].map(str), strict=True))
        == answers["freezable_at_report"]
    )


def test_no_token_balance_goes_below_zero_and_nothing_falls_outside_the_window(course):
    t = course["t"].sort_values(["time", "chain", "tx_hash", "log_index"])
    balance, lowest = {}, {}
    for chain, asset, frm, to, units in zip(t["chain"], t["asset"], t["from"], t["to"], t["units"],
                                            strict=True):  # fmt: skip
        if asset in (
            "ETH",
            "BNB",
            "TRX",
        ):  # services' native coins before the window are outside it
            continue
        balance[(chain, asset, to)] = balance.get((chain, asset, to), 0) + units
        key = (chain, asset, frm)
        balance[key] = balance.get(key, 0) - units
        if frm not in ZERO:  # the issuer mints from the zero address
            lowest[key] = min(lowest.get(key, 0), balance[key])
    assert not {k: v for k, v in lowest.items() if v < 0}
    prices = course["prices"].dropna(subset=["eth_usd"])
    first, last = prices["date"].min(), prices["date"].max()
    days = t["when"].dt.strftime("%Y-%m-%d")
    assert days.min() >= first and days.max() <= last
