"""chaintrace: the toolkit under the chaintrace course.

Follow crypto assets on a chain, explain every step, and measure how often each method is
wrong. Everything works offline on the bundled training datasets. On a live chain, an Esplora
API answers the same lookups (``open_chain("https://...")``) and the verdicts on one
transaction; traces, taint and clusters run on the transactions you fetched, handed in as a
list (``dataset=[chain.tx(t) for t in txids]``), and end where fetching ended.

Names are imported on first use, so ``import chaintrace`` stays fast and a notebook only pays
for what it touches.

>>> import chaintrace
>>> chaintrace.btc(150_000_000)
'1.50000000 BTC'
>>> chaintrace.encoding.make_address is not None   # a public submodule, imported on first use
True
"""

from importlib import import_module

__version__ = "0.1.0"

# public name -> the module (inside chaintrace) that defines it
_EXPORTS = {
    # the base of every error the toolkit raises
    "ChaintraceError": "errors",
    # units and formatting
    "SATS_PER_BTC": "units",
    "btc": "units",
    "to_sats": "units",
    "to_btc": "units",
    # addresses
    "parse_address": "address",
    "Address": "address",
    "AddressError": "address",
    "is_valid_address": "address",
    # datasets and case files
    "load_dataset": "dataset",
    "Dataset": "dataset",
    "DatasetError": "dataset",
    "load_case": "dataset",
    "Case": "dataset",
    # transactions and chains
    "Transaction": "model",
    "TxInput": "model",
    "TxOutput": "model",
    "AddressSummary": "model",
    "Spend": "model",
    "Chain": "chain",
    "LocalChain": "chain",
    "open_chain": "chain",
    "ChainError": "chain",
    "NotFound": "chain",
    "Esplora": "esplora",
    "EsploraError": "esplora",
    "make_server": "serve",
    # attribution and screening
    "load_tagpack": "tags",
    "TagPack": "tags",
    "Tag": "tags",
    "TagPackError": "tags",
    "Attribution": "tags",
    "write_tagpack": "tags",
    # claims found off the chain (OSINT), checked against it and kept as tags with provenance
    "load_claims": "osint",
    "Claim": "osint",
    "check_claims": "osint",
    "lookalikes": "osint",
    "osint_tag": "osint",
    "OsintError": "osint",
    "load_sanctions": "sanctions",
    "SanctionsList": "sanctions",
    "SanctionEntry": "sanctions",
    "SanctionsError": "sanctions",
    # several sanctions lists (OFAC, EU, UK, NSDC) in their versions, screened on a date
    "screen": "screening",
    "load_lists": "screening",
    "SanctionLists": "screening",
    "fetch_list": "sanction_sources",
    "LIST_SOURCES": "sanction_sources",
    # change detection, CoinJoins, clustering, attribution
    "change_candidates": "heuristics",
    "change_table": "heuristics",
    "ChangeVerdict": "heuristics",
    "Vote": "heuristics",
    "HEURISTICS": "heuristics",
    "is_coinjoin": "coinjoin",
    "coinjoin_table": "coinjoin",
    "CoinJoinVerdict": "coinjoin",
    "cluster_addresses": "cluster",
    "Clustering": "cluster",
    "label_clusters": "attribution",
    "attribute": "attribution",
    "exposure": "attribution",
    # account-model chains (Ethereum, TRON): transfers, swaps, bridges, freezes
    "load_transfers": "account",
    "load_freezes": "account",
    "trace_transfers": "account",
    "counterparties": "account",
    "freeze_points": "account",
    "AccountError": "account",
    # across chains and borders: token contracts, crossings, swaps, fiat values, who can freeze
    "load_tokens": "account",
    "custodian_of": "account",
    "freezable": "account",
    "freezable_by_holder": "account",
    "Crossing": "crossing",
    "follow_crossing": "crossing",
    "crossings": "crossing",
    "transaction_legs": "crossing",
    "swap_summary": "crossing",
    "swap_candidates": "crossing",
    "load_prices": "money",
    "value": "money",
    "MoneyError": "money",
    "rate": "money",
    # amounts and dates as the reader's language writes them (USD with UAH beside it in Ukrainian)
    "number_text": "formats",
    "usd_text": "formats",
    "date_text": "formats",
    "time_text": "formats",
    # tracing, taint, plots and evidence
    "build_graph": "graph",
    "TxGraph": "graph",
    "Trace": "trace",
    "trace_forward": "trace",
    "trace_backward": "trace",
    "follow_peel_chain": "trace",
    "paths_between": "trace",
    "Taint": "taint",
    "poison": "taint",
    "haircut": "taint",
    "fifo": "taint",
    "tiho": "taint",
    "compare_taint": "taint",
    "plot_flow": "plot",
    "plot_cluster": "plot",
    "plot_timeline": "plot",
    "exhibit_table": "report",
    "export_exhibit": "report",
    "verify_exhibit": "report",
    "reliability_table": "legal",
    "measured_rates": "legal",
    "draft_request": "legal",
    # typologies: the first move of money, a market's payouts matched to its escrows
    "first_move": "typology",
    "FirstMove": "typology",
    "match_payouts": "typology",
    "TypologyError": "typology",
    # self-checks
    "check_environment": "check",
    # a lesson's printed sentence or plot label in the reader's language (docs/translating.md)
    "translate": "messages",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

# Public submodules, reached as ``chaintrace.<name>`` without an import of their own: the
# lessons use them whole (``ct.account.account_key``, ``ct.encoding.make_address``). Not in
# ``__all__``: ``from chaintrace import *`` brings names, not modules.
SUBMODULES = ("account", "encoding")


def __getattr__(name):
    if name in SUBMODULES:
        return import_module(f"chaintrace.{name}")
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'chaintrace' has no attribute {name!r}") from None
    value = getattr(import_module(f"chaintrace.{module}"), name)
    globals()[name] = value  # cache: next access skips this function
    return value


def __dir__():
    return __all__ + list(SUBMODULES)
