"""Malformed case and price files give a DatasetError naming the file, the place and the fix."""

import pytest
from chaintrace.dataset import DatasetError, read_case_file, read_price_file


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"case_id": "R1", "reported": {', r"R1.json is not valid JSON: .* line 1, column 32"),
        (b'{"case_id": "R\xff1"}', r"R1.json is not UTF-8 text \(byte 14\)"),
        (b"[" * 100_000 + b"]" * 100_000, "nests JSON too deeply"),
        (b'["R1"]', "one JSON object"),
        (b'{"case_id": "R1", "reported": 3}', "'reported' object"),
    ],
)
def test_bad_case_files(tmp_path, content, message):
    path = tmp_path / "R1.json"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message) as caught:
        read_case_file(path)
    assert "make the dataset again" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"day,usd\n2024-01-01,1\n", "needs the columns date,usd .* lacks date"),
        (b"date,usd\n2024-01-01,1\n2024-01-02,lots\n", r"line 3: 'lots' is not a number"),
        (b"date,usd\n01/02/2024,1\n", r"line 2: '01/02/2024' is not a YYYY-MM-DD date"),
        (b"date,usd\n2024-01-01,\xff\n", r"not UTF-8 text"),
        (b'date,usd\n"2024-01-01,1\n', "not a readable CSV"),
    ],
)
def test_bad_price_files(tmp_path, content, message):
    path = tmp_path / "prices.csv"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        read_price_file(path)


def test_good_price_file(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("date,usd\n2024-01-01,42000.5\n")
    frame = read_price_file(path)
    assert str(frame["date"].dtype).startswith("datetime64") and frame["usd"].iloc[0] == 42000.5
