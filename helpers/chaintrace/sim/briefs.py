"""The words of every case brief: each case's ``title`` and ``brief`` templates, in one place.

The case scripts fill these in with their variant's names, dates and amounts
(``RANSOM_BRIEF[1].format(victim=..., group=...)``); a case file holds the filled-in English.
A trainee who reads the course in another language sees the brief translated
(:attr:`chaintrace.Case.brief`): each template below is the ``msgid`` of a ``python-format``
entry of ``chaintrace/locale/<lang>.po``, whose ``{fields}`` carry the names across unchanged.
Changing a word here changes the data; the tests then ask for the translation to be revised.

>>> RANSOM_TITLE[1]
'Ransom paid by a freight company'
>>> THEFT_BRIEF.format(victim="Baltica Exchange")[:52]
'Baltica Exchange, an exchange, reports that its hot '
>>> len(templates()) == len(set(templates()))
True
"""

from __future__ import annotations

# ---------------------------------------------------------------------------- Bitcoin cases
# keyed by the case's variant: 1 for ``-01``, 2 for its twin ``-02``

RANSOM_TITLE = {1: "Ransom paid by a freight company", 2: "Ransom paid by a dental practice"}
RANSOM_BRIEF = {
    1: (
        "{victim}, a logistics firm, was hit by ransomware calling itself "
        "{group} and paid the ransom in bitcoin after buying it at an exchange. The "
        "company reports the payment below. Follow the money from the payment to the "
        "first service where an account holder can be identified, and say which "
        "exchange should receive a production order for which deposit address."
    ),
    2: (
        "{victim}, a chain of dental clinics, paid a ransom to a group calling itself "
        "{group} after its patient records were encrypted. The practice reports the payment "
        "below. Find how the group shared the ransom with its affiliate, follow the "
        "affiliate's part to the first service where an account holder can be identified, "
        "and say which exchange should receive a request for which deposit address."
    ),
}

DARKNET_TITLE = {1: "A darknet market order", 2: "Another order on the same market"}
DARKNET_BRIEF = (
    "Police seized a buyer's phone. Its wallet app shows one order paid on the darknet market "
    "Tundra Market to the vendor '{vendor}'. Markets hold buyers' coins "
    "in escrow, pool them in a market wallet and pay vendors their share in batches. Follow "
    "the order to the market's wallet and to the vendor, and find where the vendor turned the "
    "coins into money."
)

SANCTIONS_TITLE = {
    1: "A nested exchange at a large exchange",
    2: "Another deposit of the same payment agent",
}
SANCTIONS_BRIEF = (
    "Northmint, a large regulated exchange, filed a suspicious activity report on its corporate "
    "customer Ferrum Trade LLC, registered as a 'payment agent', whose deposit addresses receive "
    "large sums at all hours. The FIU passes on one deposit. Find where the money came from, "
    "screen every counterparty on the way against the training sanctions list, and explain what "
    "Ferrum Trade really is."
)

COINJOIN_TITLE = {
    1: "Coins that went through CoinJoins and a mixer",
    2: "A second suspect's coins through CoinJoins and a mixer",
}
COINJOIN_BRIEF = (
    "A partner agency seized a suspect's wallet backup. One address received a large payment "
    "from an exchange; the suspect says the coins are 'long gone'. Find what privacy tools the "
    "coins went through, which outputs after them may still be the suspect's, what common-input "
    "clustering gets wrong here, and whether any of it reached an exchange that knows its customers."
)

THEFT_TITLE = {1: "An exchange hot wallet drained", 2: "A second exchange drained"}
THEFT_BRIEF = (
    "{victim}, an exchange, reports that its hot wallet was drained in one transaction. "
    "The thieves are known to split loot over many addresses and move it in small steps. "
    "Trace every part of the loot: which exchanges received it (and so can be asked who holds "
    "the accounts), how much went into a mixer, and what is still sitting on the chain."
)

