"""The chaintrace command line: lookups, screening, errors as one line with exit status 2."""

import subprocess
import sys

import pytest
from _chain_fixtures import HUB, address
from chaintrace.cli import build_parser, main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for command in ("check", "tx", "address", "screen", "serve", "generate", "examples:"):
        assert command in out


def test_tx_prints_the_transaction(capsys, mini_path):
    from chaintrace import load_dataset

    txid = load_dataset(mini_path).case("M1").payment_txid
    code, out, err = run(capsys, "tx", txid, "--dataset", str(mini_path))
    assert code == 0 and err == ""
    assert txid in out and "6.00000000 BTC" in out and "sat/vB" in out


def test_address_prints_summary_and_history(capsys, mini_path):
    code, out, _ = run(capsys, "address", HUB, "--dataset", str(mini_path), "--txs", "2")
    assert code == 0 and "28 transactions" in out and "balance" in out
    assert len([line for line in out.splitlines() if line.startswith("  20")]) == 2


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["tx", "xyz"], "64 hexadecimal characters"),
        (["tx", "00" * 32], "not in the bundled dataset"),
        (["address", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"], "never appears"),
    ],
)
def test_errors_are_one_line_and_exit_2(capsys, mini_path, argv, needle):
    code, out, err = run(capsys, *argv, "--dataset", str(mini_path))
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unknown_dataset_is_an_error(capsys, tmp_path):
    code, _, err = run(capsys, "tx", "ab" * 32, "--dataset", str(tmp_path / "none"))
    assert code == 2 and "no dataset" in err


def test_esplora_unreachable_is_an_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CHAINTRACE_CACHE", str(tmp_path))
    code, _, err = run(capsys, "tx", "ab" * 32, "--esplora", "http://127.0.0.1:9")
    assert code == 2 and "cannot connect" in err


def test_dataset_and_esplora_are_exclusive(capsys):
    with pytest.raises(SystemExit) as info:
        main(["tx", "ab" * 32, "--dataset", "x", "--esplora", "http://y"])
    assert info.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_screen_finds_listed_address(capsys, mini_path):
    listed = address("peel-5", "p2sh")
    code, out, _ = run(capsys, "screen", listed, HUB, "--sanctions", str(mini_path / "sanctions"))
    assert code == 1 and listed in out and HUB not in out
    code, out, _ = run(capsys, "screen", HUB, "--sanctions", str(mini_path / "sanctions"))
    assert code == 0 and "no match for 1 address(es) read" in out
    assert "list: sanctioned_addresses_XBT.txt, no issue date, sha256 " in out


def test_screen_never_reports_unreadable_input_as_clean(capsys, mini_path):
    listed = address("peel-5", "p2sh")
    lookalike = listed.replace("a", "\u0430") if "a" in listed else listed[:-1] + "\u0430"
    code, out, _ = run(capsys, "screen", lookalike, "--sanctions", str(mini_path / "sanctions"))
    assert code == 3 and "UNREADABLE" in out and "CYRILLIC SMALL LETTER A" in out
    assert "no match for 0 address(es) read" in out
    hidden = listed[:4] + "\u200b" + listed[4:]
    code, out, _ = run(capsys, "screen", hidden, "--sanctions", str(mini_path / "sanctions"))
    assert code == 1 and "UNREADABLE" not in out


def test_serve_options_parse():
    args = build_parser().parse_args(
        ["serve", "--dataset", "mini", "--host", "0.0.0.0", "--port", "8080"]
    )
    assert (args.dataset, args.host, args.port) == ("mini", "0.0.0.0", 8080)


def test_console_script_entry_runs():
    result = subprocess.run(
        [sys.executable, "-m", "chaintrace.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.startswith("chaintrace ")


def test_check_reports_and_exits_0_or_1(capsys):
    code, out, _ = run(capsys, "check")
    assert code in (0, 1) and ("All checks passed" in out or "problem(s) to fix" in out)


def test_generate_delegates_its_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["generate", "--help"])
    assert info.value.code == 0 and "seed" in capsys.readouterr().out
