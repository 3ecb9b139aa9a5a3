"""Claims found off the chain (chaintrace.osint) and the corpus the generator plants them in
(chaintrace.sim.osint): what the chain says of each claim is what its ground truth says."""

import json
import random
from urllib.parse import urlparse

import chaintrace as ct
import pytest
from chaintrace import truth
from chaintrace.sim import build, extras, invariants
from chaintrace.sim.osint import HEAD, TAIL, VERDICTS, confidence_for

CASES = ("sanctions-01", "sanctions-02")


@pytest.fixture(scope="module")
def course():
    dataset = ct.load_dataset()
    return dataset, ct.cluster_addresses(dataset), ct.load_tagpack(dataset.tags_path)


def reading(row) -> str:
    """A careful reader's verdict on one row of ``check_claims`` (the lesson's four checks)."""
    if not row.on_chain:
        return "lookalike" if row.lookalike_of else "unsupported"
    if row.cluster_label is not None and row.cluster_label.casefold() != row.label.casefold():
        return "contradicted"
    if row.last_seen < row.published:
        return "stale"
    return "corroborated"


@pytest.mark.parametrize("case_id", CASES)
def test_the_chain_says_of_each_claim_what_the_ground_truth_says(course, case_id):
    dataset, clusters, tags = course
    claims = ct.load_claims(case_id)
    facts = ct.check_claims(claims, dataset, clusters, tags)
    answers = truth.load().osint(case_id)
    assert sorted(answers) == [c.id for c in claims]
    facts = facts.astype(object).where(facts.notna(), None)
    for row, claim in zip(facts.itertuples(), claims, strict=True):
        expected = answers[claim.id]
        assert reading(row) == expected["verdict"], claim
        assert expected["confidence"] == (
            confidence_for(claim.kind, claim.capture)
            if expected["verdict"] == "corroborated"
            else None
        )
        if expected["verdict"] in ("corroborated", "stale"):
            assert expected["owner"] == claim.label  # the name the chain bears out is true
        if expected["verdict"] == "contradicted":
            assert expected["owner"] not in (None, claim.label)


def test_the_twin_holds_every_trap_and_the_lesson_case_some():
    kinds = {c: {a["verdict"] for a in truth.load().osint(c).values()} for c in CASES}
    assert kinds["sanctions-02"] == set(VERDICTS)
    assert kinds["sanctions-01"] == {"corroborated", "lookalike", "unsupported"}


@pytest.mark.parametrize("case_id", CASES)
def test_the_corpus_names_the_paying_address_once_and_truly(case_id):
    chain = ct.open_chain()
    case = ct.load_case(case_id)
    payer = chain.tx(case.deposit_txid).inputs[0].address
    naming = [c for c in ct.load_claims(case_id) if c.address == payer]
    assert len(naming) == 1
    answer = truth.load().osint(case_id)[naming[0].id]
    assert answer["verdict"] == "corroborated"
    assert answer["owner"] == truth.load().case(case_id)["no_kyc_exchange"]


def test_on_the_twin_no_tag_names_the_payers_cluster(course):
    dataset, clusters, tags = course
    case = ct.load_case("sanctions-02")
    payer = ct.open_chain().tx(case.deposit_txid).inputs[0].address
    assert tags.attribute_cluster(clusters.members(clusters.cluster_of(payer))).label is None
    assert payer not in ct.load_sanctions(dataset.sanctions_dir)


def test_captures_verify_and_only_invented_sites_appear():
    for case_id in CASES:
        for claim in ct.load_claims(case_id):
            assert claim.verified is (True if claim.capture == "archive" else None)
            hosts = [urlparse(u).hostname for u in (claim.url, claim.archive_url) if u]
            assert all(h.endswith(".example") for h in hosts), claim.url
            assert claim.address in claim.content  # the copy shows what the claim says


def test_lookalikes_match_the_ends_only(course):
    _, clusters, _ = course
    on_chain = set(clusters.frame()["address"])
    for claim in ct.load_claims("sanctions-02"):
        near = ct.lookalikes(claim.address, on_chain)
        for other in near:
            assert other != claim.address
            assert (other[:HEAD], other[-TAIL:]) == (claim.address[:HEAD], claim.address[-TAIL:])
    assert ct.lookalikes("bc1qabc", ["bc1qabc"]) == []


def test_a_tag_from_a_claim_keeps_its_provenance(tmp_path):
    claim = next(c for c in ct.load_claims("sanctions-02") if c.capture == "archive")
    tag = ct.osint_tag(claim, confidence_for(claim.kind, claim.capture), note="checked on chain")
    path = ct.write_tagpack(tmp_path / "osint.yaml", [tag], {"title": "t", "creator": "me"})
    (back,) = ct.load_tagpack(path, strict=True).tags
    assert (back.address, back.label, back.source) == (claim.address, claim.label, claim.url)
    context = json.loads(back.context)
    assert context["sha256"] == claim.sha256 and context["published"] == claim.published
    assert context["note"] == "checked on chain" and back.lastmod == claim.captured


def test_a_case_without_a_corpus_or_a_level_off_the_scale_is_refused():
    with pytest.raises(ct.OsintError, match="sanctions-01, sanctions-02"):
        ct.load_claims("ransom-01")
    with pytest.raises(ct.ChaintraceError, match="not a confidence level"):
        ct.osint_tag(ct.load_claims("sanctions-01")[0], "certain")


def test_the_twins_fresh_payer_is_skipped_by_the_tagger_with_the_same_draws():
    eco = build.simulate(7, 3_000, cases=["sanctions-02"])
    payer = eco.cases["sanctions-02"]["truth"]["paying_address"].idx
    members = invariants.cluster_members(eco, payer)
    assert members <= extras.unnamed(eco)
    named = {t["address"] for t in extras.tag_list(eco, random.Random(1))}
    assert not {eco.book.address[a] for a in members} & named
    # without the skip the same draws would tag it or not, and every other tag stays the same
    skipped = extras.unnamed(eco).copy()
    extras.unnamed(eco).clear()
    full = extras.tag_list(eco, random.Random(1))
    extras.unnamed(eco).update(skipped)
    assert [t for t in full if t["address"] not in {eco.book.address[a] for a in skipped}] == (
        extras.tag_list(eco, random.Random(1))
    )
