"""The toolkit's commands of the ``chaintrace`` command line, for investigators.

    chaintrace check                          is this machine ready for the course?
    chaintrace tx TXID                        one transaction (bundled data, or --esplora URL)
    chaintrace address ADDR [ADDR ...]        balance and recent history of addresses
    chaintrace screen ADDR ... --sanctions D [--on DATE]  screen against sanctions lists
    chaintrace fetch-sanctions --to D [--list eu ...]  fetch official lists (needs a connection)
    chaintrace serve [--port 3002]            serve a dataset as an Esplora API for a class
    chaintrace index FOLDER                   add the engine index to a dataset made elsewhere

The course machinery and the generator add their own commands (``chaintrace cohort``,
``chaintrace class``, ``chaintrace generate``) through :mod:`chaintrace.cli`, the console
script, which hands them to :func:`main` as ``extra``: the toolkit never imports them.

Errors print one line to stderr and exit with status 2. ``screen`` exits 1 on a match and 3
when an address could not be read (a look-alike letter, a failed checksum): never 0 then.

>>> main(["tx", "not-a-txid", "--dataset", "no-such-dataset"])
2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from . import __version__


@dataclass(frozen=True)
class Command:
    """A subcommand another wing adds: every option after its name goes to ``run``."""

    help: str
    run: Callable[[list[str]], int | None]


EXAMPLES = """\
examples:
  chaintrace check
  chaintrace tx 5e0668bf1cd24f2f8656ee82d4886f5303a06b26838e24b7db73afc59e228985 \\
      --esplora https://blockstream.info/api
  chaintrace address bc1q... --dataset course --txs 10
  chaintrace screen 1A1zP1... bc1q... --sanctions datasets/course/sanctions
  chaintrace serve --host 0.0.0.0 --port 3002     (trainees use http://<this machine>:3002)
"""


def _source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--dataset", default="course", help="bundled dataset name or folder (default: course)"
    )
    group.add_argument(
        "--esplora",
        metavar="URL",
        help="query an Esplora API instead, e.g. https://blockstream.info/api",
    )


def build_parser(extra: dict[str, Command] | None = None) -> argparse.ArgumentParser:
    """The parser of the toolkit's commands, plus the ``extra`` ones another wing adds."""
    parser = argparse.ArgumentParser(
        prog="chaintrace",
        description="Trace crypto assets on the course's datasets or a live Esplora API.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chaintrace {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub.add_parser("check", help="check Python, packages, the dataset and plotting")

    p = sub.add_parser("tx", help="show a transaction: inputs, outputs, fee, confirmations")
    p.add_argument("txid", help="64 hex characters")
    _source(p)

    p = sub.add_parser("address", help="show addresses' totals and newest transactions")
    p.add_argument("addresses", nargs="+", metavar="ADDRESS")
    p.add_argument(
        "--txs", type=int, default=5, metavar="N", help="newest transactions to list (default 5)"
    )
    _source(p)

    p = sub.add_parser("screen", help="screen addresses against sanctions lists")
    p.add_argument("addresses", nargs="+", metavar="ADDRESS")
    p.add_argument(
        "--sanctions",
        required=True,
        metavar="PATH",
        help="a sanctioned_addresses_<ASSET>.txt, an sdn_advanced.xml, or a folder of them",
    )

    p.add_argument(
        "--on",
        metavar="DATE",
        help="screen every list in the folder (OFAC, EU, UK, NSDC) as it stood on DATE "
        "(YYYY-MM-DD, or 'latest'): listed, delisted or listed later, with the dates",
    )

    p = sub.add_parser(
        "fetch-sanctions", help="fetch, check and keep official sanctions lists with their dates"
    )
    p.add_argument("--to", required=True, metavar="FOLDER", help="where lists are kept")
    p.add_argument(
        "--list",
        action="append",
        metavar="NAME",
        help="ofac (default), ofac-csv, eu, eu-csv, uk, ofsi, nsdc, or all; may be repeated",
    )
    p.add_argument("--url", help="a mirror of the list (only with one --list)")

    p = sub.add_parser("serve", help="serve a dataset as a read-only Esplora API")
    p.add_argument("--dataset", default="course", help="dataset name or folder (default: course)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for a classroom)",
    )
    p.add_argument("--port", type=int, default=3002, help="port (default 3002)")

    p = sub.add_parser("index", help="add the engine index (graph/) to a dataset folder")
    p.add_argument("folder", help="a dataset folder with SHA256SUMS and the three chain tables")

    for name, command in (extra or {}).items():
        p = sub.add_parser(
            name, help=f"{command.help} (options: chaintrace {name} --help)", add_help=False
        )
        p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _chain(args):
    from .chain import open_chain

    return open_chain(args.esplora or args.dataset)


def cmd_tx(args) -> int:
    print(_chain(args).tx(args.txid))
    return 0


def cmd_address(args) -> int:
    from .units import btc

    chain = _chain(args)
    for address in args.addresses:
        print(chain.address_summary(address))
        for tx in chain.address_txs(address, limit=max(args.txs, 0)):
            delta = sum(o.value for o in tx.outputs if o.address == address.strip())
            delta -= sum(i.value for i in tx.inputs if i.address == address.strip())
            when = f"{tx.time:%Y-%m-%d %H:%M}" if tx.time else "unconfirmed    "
            print(f"  {when}  {btc(delta):>22}  {tx.txid}")
    return 0


def cmd_screen(args) -> int:
    """Exit 1 on a match, 3 when an address could not be read (never a clean result), else 0."""
    from . import load_sanctions

    if args.on:
        return _screen_on(args)

    sanctions = load_sanctions(args.sanctions)
    rows = sanctions.screen(args.addresses)
    for version in sanctions.versions:
        print(f"list: {version}")
    hits = rows[rows["result"] == "match"]
    unreadable = rows[rows["result"] == "unreadable"]
    if len(hits):
        shown = ["address", "listed_as", "entity", "asset", "programs", "listed", "source"]
        print(hits[shown].to_string(index=False))
    for row in unreadable.itertuples():
        print(f"UNREADABLE {row.address!r}: {row.note}")
    clean = len(set(args.addresses)) - hits["address"].nunique() - len(unreadable)
    print(f"no match for {clean} address(es) read")
    if len(hits):
        return 1  # like grep: a match is worth a non-zero status in scripts
    return 3 if len(unreadable) else 0


def _screen_on(args) -> int:
    """Several lists on a date. A delisted address counts as a match: it was listed before."""
    from .screening import screen

    rows = screen(args.addresses, args.sanctions, on=None if args.on == "latest" else args.on)
    for version in rows.attrs["versions"]:
        print(f"list: {version}")
    hits = rows[rows["result"] != "unreadable"]
    if len(hits):
        shown = ["address", "result", "list", "list_version", "entity", "listed", "delisted"]
        print(hits[shown].fillna("-").to_string(index=False))
    unreadable = rows[rows["result"] == "unreadable"]
    for row in unreadable.itertuples():
        print(f"UNREADABLE {row.address!r}: {row.note}")
    clean = len(set(args.addresses)) - hits["address"].nunique() - len(unreadable)
    print(f"on no list held for {clean} address(es) read")
    listed = hits["result"].isin(["listed", "delisted"]).any()
    return 1 if listed else (3 if len(unreadable) else 0)


def cmd_fetch_sanctions(args) -> int:
    """Fetch each list asked; exit 2 if any could not be fetched (the others are kept)."""
    from .sanction_sources import LIST_SOURCES, fetch_list
    from .sanctions import SanctionsError

    keys = args.list or ["ofac"]
    keys = sorted(LIST_SOURCES) if "all" in keys else keys
    if args.url and len(keys) != 1:
        raise SanctionsError("--url names a mirror of one list: give exactly one --list with it")
    if len(keys) == 1:  # one list: its error is the command's (a clear message, exit 2)
        version = fetch_list(keys[0], args.to, args.url)
        print(f"kept {version} ({version.list_name})")
        return 0
    failed = 0
    for key in keys:
        try:
            version = fetch_list(key, args.to)
        except SanctionsError as exc:
            print(f"NOT FETCHED {key}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"kept {version} ({version.list_name})")
    return 2 if failed else 0


def cmd_check(args) -> int:
    from .check import check_environment

    report = check_environment()
    print(report)
    return 0 if report.ok else 1


def cmd_serve(args) -> int:
    from .serve import serve

    serve(args.dataset, args.host, args.port)
    return 0


def cmd_index(args) -> int:
    from .graphstore import write

    written = write(args.folder)
    print(f"wrote {len(written)} index files to {written[0].parent} and updated SHA256SUMS")
    return 0


COMMANDS = {
    "tx": cmd_tx,
    "address": cmd_address,
    "screen": cmd_screen,
    "fetch-sanctions": cmd_fetch_sanctions,
    "check": cmd_check,
    "serve": cmd_serve,
    "index": cmd_index,
}


def main(argv=None, extra: dict[str, Command] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a finding/failed check, 2 error).

    ``extra``: the commands of the other wings (:mod:`chaintrace.cli` passes them).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    extra = extra or {}
    if argv[:1] and argv[0] in extra:  # every option belongs to the subcommand
        args = argparse.Namespace(command=argv[0], rest=argv[1:])
    else:
        args = build_parser(extra).parse_args(argv)
    try:
        if args.command in extra:
            return extra[args.command].run(args.rest) or 0
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, LookupError, OSError) as exc:  # our errors are ValueErrors with advice
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"chaintrace {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
