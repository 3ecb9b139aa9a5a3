"""The one base of every error the toolkit raises.

Each error keeps the built-in base it always had (``NotFound`` is still a ``LookupError``,
``AddressError`` a ``ValueError``), so existing ``except`` clauses keep working, and also
subclasses :class:`ChaintraceError`, so one clause catches whatever the toolkit refused:

>>> import chaintrace
>>> try:
...     chaintrace.parse_address("not an address")
... except chaintrace.ChaintraceError as exc:
...     print(type(exc).__name__, isinstance(exc, ValueError))
AddressError True

A message is written in English where it is raised and shown in the reader's language
(``$CHAINTRACE_LANG``, see :mod:`chaintrace.messages`) when it is formatted.

This module imports nothing from the package but :mod:`chaintrace.messages` (which imports
nothing from it), so every part of it (the toolkit, the course machinery, the generator) can
build on it.
"""

__all__ = ["ChaintraceError"]


class ChaintraceError(Exception):
    """Base of every error raised by chaintrace; the message says what is wrong and what to do."""

    def __str__(self) -> str:
        from .messages import translate

        return translate(super().__str__())
