"""Answers as data: how a submission's answers leave its kernel and reach the checker.

The kernel (untrusted) turns each answer into JSON with :func:`encode`; the checker (trusted)
turns the JSON back into plain values with :func:`decode`. Whatever the kernel sends, the checker
gets only data: numbers, text, lists, tuples, sets, dicts, dates, numpy and pandas values, and
the toolkit's own records (``chaintrace.model.Transaction`` and friends) rebuilt field by field.
An object whose ``__eq__`` always says yes, a str subclass, a patched ``isinstance``: none of them
survive the trip. A function (``def classify(...)``) travels as a *reference*: the checker calls
it back in the kernel, with data in and data out (see :mod:`chaintrace.grader.checker`).

>>> import pandas as pd
>>> decode(encode({"txids": ["ab", "cd"], "share": 0.8, "seen": {3, 1}}))
{'txids': ['ab', 'cd'], 'share': 0.8, 'seen': {1, 3}}
>>> frame = decode(encode(pd.DataFrame({"inputs": [3, 1]}, index=["a", "b"])))
>>> frame.loc["a", "inputs"], str(frame["inputs"].dtype)
(np.int64(3), 'int64')
>>> class Liar(str):
...     def __eq__(self, other): return True
>>> type(decode(encode(Liar("wrong"))))
<class 'str'>
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import glob
import importlib
import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path, PurePath

from ..errors import ChaintraceError

__all__ = ["AnswerError", "Callback", "MAX_BYTES", "call_back", "decode", "encode", "encode_name"]

MAX_BYTES = 4_000_000  # one answer, encoded; a table of a few thousand rows fits
MAX_DEPTH = 40
MAX_FILE_BYTES = 1_000_000  # a file an answer names travels with its bytes up to this size
MAX_SIDECARS = 5
_TAG = "$"
# dtypes a decoded pandas column may take back (anything else stays as Python objects)
_DTYPES = {"int64", "int32", "float64", "float32", "bool", "object", "str", "string"}


class AnswerError(ChaintraceError, ValueError):
    """An answer that cannot be read as data (its message is shown to the trainee)."""


@dataclasses.dataclass(frozen=True)
class Callback:
    """A function the submission defined, called back in its kernel (see the checker)."""

    name: str


# ----------------------------------------------------------------------------- encoding


def encode_name(namespace: dict, name: str) -> str:
    """The JSON of ``namespace[name]``, or of a marker saying why it cannot be sent.

    Runs in the kernel, on what the kernel chooses to give it: the checker trusts none of it.
    """
    if name not in namespace:
        return json.dumps({_TAG: "missing", "name": name})
    value = namespace[name]
    if callable(value) and not isinstance(value, type) and _is_function(value):
        return json.dumps({_TAG: "callback", "name": name})
    return encode(value)


def _is_function(value) -> bool:
    import types

    return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType))


def encode(value) -> str:
    """JSON text for ``value``; unsupported parts become an ``unreadable`` marker."""
    return json.dumps(_enc(value, 0), allow_nan=False, separators=(",", ":"))


def _enc(value, depth: int):  # noqa: C901 (one branch per kind of value keeps it readable)
    if depth > MAX_DEPTH:
        return {_TAG: "unreadable", "why": f"nested more than {MAX_DEPTH} levels deep"}
    if value is None or isinstance(value, (bool, str, int)) and type(value) in (bool, str, int):
        return value
    if value is ...:  # an unanswered question: the test says so in its own words
        return {_TAG: "ellipsis"}
    if type(value) is float:
        return value if math.isfinite(value) else {_TAG: "float", "v": repr(value)}
    np_value = _numpy_scalar(value)
    if np_value is not None:
        return np_value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__index__(value)
    if isinstance(value, float):
        return _enc(float(value), depth)
    if isinstance(value, (list, tuple, set, frozenset)):
        kind = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}
        name = next(k for t, k in kind.items() if isinstance(value, t))
        items = [_enc(v, depth + 1) for v in value]
        return items if name == "list" else {_TAG: name, "v": items}
    if isinstance(value, dict):
        return {
            _TAG: "dict",
            "v": [[_enc(k, depth + 1), _enc(v, depth + 1)] for k, v in value.items()],
        }
    return _enc_other(value, depth)


def _numpy_scalar(value):
    module = type(value).__module__
    if module != "numpy" or not hasattr(value, "dtype") or getattr(value, "ndim", 1) != 0:
        return None
    item = value.item()
    if isinstance(item, float) and not math.isfinite(item):
        item = {_TAG: "float", "v": repr(item)}
    return {_TAG: "np", "dtype": str(value.dtype), "v": item}


def _enc_other(value, depth: int):
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return {_TAG: "timestamp", "v": value.isoformat()}
    if isinstance(value, pd.Timedelta):
        return {_TAG: "timedelta", "v": value.total_seconds()}
    if isinstance(value, dt.datetime):
        return {_TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {_TAG: "timedelta", "v": value.total_seconds()}
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, Fraction):
        return {_TAG: "fraction", "v": [value.numerator, value.denominator]}
    if isinstance(value, PurePath):
        return _enc_path(value)
    if isinstance(value, np.ndarray):
        return {_TAG: "ndarray", "dtype": str(value.dtype), "v": _enc(value.tolist(), depth + 1)}
    if isinstance(value, pd.Series):
        return {
            _TAG: "series",
            "name": _enc(value.name, depth + 1),
            "dtype": str(value.dtype),
            "index": _enc(list(value.index), depth + 1),
            "v": _enc(value.tolist(), depth + 1),
        }
    if isinstance(value, pd.DataFrame):
        return {
            _TAG: "frame",
            "columns": _enc(list(value.columns), depth + 1),
            "dtypes": [str(t) for t in value.dtypes],
            "index": _enc(list(value.index), depth + 1),
            "index_name": _enc(value.index.name, depth + 1),
            "v": [_enc(value[c].tolist(), depth + 1) for c in value.columns],
        }
    if dataclasses.is_dataclass(value) and type(value).__module__.startswith("chaintrace."):
        fields = {
            f.name: _enc(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)
        }
        return {
            _TAG: "record",
            "type": f"{type(value).__module__}:{type(value).__qualname__}",
            "f": fields,
        }
    return {_TAG: "unreadable", "why": f"a {type(value).__name__} cannot be graded as data"}


def _enc_path(value: PurePath) -> dict:
    """A path, with the file's bytes when it names a file, and its sidecars' (files beside it
    whose names extend its name, like ``x.csv.sha256``): the checker cannot see the kernel's
    disk, so an exported exhibit travels as what it holds."""
    encoded: dict = {_TAG: "path", "v": str(value)}
    if not isinstance(value, Path):
        return encoded
    try:
        if value.is_file() and value.stat().st_size <= MAX_FILE_BYTES:
            encoded["b64"] = base64.b64encode(value.read_bytes()).decode("ascii")
            beside = sorted(value.parent.glob(glob.escape(value.name) + "?*"))[:MAX_SIDECARS]
            encoded["sidecars"] = {
                p.name: base64.b64encode(p.read_bytes()).decode("ascii")
                for p in beside
                if p.is_file() and p.stat().st_size <= MAX_FILE_BYTES
            }
    except OSError:
        pass  # unreadable: the path alone goes, and the test finds no file there
    return encoded


# ----------------------------------------------------------------------------- decoding


def decode(text, callbacks=None, files=None):
    """Plain values from :func:`encode`'s JSON (checker side: trusts nothing in ``text``).

    ``callbacks(name)`` turns a function reference into something callable; without it, a
    function answer decodes to a :class:`Callback`. ``files(path, content)`` turns a path (and
    the file's bytes, or None) into the path the checker's tests read; without it, a path
    decodes to a ``PurePath``. Raises :class:`AnswerError` when the text
    is too large or not an answer.
    """
    if isinstance(text, str) and len(text) > MAX_BYTES:
        raise AnswerError(f"the answer is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        data = json.loads(text) if isinstance(text, str) else text
        return _dec(data, 0, (callbacks, files))
    except AnswerError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, OverflowError) as error:
        raise AnswerError(f"the answer could not be read ({type(error).__name__})") from None


def _dec(data, depth: int, hooks):  # noqa: C901
    if depth > MAX_DEPTH + 2:
        raise AnswerError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    if data is None or type(data) in (bool, str, int, float):
        return data
    if type(data) is list:
        return [_dec(v, depth + 1, hooks) for v in data]
    if type(data) is not dict or not isinstance(data.get(_TAG), str):
        raise AnswerError("the answer is not in the grader's format")
    tag = data[_TAG]

    def inner(value):
        return _dec(value, depth + 1, hooks)

    if tag == "ellipsis":
        return ...
    if tag == "missing":
        raise NameError(f"name {str(data['name'])!r} is not defined")
    if tag == "unreadable":
        raise AnswerError(str(data.get("why", "the answer cannot be graded as data")))
    if tag == "callback":
        name = str(data["name"])
        return hooks[0](name) if hooks[0] else Callback(name)
    if tag in ("tuple", "set", "frozenset"):
        items = [inner(v) for v in _list(data["v"])]
        return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        return {_hashable(inner(k)): inner(v) for k, v in _list(data["v"])}
    if tag == "float":
        return float(_choice(data["v"], ("nan", "inf", "-inf")))
    if tag == "path":
        return _dec_path(data, hooks[1])
    return _dec_other(tag, data, inner)


def _dec_other(tag: str, data: dict, inner):  # noqa: C901
    import numpy as np
    import pandas as pd

    if tag == "np":
        kind = np.dtype(_dtype(data["dtype"]))
        if kind.kind not in "biuf":
            raise AnswerError(f"a number of type {kind} cannot be graded")
        return kind.type(inner(data["v"]))
    if tag == "timestamp":
        return pd.Timestamp(str(data["v"]))
    if tag == "datetime":
        return dt.datetime.fromisoformat(str(data["v"]))
    if tag == "date":
        return dt.date.fromisoformat(str(data["v"]))
    if tag == "timedelta":
        return dt.timedelta(seconds=float(data["v"]))
    if tag == "decimal":
        return Decimal(str(data["v"]))
    if tag == "fraction":
        numerator, denominator = _list(data["v"])
        return Fraction(int(numerator), int(denominator))
    if tag == "ndarray":
        return np.array(inner(data["v"]), dtype=_dtype(data["dtype"]))
    if tag == "series":
        values = _column(inner(data["v"]), str(data["dtype"]))
        index = _list(inner(data["index"]))
        if len(index) != len(values):
            raise AnswerError("the series' labels do not match its values")
        return values.set_axis(pd.Index(index)).rename(_hashable(inner(data["name"])))
    if tag == "frame":
        return _frame(data, inner)
    if tag == "record":
        return _record(str(data["type"]), data["f"], inner)
    raise AnswerError(f"unknown kind of answer {tag!r}")


def _dec_path(data: dict, files):
    path = str(data["v"])
    if not files:
        return PurePath(path)
    content = _bytes(data["b64"]) if "b64" in data else None
    sidecars = data.get("sidecars") or {}
    if type(sidecars) is not dict or len(sidecars) > MAX_SIDECARS:
        raise AnswerError("the files beside a file in the answer are not in the grader's format")
    for name, text in sidecars.items():
        if not isinstance(name, str) or "/" in name or not name.startswith(PurePath(path).name):
            raise AnswerError(
                "the files beside a file in the answer are not in the grader's format"
            )
        files(str(PurePath(path).with_name(name)), _bytes(text))
    return files(path, content)


def _bytes(text) -> bytes:
    if not isinstance(text, str) or len(text) > 2 * MAX_FILE_BYTES:
        raise AnswerError("a file in the answer is larger than the grader reads")
    return base64.b64decode(text, validate=True)


def _frame(data: dict, inner):
    import pandas as pd

    columns = [_hashable(c) for c in _list(inner(data["columns"]))]
    dtypes, values = _list(data["dtypes"]), _list(data["v"])
    if not len(columns) == len(dtypes) == len(values):
        raise AnswerError("the table's columns do not match its data")
    index = _list(inner(data["index"]))
    frame = pd.DataFrame(
        {i: _column(inner(v), str(t)) for i, (v, t) in enumerate(zip(values, dtypes, strict=True))}
    )
    if len(frame) != len(index):
        raise AnswerError("the table's row labels do not match its rows")
    frame.index = pd.Index(index, name=_hashable(inner(data.get("index_name"))))
    frame.columns = columns
    return frame


def _column(values, dtype: str):
    import pandas as pd

    series = pd.Series(_list(values), dtype=object)
    if dtype in _DTYPES:
        try:
            return series.astype(dtype)
        except (ValueError, TypeError):
            return series
    if dtype.startswith("datetime64"):
        return pd.to_datetime(series)
    return series


def _record(type_name: str, fields, inner):
    """A toolkit record (a dataclass of ``chaintrace``), rebuilt without running its code."""
    module_name, _, qualname = type_name.partition(":")
    if not module_name.startswith("chaintrace.") or "." in qualname or not qualname:
        raise AnswerError(f"{type_name!r} is not one of the toolkit's records")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise AnswerError(f"{type_name!r} is not one of the toolkit's records")
    if type(fields) is not dict:
        raise AnswerError("a record's fields are not in the grader's format")
    names = {f.name for f in dataclasses.fields(cls)}
    if set(fields) != names:
        raise AnswerError(f"a {qualname} needs exactly the fields {sorted(names)}")
    record = object.__new__(cls)
    for name in sorted(names):
        object.__setattr__(record, name, inner(fields[name]))
    return record


def _list(value) -> list:
    if type(value) is not list:
        raise AnswerError("the answer is not in the grader's format")
    return value


def _hashable(value):
    if isinstance(value, list):
        raise AnswerError("a list cannot be a key or a label")
    return value


def _choice(value, allowed):
    if value not in allowed:
        raise AnswerError("the answer is not in the grader's format")
    return value


def _dtype(name) -> str:
    name = str(name)
    if name not in _DTYPES and not name.startswith(
        ("int", "uint", "float", "bool", "<U", "datetime64")
    ):
        raise AnswerError(f"unknown number type {name!r}")
    return "object" if name in ("str", "string") else name


def call_back(namespace: dict, name: str, calls: str) -> str:
    """Call the submission's function ``name`` once per ``[args, kwargs]`` in ``calls``.

    Runs in the kernel when the checker calls a function answer back (``classify(move)``).
    Returns ``{"results": [JSON of each result], "error": None}``; the first call that raises
    stops the batch, and its error is given instead.
    """
    function = namespace.get(name)
    if not callable(function):
        raise TypeError(f"`{name}` is not a function in the notebook")
    results: list[str] = []
    for positional, keywords in decode(calls):
        try:
            results.append(encode(function(*positional, **keywords)))
        except Exception as error:  # the trainee's bug: reported as that call's failure
            return encode({"results": results, "error": f"{type(error).__name__}: {error}"})
    return encode({"results": results, "error": None})
