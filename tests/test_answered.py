"""A test cell's first line, ``answered(value, name)``, says why there is no answer to check.

Run in a real IPython shell, as in a notebook: the cell before the test cell is the answer cell.
"""

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    shell.run_cell("from chaintrace.check import answered", store_history=True)
    yield shell
    InteractiveShell.clear_instance()


def message_of_test_cell(shell, answer_cell: str) -> str:
    shell.run_cell(answer_cell, store_history=True)
    result = shell.run_cell('answered(fee_sats, "fee_sats")', store_history=True)
    assert result.error_in_exec is not None, "answered() let an unanswered question through"
    assert type(result.error_in_exec).__name__ == "NotAnswered"
    return str(result.error_in_exec)


def test_an_untouched_scaffold_has_no_answer_yet(shell):
    message = message_of_test_cell(shell, "fee_sats = ...\nraise NotImplementedError()")
    assert "has no answer yet" in message and "replace the `...`" in message


def test_an_answer_cell_that_raised_is_named_with_its_error(shell):
    message = message_of_test_cell(shell, 'fee_sats = ...\nrows = {"a": 1}\nfee_sats = rows["fee"]')
    assert "stopped with an error (KeyError: 'fee')" in message
    assert "no answer yet" not in message


def test_an_answer_cell_with_a_syntax_error_is_named(shell):
    shell.run_cell("fee_sats = ...", store_history=True)  # a cell that cannot be read runs no line
    message = message_of_test_cell(shell, "fee_sats = ...\nfee_sats = (1 +")
    assert "stopped with an error (SyntaxError" in message


def test_an_error_in_an_unrelated_cell_is_not_blamed(shell):
    shell.run_cell("fee_sats = ...", store_history=True)
    message = message_of_test_cell(shell, "other = 1 / 0")
    assert "has no answer yet" in message


def test_an_answer_passes_through(shell):
    shell.run_cell("fee_sats = 1 / 0", store_history=True)
    shell.run_cell("fee_sats = 250", store_history=True)
    result = shell.run_cell('answered(fee_sats, "fee_sats")', store_history=True)
    assert result.error_in_exec is None and result.result == 250