CLUSTER_TITLE = {1: "An investment scam's wallet", 2: "Another investment scam's wallet"}
CLUSTER_BRIEF = (
    "A complainant paid an online 'investment club' ({scam}) and never saw the "
    "money again. Other victims paid other addresses. Find every address that common-input "
    "clustering puts with the one the complainant paid, and the transaction that first joined "
    "the club's old and new wallets into one cluster."
)

# ---------------------------------------------------------------------------- account chains

ACCOUNT_TITLE = {1: "USDT sent to an investment scam", 2: "A supplier's USDT that never arrived"}
ACCOUNT_BRIEF = {
    1: (
        "A victim of the 'Quantum Yield Club' investment scheme paid in USDT on Ethereum. "
        "Unlike Bitcoin there are no inputs and outputs: a transfer moves a balance from "
        "one account to another. Find the transfer, its value in USDT, its fee in ETH, "
        "and where the scammer moved the money next."
    ),
    2: (
        "A trading company pays its regular supplier in USDT on BNB Smart Chain. The "
        "supplier says the last payment never arrived; the company's accountant copied the "
        "supplier's address 'from the wallet's history, as always'. Find the payment, what it "
        "was worth and what it cost in fees, where it really went and where the money went next."
    ),
}

STABLECOIN_TITLE = {
    1: "A 'romance investor' and the USDT that crossed to TRON",
    2: "A company's USDT drained on BNB Smart Chain",
}
STABLECOIN_BRIEF = {
    1: (
        "A victim met an 'investment mentor' online who showed him big returns on the "
        "platform 'Lunaria Markets'. On the mentor's advice he bought USDT at an exchange and "
        "paid it into the platform's Ethereum deposit address; when he asked to withdraw, "
        "the platform demanded a 'tax' first. Find his payment, follow the money across "
        "any swap and bridge, and say what the USDT issuer could still freeze on the day he "
        "reported (report_time)."
    ),
    2: (
        "A logistics company approved what looked like an invoice-payment app; minutes later "
        "its USDT on BNB Smart Chain was gone. Find the theft, follow the money across any "
        "swap and bridge, and say what could still be frozen on the day it reported "
        "(report_time)."
    ),
}

EVASION_TITLE = "After the designation: where {exchange}'s customers' money went"
EVASION_BRIEF = (
    "{exchange}, a Russian exchange, was designated on {designated}. A "
    "partner financial-intelligence unit shares a list of its customers' addresses, found "
    "in a seized chat, and the exchange's own wallets as the lists name them. Find where "
    "its balances went after the designation, follow each customer's money across "
    "chains, swaps and services, screen what it touched against the lists, and say who "
    "could still freeze what at the report time (report_time), in USD and UAH."
)

# ---------------------------------------------------------------------------- the capstone
# keyed by the variant's typology; {victim} and {sector} are English words of their own
# (case_capstone.TYPOLOGIES), translated through their own catalogue entries

CAPSTONE_TITLE = {
    "ransomware": "A ransom paid in bitcoin, and where it went",
    "investment_fraud": "A trading platform that never paid back",
}
CAPSTONE_BRIEF = {
    "ransomware": (
        "{victim}, {sector}, had its systems encrypted by a group calling itself "
        "{suspect} and paid the ransom in bitcoin after buying it at an exchange. The company "
        "reports the payment below (report_time is when the file reaches you). Find where the "
        "money went, across chains if it did, who controls it, which services can identify the "
        "account holders or still freeze what is left, and prepare the file for a court."
    ),
    "investment_fraud": (
        "An investor ({victim}) paid bitcoin, in several deposits, to '{suspect}', an online "
        "trading platform that showed growing profits and then stopped answering. The victim "
        "reports the payments below (report_time is when the file reaches you). Find where the "
        "money went, across chains if it did, who controls it, which services can identify the "
        "account holders or still freeze what is left, and prepare the file for a court."
    ),
}


def templates() -> list[str]:
    """Every title and brief template of this module, in the order written."""
    found: list[str] = []
    for name, value in globals().items():
        if name.endswith(("_TITLE", "_BRIEF")):
            found += [value] if isinstance(value, str) else list(value.values())
    return found
