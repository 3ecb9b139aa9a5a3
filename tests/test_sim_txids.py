"""Txids computed in a second process while the economy runs give the same dataset, byte for
byte, as txids computed afterwards in the generator's own process; and a second process that
dies is reported, not waited for."""

import pytest
from chaintrace import ChaintraceError
from chaintrace.sim import build, generate
from chaintrace.sim.economy import Economy
from chaintrace.sim.txids import Pipeline, PipelineError


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    root = tmp_path_factory.mktemp("txids")
    for way, alongside in (("here", False), ("alongside", True)):
        with pytest.MonkeyPatch.context() as mp:
            # the size from which the generator uses the second process, moved to this size
            mp.setattr(build, "PARALLEL_FROM", 1_000 if alongside else 10**12)
            generate(7, 2_500, root / way, root / f"{way}-truth", name="small", cases=False)
    return root


def test_second_process_gives_identical_bytes(both_ways):
    here, alongside = _files(both_ways / "here"), _files(both_ways / "alongside")
    assert sorted(here) == sorted(alongside)
    assert [n for n in here if here[n] != alongside[n]] == []
    truth = _files(both_ways / "here-truth"), _files(both_ways / "alongside-truth")
    assert truth[0] == truth[1]


def test_a_dead_second_process_is_reported_clearly():
    eco = Economy(7, 1_000, cases=False)
    eco.txid_pipeline = pipe = Pipeline()
    eco.run()
    pipe._proc.kill()
    pipe._proc.join()
    with pytest.raises(PipelineError, match="stopped before it finished") as err:
        pipe.finish(eco)
    assert isinstance(err.value, ChaintraceError)


def test_an_error_in_the_second_process_is_passed_back():
    eco = Economy(7, 1_000, cases=False)
    eco.txid_pipeline = pipe = Pipeline()
    eco.run()
    pipe._batch.append((0, [(1, 2)]))  # a block whose one record is broken
    with pytest.raises(PipelineError, match="failed in the second process: ValueError"):
        pipe.finish(eco)


def test_no_second_process_is_left_behind_when_the_economy_fails():
    import multiprocessing

    from chaintrace.sim.build import simulate

    with pytest.raises(ValueError, match="too small"):
        simulate(7, 50, cases=False, txids_alongside=True)
    assert multiprocessing.active_children() == []
