"""Cohort seeds stay secret: guessable seeds are refused, and cohort.toml does not give the seed back.

These tests write cohort records directly (no dataset is generated), so they run in a second;
tests/test_cohorts.py makes real variants.
"""

import hashlib
import json

import pytest
from chaintrace import cohort

RANDOM_SEED = 3_749_211_608_457_192_033  # what secrets.randbelow(2**62) gives: accepted


def fake_cohort(root, name, seed):
    """A cohort folder with its record and seed file, as create_cohort leaves it (minus data)."""
    folder = root / name
    (folder / "datasets" / "course").mkdir(parents=True)
    (folder / "datasets" / "course" / "SHA256SUMS").write_text("0" * 64 + "  blocks.parquet\n")
    cohort._write_record(folder, name, seed)
    return cohort.Cohort(name, folder)


def old_cohort(root, name, seed):
    """A cohort recorded the old way: an unsalted sha256 of the seed in cohort.toml."""
    made = fake_cohort(root, name, seed)
    record = {k: v for k, v in made.record.items() if not k.startswith("seed_")}
    record["seed_sha256"] = hashlib.sha256(str(seed).encode()).hexdigest()
    lines = [f"{key} = {json.dumps(value)}" for key, value in record.items()]
    (made.path / "cohort.toml").write_text("\n".join(lines) + "\n")
    return made


@pytest.mark.parametrize(
    "seed, why",
    [
        (2026, "fewer than 48 bits"),
        (20240301, "fewer than 48 bits"),
        (918_273, "fewer than 48 bits"),
        (2**48 - 1, "fewer than 48 bits"),
        (-(2**60), "fewer than 48 bits"),
        (2026_2026_2026_2026, "repeat a short group"),
        (7_777_777_777_777_777, "repeat a short group"),
        (123_456_789_012_345_678, "count up or down"),
        (987_654_321_098_765_432, "count up or down"),
    ],
)
def test_guessable_seeds_are_named(seed, why):
    assert why in cohort.seed_weakness(seed)


def test_random_seeds_pass():
    assert cohort.seed_weakness(RANDOM_SEED) is None
    assert all(cohort.seed_weakness(cohort._random_seed()) is None for _ in range(200))


def test_guessable_seed_is_refused_before_anything_is_made(tmp_path):
    with pytest.raises(cohort.CohortError, match=r"seed 2026 is guessable.*omit --seed.*insecure"):
        cohort.create_cohort("kyiv-2026", seed=2026, root=tmp_path)
    assert list(tmp_path.iterdir()) == [], "nothing is left behind"


def test_command_line_refuses_a_guessable_seed(tmp_path, monkeypatch, capsys):
    from chaintrace.cli import main

    monkeypatch.setenv("CHAINTRACE_COHORTS", str(tmp_path))
    assert main(["cohort", "new", "kyiv-2026", "--seed", "2026"]) == 2
    err = capsys.readouterr().err
    assert "guessable" in err and "omit --seed" in err and "--insecure-seed" in err
    assert not (tmp_path / "kyiv-2026").exists()


def test_record_holds_a_salted_slow_fingerprint_not_the_seed(tmp_path):
    one = fake_cohort(tmp_path, "one", RANDOM_SEED)
    two = fake_cohort(tmp_path, "two", RANDOM_SEED)
    text = (one.path / "cohort.toml").read_text()
    assert str(RANDOM_SEED) not in text
    assert hashlib.sha256(str(RANDOM_SEED).encode()).hexdigest() not in text
    assert "seed_sha256" not in text
    record = one.record
    assert record["seed_scrypt_n"] >= 2**14 and len(bytes.fromhex(record["seed_salt"])) == 16
    # salted: the same seed gives another fingerprint in every cohort (no precomputed table)
    assert record["seed_scrypt"] != two.record["seed_scrypt"]
    assert "seed fingerprint scrypt" in str(one)


def test_instructor_can_check_the_seed(tmp_path):
    made = fake_cohort(tmp_path, "kyiv", RANDOM_SEED)
    assert made.seed_matches(RANDOM_SEED)
    assert not made.seed_matches(RANDOM_SEED + 1)
    assert (made.path / "instructor" / "seed").read_text() == f"{RANDOM_SEED}\n"


def test_check_command(tmp_path, monkeypatch, capsys):
    fake_cohort(tmp_path, "kyiv", RANDOM_SEED)
    monkeypatch.setenv("CHAINTRACE_COHORTS", str(tmp_path))
    assert cohort.main(["check", "kyiv", "--seed", str(RANDOM_SEED)]) == 0
    assert "yes" in capsys.readouterr().out
    assert cohort.main(["check", "kyiv", "--seed", "12"]) == 1
    assert "no: cohort kyiv was not made from this seed" in capsys.readouterr().out


def test_old_records_still_read_and_say_how_to_upgrade(tmp_path, monkeypatch, capsys):
    old = old_cohort(tmp_path, "old", RANDOM_SEED)
    assert old.old_fingerprint and old.seed_matches(RANDOM_SEED)
    assert "OLD unsalted seed fingerprint" in str(old)
    assert "chaintrace cohort refingerprint old" in str(old)
    monkeypatch.setenv("CHAINTRACE_COHORTS", str(tmp_path))
    assert cohort.main(["check", "old", "--seed", str(RANDOM_SEED)]) == 0
    assert "refingerprint old" in capsys.readouterr().err


def test_refingerprint_upgrades_an_old_record_and_keeps_the_rest(tmp_path):
    old = old_cohort(tmp_path, "old", RANDOM_SEED)
    before = old.record
    cohort.refingerprint("old", root=tmp_path)  # the seed comes from instructor/seed
    after = old.record
    assert not old.old_fingerprint and "seed_sha256" not in after
    assert old.seed_matches(RANDOM_SEED) and not old.seed_matches(RANDOM_SEED - 1)
    kept = ("name", "created", "chaintrace", "dataset_checksum")
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}


def test_refingerprint_refuses_another_seed(tmp_path):
    old = old_cohort(tmp_path, "old", RANDOM_SEED)
    before = (old.path / "cohort.toml").read_bytes()
    with pytest.raises(cohort.CohortError, match="not the one cohort 'old' was made from"):
        cohort.refingerprint("old", seed=RANDOM_SEED + 1, root=tmp_path)
    assert (old.path / "cohort.toml").read_bytes() == before, "nothing was changed"
