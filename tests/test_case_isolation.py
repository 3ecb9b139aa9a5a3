"""Cases do not move each other: adding a case leaves every other case's files and every
background transaction byte-identical (chaintrace.sim.casework)."""

import pytest
from chaintrace.sim import build, cases, casework, invariants, writer
from chaintrace.sim.calendar import START_HEIGHT

SEED, SIZE = 7, 3_000


def probe_plan(eco, case_id):
    """A throw-away case that touches as much as a case can: its own people, deposits at three
    services (swept by itself), a nested-service deposit, a CoinJoin round of its own."""
    st = {"who": cases.add_entity(eco, "Probe person", "individual", cases.PROFILES["core"])}
    eco.schedule(eco.height + eco.n_blocks // 3, probe_start, st)
    return st


def probe_start(eco, st):
    from chaintrace.sim import case_laundering

    st["addr"] = eco.new_address(st["who"], "receive", "p2wpkh")
    casework.endow(eco, st["addr"], 150_000_000)
    st["people"] = case_laundering.crowd(eco, "wasabi", 12, lambda: 25_000_000)
    eco.schedule(eco.height + 3, probe_spend, st)


def probe_spend(eco, st):
    from chaintrace.sim import case_laundering

    led = eco.ledger
    pays = [
        (casework.deposit(eco, st["who"], eco.by_name[name]), 5_000_000)
        for name in ("Kupolex", "Northmint", "Bystrobit")
    ]
    pays.append((eco.by_name["Ferrum Trade"].data["deposits"][0], 4_000_000))
    st["tx"] = eco.spend(st["who"], pays, typology="payment")
    for name in ("Kupolex", "Northmint", "Bystrobit"):
        casework.sweep_soon(eco, eco.by_name[name])
    coin = next(o for o in led.t_outputs[st["tx"]] if led.o_addr[o] not in dict(pays))
    eco.schedule(
        eco.height + 2,
        lambda e: st.update(
            round=case_laundering.wasabi_round(e, st["people"], [(st["who"], [coin])])
        ),
    )


def probe_finalise(eco, case):
    st = invariants._state(eco, case)
    invariants.require(st.get("round") is not None, case, "no round")
    eco.cases[case] = {"brief": {"case_id": case}, "truth": {"round": writer.tx_ref(st["round"])}}


@pytest.fixture
def with_probe(monkeypatch):
    def add():
        monkeypatch.setitem(cases.REGISTRY, "probe-01", cases.Spec("00", (47, 48, 49), probe_plan))
        monkeypatch.setitem(invariants.FINALISERS, "probe", probe_finalise)

    return add


def _background(eco):
    """Every background transaction as the chain shows it (txid, block, inputs, outputs)."""
    chain = writer.Chain(eco)
    led, book = eco.ledger, eco.book
    rows = []
    for t in range(len(led.t_height)):
        i = led.t_height[t] - START_HEIGHT
        if t in led.t_case or (not led.t_inputs[t] and casework.is_case_block(i)):
            continue
        rows.append(
            (
                chain.txid[t],
                led.t_height[t],
                tuple((chain.txid[led.o_tx[o]], led.o_vout[o]) for o in led.t_inputs[t]),
                tuple(
                    (book.address[led.o_addr[o]] if led.o_addr[o] >= 0 else "", led.o_value[o])
                    for o in led.t_outputs[t]
                ),
            )
        )
    return rows


def test_a_new_case_moves_no_background_transaction(with_probe):
    before = build.simulate(SEED, SIZE)
    with_probe()
    after = build.simulate(SEED, SIZE)
    assert "probe-01" in after.cases and "probe-01" not in before.cases
    assert len(after.ledger.t_case) > len(before.ledger.t_case)
    assert _background(before) == _background(after)


def test_a_new_case_moves_no_other_case_file(with_probe, tmp_path):
    build.build(SEED, SIZE, tmp_path / "a", tmp_path / "ta", "iso")
    with_probe()
    build.build(SEED, SIZE, tmp_path / "b", tmp_path / "tb", "iso")
    for side in ("", "t"):
        old = {p.name: p.read_bytes() for p in (tmp_path / f"{side}a" / "cases").iterdir()}
        new = {p.name: p.read_bytes() for p in (tmp_path / f"{side}b" / "cases").iterdir()}
        assert set(new) - set(old) == {"probe-01.json"}
        for name in old:
            assert old[name] == new[name], f"{side or 'brief'} {name} moved"


def test_a_case_cannot_spend_a_background_coin():
    eco = build.Economy(SEED, 400, cases=False)
    eco.run()
    eco.add_case("x-01", ())
    coin = next(
        o
        for o in range(len(eco.ledger.o_value))
        if eco.ledger.o_spent[o] == -1 and eco.ledger.o_addr[o] >= 0
    )
    with eco.in_case("x-01"), pytest.raises(Exception, match="never spend each other's coins"):
        eco.ledger.add(eco.height, [coin], [(eco.ledger.o_addr[coin], 1)], entity=0, typology="x")


def test_a_broken_case_retries_its_own_stream_only(monkeypatch):
    real = invariants.FINALISERS["darknet"]
    seen = []

    def flaky(eco, case):
        seen.append((case, eco.case_runs[case].attempt))
        if case == "darknet-02" and eco.case_runs[case].attempt == 0:
            raise invariants.CaseError("case darknet-02 is broken: test")
        real(eco, case)

    monkeypatch.setitem(invariants.FINALISERS, "darknet", flaky)
    eco = build.simulate(SEED, SIZE, cases=["darknet-01", "darknet-02"])
    assert eco.attempts == {"darknet-02": 1}
    assert ("darknet-02", 1) in seen and ("darknet-01", 1) not in seen
