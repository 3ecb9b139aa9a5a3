"""Cohort variants grade the later assignments too (see test_cohorts.py, which grades the first
half: two modules, so pytest-xdist runs them side by side)."""

import pytest
from conftest import ASSIGNMENTS
from test_cohorts import FIRST_HALF, check_variants, variants  # noqa: F401 (variants: fixture)


@pytest.mark.parametrize("assignment", ASSIGNMENTS[len(FIRST_HALF) :])
def test_variants_grade_their_own_answers_and_reject_copied_ones(assignment, variants, tmp_path):  # noqa: F811
    check_variants(assignment, variants, tmp_path)
