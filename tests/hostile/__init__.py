"""Fixtures for the sandbox tests: a tiny assignment and hostile submissions to grade."""
