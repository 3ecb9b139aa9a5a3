"""Assemble and write a whole dataset: chain tables, investigator files, cases, ground truth.

>>> sorted(CASE_MODULES)[:2]
['account-01', 'account-02']
"""

import gc
import random

import pyarrow as pa

from . import accounts, extras, invariants, lists, osint, reference, writer, xcases
from .briefs import ACCOUNT_BRIEF, ACCOUNT_TITLE
from .calendar import START_TIME, date_text
from .cases import REGISTRY
from .economy import Economy
from .txids import Pipeline

# the module each case file belongs to (Bitcoin cases: chaintrace.sim.cases.REGISTRY)
CASE_MODULES = {
    **{case_id: spec.module for case_id, spec in REGISTRY.items()},
    "account-01": "01",
    "stablecoin-01": "09",
    **xcases.CASE_MODULES,
}
ATTEMPTS = 6


def simulate(
    seed: int, n_transactions: int, progress=None, cases=True, txids_alongside=False
) -> Economy:
    """Run the economy; if a case's story does not hold, rerun that case with its next stream.

    A case that breaks gets its own derived stream ``"<seed>/<case id>/retry-<k>"`` (k = 1..5);
    the background and every other case keep theirs, so the result is still a pure function of
    ``seed`` and a retry of one case moves nothing else. Raises :class:`CaseError` (listing
    every failure) if a case fails :data:`ATTEMPTS` times. Without ``cases`` (the scale
    profile) no case is scripted and nothing needs checking; ``cases`` may also list case ids.
    With ``txids_alongside`` a second process computes the txids while the economy runs
    (:class:`chaintrace.sim.txids.Pipeline`, kept as ``eco.txid_pipeline`` for the writer).
    """
    attempts: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    while True:
        # forked before the economy is made, while this process is smallest
        pipeline = Pipeline() if txids_alongside else None
        try:
            eco = Economy(seed, n_transactions, progress=progress, attempts=attempts, cases=cases)
            eco.txid_pipeline = pipeline
            eco.run()
            broken = cases and (invariants.failures(eco) or osint.failures(eco, seed))
        except BaseException:
            if pipeline is not None:
                pipeline.close()
            raise
        if not broken:
            return eco
        if pipeline is not None:
            pipeline.close()
        for case, what in sorted(broken.items()):
            errors.setdefault(case, []).append(f"attempt {attempts.get(case, 0)}: {what}")
            attempts[case] = attempts.get(case, 0) + 1
        given_up = sorted(c for c, k in attempts.items() if k >= ATTEMPTS)
        if given_up:
            detail = "; ".join(e for c in given_up for e in errors[c])
            raise invariants.CaseError(
                f"no valid economy for seed {seed} with {n_transactions} transactions: "
                f"{', '.join(given_up)} failed after {ATTEMPTS} attempts ({detail}); "
                "try another seed or more transactions"
            )


# from this many transactions on, txids are computed in a second process while the economy
# runs, and the tables are built and compressed in two processes
PARALLEL_FROM = 100_000
_JOB: dict = {}  # what forked workers inherit (the finished chain, the folders being written)


def _tables_job(keys: tuple[str, ...]) -> None:
    """Write the tables named in ``keys`` ("truth": the ground-truth tables) to their files."""
    chain, out, truth = _JOB["chain"], _JOB["out"], _JOB["truth"]
    for name, (n, rows) in writer.table_rows(chain).items():
        if name in keys:
            writer.write_parquet(out.path(f"{name}.parquet"), n, rows)
    if "truth" in keys:
        for name, (n, rows) in writer.truth_rows(chain).items():
            writer.write_parquet(truth.path(f"{name}.parquet"), n, rows)


def _write_tables(chain, out, truth, parallel: bool) -> None:
    """The chain tables into ``out`` and the ground-truth tables into ``truth`` (Trees)."""
    # two balanced halves: outputs (the biggest table) alone, everything else together
    jobs = [("outputs",), ("blocks", "transactions", "inputs", "truth")]
    _JOB.update(chain=chain, out=out, truth=truth)
    try:
        if not parallel:
            for job in jobs:
                _tables_job(job)
            return
        import multiprocessing

        for name in writer.SHARED_BEFORE_FORK:  # read by both writers: made once, shared
            writer.shared(chain, name)
        # A forked writer's garbage collections would write to every object the economy holds,
        # copying its pages: frozen objects are left alone (gc.freeze, made for this).
        gc.collect()
        gc.freeze()
        try:
            with multiprocessing.get_context("fork").Pool(2) as pool:
                pool.map(_tables_job, jobs)
        finally:
            gc.unfreeze()
    finally:
        _JOB.clear()


def _engine_index(chain, out) -> None:
    """The ``graph/`` files (:mod:`chaintrace.graphstore`), from the chain's arrays."""
    # the tables are written: of the arrays made for them, keep only what the index reads
    writer.release_shared(chain, writer.INDEX_READS)
    for rel, table in writer.index_tables(chain).items():
        # level 1: raw txids do not compress at any level, and level 9 costs seconds at 10^6
        writer.write_table(out.path(rel), table, level=1)
    writer.release_shared(chain)


