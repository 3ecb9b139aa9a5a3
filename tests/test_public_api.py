"""The public API is small, flat and documented: every name has a docstring with an example."""

import inspect
import re

import chaintrace


def public():
    for name in chaintrace.__all__:
        if name != "__version__":
            yield name, getattr(chaintrace, name)


def test_every_public_name_resolves_and_is_documented():
    for name, obj in public():
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"chaintrace.{name} has no docstring"


def test_every_public_function_has_a_runnable_example():
    """In its own docstring, or in its module's docstring where the module shows it in use."""
    for name, obj in public():
        if not inspect.isfunction(obj):
            continue
        own = inspect.getdoc(obj) or ""
        module = inspect.getdoc(inspect.getmodule(obj)) or ""
        shown = re.search(rf">>> .*\b{name}\(", module)
        assert ">>>" in own or shown, (
            f"chaintrace.{name} has no example (own or in its module's docstring)"
        )


def test_no_public_name_hides_a_submodule():
    for name, _ in public():
        assert not (inspect.ismodule(getattr(chaintrace, name))), f"chaintrace.{name} is a module"
