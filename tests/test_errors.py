"""One error base: every error class the package defines subclasses chaintrace.ChaintraceError."""

import importlib
import inspect
import pkgutil

import chaintrace
import pytest
from chaintrace import ChaintraceError


def _modules():
    for info in pkgutil.walk_packages(chaintrace.__path__, prefix="chaintrace."):
        if info.name.endswith("__main__"):
            continue  # running it would start a program
        yield importlib.import_module(info.name)


def _error_classes():
    """Every public exception class defined (not just imported) in a chaintrace module.

    Private ones (``_TooBig``) are signals caught inside their own module and never reach a
    caller.
    """
    found = {}
    for module in _modules():
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


def test_every_error_class_subclasses_the_base():
    errors = _error_classes()
    assert len(errors) >= 15, sorted(errors)  # the walk really reached the package
    outside = sorted(q for q, cls in errors.items() if not issubclass(cls, ChaintraceError))
    assert outside == [], (
        "every error must subclass chaintrace.ChaintraceError (keeping its built-in base, e.g. "
        f"class X(ChaintraceError, ValueError)): {outside}"
    )


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("NotFound", LookupError),
        ("NotFound", ValueError),
        ("ChainError", ValueError),
        ("AddressError", ValueError),
        ("DatasetError", ValueError),
        ("EsploraError", ValueError),
        ("TagPackError", ValueError),
        ("SanctionsError", ValueError),
        ("AccountError", ValueError),
    ],
)
def test_errors_keep_their_builtin_base(name, builtin):
    cls = getattr(chaintrace, name)
    assert issubclass(cls, ChaintraceError) and issubclass(cls, builtin)


def test_one_except_clause_catches_what_the_toolkit_refused():
    with pytest.raises(ChaintraceError, match="txid"):
        chaintrace.open_chain("course").tx("00" * 31)