def build(
    seed: int,
    n_transactions: int,
    out_dir,
    truth_dir,
    name: str,
    progress=None,
    cases: bool = True,
) -> dict:
    out, truth = writer.Tree(out_dir), writer.Tree(truth_dir)
    try:
        summary = _build(seed, n_transactions, out, truth, name, progress, cases)
        out.close()
        truth.close()
    except BaseException:
        out.abandon()
        truth.abandon()
        raise
    return summary


def _build(seed, n_transactions, out, truth, name, progress, cases) -> dict:
    parallel = n_transactions >= PARALLEL_FROM
    eco = simulate(seed, n_transactions, progress, cases, txids_alongside=parallel)
    chain = writer.Chain(eco, progress)
    rng = random.Random(f"chaintrace-extras-{seed}")
    _write_tables(chain, out, truth, len(eco.ledger.t_height) >= PARALLEL_FROM)
    _engine_index(chain, out)
    data: dict[str, bytes] = {}  # the small files, written at the end
    truth_files: dict[str, bytes] = {}
    dates = [date_text(START_TIME + 86_400 * d) for d in range(len(eco.prices))]
    data["prices.csv"] = extras.prices_csv(dates, eco.prices)
    tags = extras.tag_list(eco, rng)
    data["tags.yaml"] = extras.tagpack_yaml(eco, tags)
    # what the sanctions cases' investigators find off the chain (drawn in simulate(), against
    # these same tags): its own file and ground truth, since the tags move with any case's addresses
    for case_id, (claims, answers) in sorted(eco.notes.get("osint", {}).get("corpora", {}).items()):
        data[f"osint/{case_id}.jsonl"] = osint.jsonl(claims)
        truth_files[f"osint/{case_id}.json"] = writer.json_bytes(
            {"case_id": case_id, "claims": answers}
        )
    # its own stream: the tags above draw once per address, so a case's addresses would move it
    rows, actors, acct = extras.account_ledger(eco, random.Random(f"chaintrace-account-{seed}"))
    # the account chains draw from their own RNGs: built before the lists (which name their
    # addresses: xchain["designations"]) without changing anything the lists draw
    rows, account_files, stable, xchain = accounts.extend(eco, seed, rows, actors, cases)
    data.update(lists.sanctions(eco, rng, actors, extra_records=xchain["designations"]))
    data["account/transfers.parquet"] = writer.parquet_bytes(_transfers_table(rows))
    data.update(account_files)
    if cases:
        _account_case(eco, acct)
        eco.cases["stablecoin-01"] = accounts.case_files(stable)
        eco.cases.update(xchain["cases"])
    for case_id, case in sorted(eco.cases.items()):
        brief = chain.resolve(case["brief"])
        brief.setdefault("module", CASE_MODULES.get(case_id, ""))
        brief["dataset"] = name
        data[f"cases/{case_id}.json"] = writer.json_bytes(brief)
        truth_files[f"cases/{case_id}.json"] = writer.json_bytes(
            {"case_id": case_id, "dataset": name, **chain.resolve(case["truth"])}
        )
    for rel, blob in truth_files.items():
        truth.put(rel, blob)
    if cases:  # the scale profile has no cases to keep out of it, and no lesson needs it
        data["labelled/reference-wallets.csv"] = reference.reference_csv(truth.read(), seed)
    led = eco.ledger
    summary = {
        "name": name,
        "seed": seed,
        "attempt": eco.attempt,
        "attempts": dict(sorted(eco.attempts.items())),
        "transactions": len(led.t_height),
        "outputs": len(led.o_value),
        "addresses": len(eco.book),
        "blocks": len(led.blocks),
        "days": eco.n_days,
        "cases": sorted(eco.cases),
    }
    for rel, blob in data.items():
        out.put(rel, blob)
    return {**summary, "files": out.files()}


def _transfers_table(rows) -> pa.Table:
    s = pa.string()
    types = {
        "tx_hash": s,
        "block": pa.int64(),
        "time": pa.int64(),
        "from": s,
        "to": s,
        "asset": s,
        "value": s,
        "decimals": pa.int32(),
        "fee_wei": s,
        "chain": s,
        "log_index": pa.int32(),
        "fee_sun": s,
        "bridge_ref": s,
        "contract": s,
        "tx_from": s,
        "method": s,
    }
    return pa.table({k: pa.array([r[k] for r in rows], type=t) for k, t in types.items()})


def _account_case(eco, acct) -> None:
    pay, fwd = acct["pay"], acct["forward"]
    eco.cases["account-01"] = {
        "brief": {
            "case_id": "account-01",
            "title": ACCOUNT_TITLE[1],
            "typology": "scam",
            "brief": ACCOUNT_BRIEF[1],
            "reported": {
                "tx_hash": pay["tx_hash"],
                "from_address": pay["from"],
                "to_address": pay["to"],
                "date": date_text(pay["time"]),
                "asset": "USDT",
                "amount": int(pay["value"]) / 10**6,
            },
        },
        "truth": {
            "tx_hash": pay["tx_hash"],
            "value_base_units": pay["value"],
            "decimals": 6,
            "fee_wei": pay["fee_wei"],
            "scam_address": acct["scam"],
            "next_tx_hash": fwd["tx_hash"],
            "next_to": fwd["to"],
            "next_to_entity": "Kupolex",
            "next_value_base_units": fwd["value"],
        },
    }
