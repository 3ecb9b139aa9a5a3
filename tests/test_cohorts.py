"""Cohort variants: new data and new answers per class, graded against the right variant.

For three seeds besides the bundled one, each assignment on two of them (the first and one of the
others in turn): every solution earns full automatic marks against its variant, every blank
release earns zero, and a submission that hard-codes the bundled data's answers (which earns full
marks on the bundled data) fails on the variant; on the first variant,
the same submissions in each translated edition earn the same marks as the English ones.
Trainee-facing files of a variant hold no ground truth.

The bundled answers are read, typed in and graded on the bundled data in the assignment's grading
batch (tests/grading_batch.py), whose tests share a work unit with this file's.
"""

import json
import re

import nbformat
import pyarrow.parquet as pq
import pytest
from chaintrace import cohort, paths
from conftest import ASSIGNMENTS, MODULES, ROOT, VARIANT_SEEDS, shared_variant
from grading_batch import hard_coded
from nbgrading import Course, auto_points

# public seeds, so guessable by design: allowed in tests only (test_cohort_secrecy.py checks refusal)
SEEDS = VARIANT_SEEDS
TRUTH_COLUMNS = {"entity_id", "change_vout", "typology", "role", "beneficiary_id"}
ENGLISH = ("solution", "blank", "copied")
TRANSLATED = {m["assignment"]: [x for x in m.get("languages", []) if x != "en"] for m in MODULES}


@pytest.fixture(scope="session")  # made once per run, whichever worker asks first
def variants(tmp_path_factory):
    return [shared_variant(tmp_path_factory, seed) for seed in SEEDS]


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def secret_strings(variant) -> set[str]:
    """Identifiers the ground truth states as answers and the case briefs do not give away."""
    secrets = set()
    for answer in (variant.groundtruth_root / "course" / "cases").glob("*.json"):
        brief = (variant.datasets_root / "course" / "cases" / answer.name).read_text(
            encoding="utf-8"
        )
        for text in strings(json.loads(answer.read_text(encoding="utf-8"))):
            if len(text) >= 26 and text not in brief:  # txids and addresses, not words
                secrets.add(text)
    return secrets


def test_creating_a_cohort_records_it_and_keeps_the_seed_private(variants):
    for variant in variants:
        record = variant.record
        assert record["name"] == variant.name
        assert str(SEEDS[variants.index(variant)]) not in (variant.path / "cohort.toml").read_text()
        assert (variant.path / "instructor" / "seed").stat().st_mode & 0o077 == 0


def test_an_existing_cohort_is_never_overwritten(variants):
    with pytest.raises(cohort.CohortError, match="already exists"):
        cohort.create_cohort(variants[0].name, seed=1, root=variants[0].path.parent)


def test_every_variant_has_new_answers(variants):
    bundled = paths.REPO_ROOT / "groundtruth" / "course" / "cases"
    for variant in variants:
        cases = sorted((variant.groundtruth_root / "course" / "cases").glob("*.json"))
        assert {c.name for c in cases} == {c.name for c in bundled.glob("*.json")}
        for case in cases:
            ours = json.loads(case.read_text(encoding="utf-8"))
            theirs = json.loads((bundled / case.name).read_text(encoding="utf-8"))
            assert ours != theirs, f"{variant.name}: case {case.stem} has the bundled answers"


def test_trainee_side_of_a_variant_holds_no_ground_truth(variants):
    released = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "exercises").rglob("*.ipynb")
    )
    for variant in variants:
        trainee = variant.datasets_root / "course"
        for table in trainee.rglob("*.parquet"):
            leaked = TRUTH_COLUMNS & set(pq.read_schema(table).names)
            assert not leaked, f"{table} carries ground-truth columns {leaked}"
        briefs = "\n".join(
            p.read_text(encoding="utf-8") for p in (trainee / "cases").glob("*.json")
        )
        secrets = secret_strings(variant)
        assert secrets, "the ground truth should state answers"
        assert not [s for s in secrets if s in briefs], "a case brief gives an answer away"
        assert not [s for s in secrets if s in released], "a released exercise holds an answer"


def grade(tmp, assignment, variant_dir, submissions) -> Course:
    tmp.mkdir(parents=True)
    course = Course.create(tmp, assignment)
    course.env["CHAINTRACE_VARIANT"] = str(variant_dir) if variant_dir else "default"
    course.generate()
    for student, make in submissions.items():
        course.submit(student, make(course))
    course.autograde()
    course.available = auto_points(course.read_source())
    return course


def total(course, student) -> float:
    return sum(course.scores(student).values())


def graded_on(assignment: str, variants: list) -> list:
    """The variants ``assignment`` is graded on: the first, and one of the others in turn.

    Two variants per assignment, and every variant used by some assignments: a copied answer
    that a generator failed to vary shows on either, and each variant costs 3-5 more
    autogrades per assignment.
    """
    turn = ASSIGNMENTS.index(assignment) % (len(variants) - 1)
    return [variants[0], variants[1 + turn]]


def test_variants_grade_their_own_answers_and_reject_copied_ones(graded, variants, tmp_path):
    """Solution full marks, blank zero and copied bundled answers failing, on two variants."""
    assignment = graded.assignment
    answers, copied = graded.bundled_answers, graded.copied
    submissions = {  # keys of the English ones: ENGLISH
        "solution": lambda course: course.read_source(),
        "blank": lambda course: course.read_release(),
        "copied": lambda course: copied,
    }
    for lang in TRANSLATED[assignment]:  # the same answers in another language: the same marks
        translated = nbformat.read(
            ROOT / lang / "solutions" / assignment / f"{assignment}.ipynb", 4
        )
        submissions[f"solution_{lang}"] = lambda course, nb=translated: nb
        copied_there = hard_coded(translated, answers)
        submissions[f"copied_{lang}"] = lambda course, nb=copied_there: nb
    # graded in the bundled data's batch (tests/grading_batch.py)
    assert total(graded, "copied") == graded.available, (
        "the copied answers are right for the bundled data"
    )
    for number, variant in enumerate(graded_on(assignment, variants)):
        # the other languages on the first variant only: equal marks there show the editions
        # are graded alike, and their answers are the English ones
        chosen = submissions if number == 0 else {k: submissions[k] for k in ENGLISH}
        course = grade(tmp_path / variant.name, assignment, variant.path, chosen)
        assert total(course, "solution") == course.available, (
            f"{variant.name}: the model solution lost marks"
        )
        assert total(course, "blank") == 0, f"{variant.name}: a blank release earned marks"
        assert total(course, "copied") < course.available, f"{variant.name}: copied answers passed"
        for lang in TRANSLATED[assignment] if number == 0 else []:
            for kind in ("solution", "copied"):
                assert course.scores(f"{kind}_{lang}") == course.scores(kind), (
                    f"{variant.name}: the {lang} {kind} is graded otherwise than the English one"
                )


def test_using_a_cohort_switches_every_reader_and_back(variants, monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "VARIANT_FILE", tmp_path / ".chaintrace-variant")
    monkeypatch.delenv("CHAINTRACE_VARIANT", raising=False)
    monkeypatch.setenv("CHAINTRACE_COHORTS", str(variants[0].path.parent))
    cohort.use_cohort(variants[1].name)
    assert paths.datasets_root() == variants[1].datasets_root.resolve()
    assert paths.groundtruth_root() == variants[1].groundtruth_root.resolve()
    assert cohort.active_cohort().name == variants[1].name
    cohort.use_cohort(None)
    assert paths.datasets_root() == paths.REPO_ROOT / "datasets"
    with pytest.raises(cohort.CohortError, match="cohort new"):
        cohort.use_cohort("no-such-cohort")


def test_trainee_notebooks_run_without_the_ground_truth():
    """A variant handed to trainees on laptops has datasets/ only: lessons and released exercises
    must not read chaintrace.truth (hidden tests may: they run where the ground truth is)."""
    trainee = sorted((ROOT / "course").glob("*.ipynb")) + sorted(
        (ROOT / "exercises").rglob("*.ipynb")
    )
    readers = re.compile(
        r"\bchaintrace\.truth\b|\bfrom chaintrace import[^\n]*\btruth\b|\btruth\.load\("
    )
    offenders = []
    for path in trainee:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and readers.search(cell.source):
                offenders.append(f"{path.relative_to(ROOT)} cell {cell.get('id')}")
    assert not offenders, (
        "these trainee-side cells read the instructors' ground truth, which a trainee's copy of a "
        "cohort variant does not have; use the dataset's own files (e.g. dataset.reference_wallets): "
        + ", ".join(offenders)
    )
