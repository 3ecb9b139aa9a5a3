"""Where each official sanctions list is published, and fetching it: checked, dated, kept.

:data:`LIST_SOURCES` is the one table of addresses (``docs/sanctions-lists.md`` explains each).
:func:`fetch_list` downloads one list into ``<folder>/<list folder>/``, reads it with its
format's reader (refusing what is cut short, not that format, empty of addresses, or older
than the list already held), replaces the current file in one step, keeps a copy under
``archive/`` with its date in the name, and writes ``<file>.source.json``: where and when it
was fetched, its SHA-256 and its issue date (the fetch date when the format states none). A
screen then says which version it used (:func:`chaintrace.screening.screen`). Only this needs
a connection; the course never fetches anything.

>>> sorted(LIST_SOURCES)
['eu', 'eu-csv', 'nsdc', 'ofac', 'ofac-csv', 'ofsi', 'uk']
>>> LIST_SOURCES["ofac"].file
'sdn_advanced.xml'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import urllib.error
from dataclasses import asdict, dataclass
from pathlib import Path

from .sanction_formats import READERS, date_in_name
from .sanctions import (
    MANIFEST_SUFFIX,
    OFAC_SDN_ADVANCED_URL,
    ListVersion,
    SanctionsError,
    SanctionsList,
    _download,
)

_OFAC_EXPORTS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
_EU_FILES = "https://webgate.ec.europa.eu/fsd/fsf/public/files/"
_EU_TOKEN = "?token=dG9rZW4tMjAxNw"  # the public token the EU's own download links carry


@dataclass(frozen=True)
class ListSource:
    """One published list file: whose list, its address, where it is kept, how it is read."""

    list_name: str
    url: str
    folder: str  # under the folder given to fetch_list ("" for OFAC's, as the course keeps it)
    file: str
    kind: str  # a key of chaintrace.sanction_formats.READERS, or "ofac-xml"
    note: str = ""
    header: str = ""  # an HTTP header the publisher requires, read from the environment
    companions: tuple[str, ...] = ()  # files published beside it, fetched with it


LIST_SOURCES = {
    "ofac": ListSource("OFAC SDN", OFAC_SDN_ADVANCED_URL, "", "sdn_advanced.xml", "ofac-xml"),
    "ofac-csv": ListSource("OFAC SDN", _OFAC_EXPORTS + "SDN.CSV", "", "SDN.CSV", "ofac-csv",
                           companions=("ALT.CSV", "SDN_COMMENTS.CSV")),
    "eu": ListSource("EU", _EU_FILES + "xmlFullSanctionsList_1_1/content" + _EU_TOKEN, "eu",
                     "xmlFullSanctionsList_1_1.xml", "eu-xml"),
    "eu-csv": ListSource("EU", _EU_FILES + "csvFullSanctionsList_1_1/content" + _EU_TOKEN, "eu",
                         "csvFullSanctionsList_1_1.csv", "eu-csv"),
    "uk": ListSource("UK", "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml", "uk",
                     "UK_Sanctions_List.xml", "uk-xml",
                     "gov.uk/government/publications/the-uk-sanctions-list links the current file"),
    "ofsi": ListSource("UK", "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
                       "uk", "ConList.csv", "ofsi-csv",
                       "retired 28 January 2026: useful only for what was listed before"),
    "nsdc": ListSource("NSDC", "https://api-drs.nsdc.gov.ua", "nsdc", "subjects.json",
                       "nsdc-json", "the register's API asks for a key (set NSDC_API_KEY)",
                       "x-cota-public-api-key:NSDC_API_KEY"),
}  # fmt: skip


def _read(kind: str, path: Path) -> SanctionsList:
    if kind == "ofac-xml":
        return SanctionsList.from_xml(path)
    return READERS[kind](path)


def fetch_list(
    key: str, folder, url: str | None = None, *, timeout: float = 30.0, deadline: float = 600.0,
    max_bytes: int = 1 << 30,
) -> ListVersion:  # fmt: skip
    """Fetch the list ``key`` of :data:`LIST_SOURCES` (or from ``url``, a mirror) into
    ``folder``, check it and keep it with its date; returns the version kept.

    Nothing already held changes unless the new file reads as a complete list of that format,
    with at least one address, no older than the one held.

    >>> import tempfile
    >>> from chaintrace import paths
    >>> mirror = paths.dataset_dir("course") / "sanctions" / "uk" / "UK_Sanctions_List.xml"
    >>> folder = Path(tempfile.mkdtemp())
    >>> kept = fetch_list("uk", folder, mirror.as_uri())  # a copy stands in for the FCDO's
    >>> kept.list_name, (folder / "uk" / "archive" / f"UK_Sanctions_List_{kept.issued}.xml").is_file()
    ('UK', True)
    """
    if key not in LIST_SOURCES:
        raise SanctionsError(f"no list {key!r}; choose one of {', '.join(sorted(LIST_SOURCES))}")
    source = LIST_SOURCES[key]
    url = url or source.url
    target_dir = Path(folder) / source.folder
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / source.file
    part = target_dir / f".{source.file}.part"
    headers = {}
    if source.header:
        name, _, variable = source.header.partition(":")
        if os.environ.get(variable):
            headers[name] = os.environ[variable]
    today = dt.datetime.now(dt.UTC)
    limits = (timeout, deadline, max_bytes, headers)
    parts = [part] + [target_dir / f".{name}.part" for name in source.companions]
    try:
        if source.kind == "nsdc-json":
            sha256, size = _fetch_register(url, part, limits)
        else:
            sha256, size = _download(url, part, *limits)
        fresh = _read(source.kind, part)
        issued = fresh.issued or today.strftime("%Y-%m-%d")
        _check(fresh, issued, target, source, url)
        for name, companion in zip(source.companions, parts[1:], strict=True):
            _download(f"{url.rsplit('/', 1)[0]}/{name}", companion, *limits)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        for one in parts:
            one.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise SanctionsError(
            f"could not fetch the {source.list_name} list from {url}: {reason}. The list in "
            f"{target_dir} is unchanged; check the connection (or the --url of a mirror) and "
            "try again" + (f" ({source.note})" if source.note else "") + "."
        ) from None
    (target_dir / "archive").mkdir(exist_ok=True)
    for name, one in zip((source.file, *source.companions), parts, strict=True):
        os.replace(one, target_dir / name)  # atomic: a reader sees the old file or the new
        stem, _, ext = name.rpartition(".")
        shutil.copyfile(target_dir / name, target_dir / "archive" / f"{stem}_{issued}.{ext}")
    fetched = today.strftime("%Y-%m-%dT%H:%M:%SZ")
    version = ListVersion(source.file, issued, sha256, url, fetched, source.list_name)
    record = {**asdict(version), "bytes": size, "addresses": len(fresh),
              "dated_by": "the file" if fresh.issued else "the fetch"}  # fmt: skip
    Path(f"{target}{MANIFEST_SUFFIX}").write_text(json.dumps(record, indent=1) + "\n")
    return version


def _fetch_register(base: str, part: Path, limits: tuple) -> tuple[str, int]:
    """Ukraine's register through its API: both kinds of subject, then the actions (decrees,
    dates, status) of every subject with a wallet attribute, joined into one JSON file."""
    import hashlib

    from .sanction_formats import _WALLET_KEY

    subjects = []
    for kind in ("individual", "legal"):
        _download(f"{base}/v2/subjects?subjectType={kind}", part, *limits)
        try:
            page = json.loads(part.read_bytes())
        except ValueError:
            raise SanctionsError(f"{base} answered subjects that are not JSON") from None
        if not isinstance(page, list):
            raise SanctionsError(f"{base} answered subjects that are not a JSON list")
        for subject in page:
            if isinstance(subject, dict):
                subject.setdefault("subjectType", kind)
                subjects.append(subject)
    wallets = [
        s
        for s in subjects
        if any(
            _WALLET_KEY.search(str(a.get("key", "")))
            for a in s.get("attributes") or []
            if isinstance(a, dict)
        )
    ]
    if len(wallets) > MAX_REGISTER_SUBJECTS:
        raise SanctionsError(
            f"{len(wallets)} subjects with wallets: more than {MAX_REGISTER_SUBJECTS}, not the register"
        )
    for subject in wallets:
        _download(f"{base}/subjects/{subject['sid']}/actions", part, *limits)
        try:
            subject["actions"] = json.loads(part.read_bytes())
        except ValueError:
            raise SanctionsError(f"the actions of subject {subject['sid']} are not JSON") from None
    data = (json.dumps(wallets, ensure_ascii=False, indent=1) + "\n").encode()
    part.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), len(data)


MAX_REGISTER_SUBJECTS = 5_000  # subjects with a wallet; a bound on requests to the register


def _check(fresh: SanctionsList, issued: str, target: Path, source: ListSource, url: str) -> None:
    if source.kind == "ofac-xml" and fresh.issued is None:
        raise SanctionsError(
            f"the file from {url} has no issue date: not a complete sdn_advanced.xml"
        )
    if len(fresh) == 0:
        raise SanctionsError(
            f"the file from {url} lists no digital-currency address: not a complete "
            f"{source.list_name} list"
        )
    held = _held_issue(target, source)
    if held and held > issued:
        raise SanctionsError(
            f"{url} gave a list issued {issued}, older than the one held ({held}); the server "
            "may be a stale mirror"
        )


def _held_issue(target: Path, source: ListSource) -> str | None:
    record = Path(f"{target}{MANIFEST_SUFFIX}")
    if record.is_file():
        try:
            return json.loads(record.read_text())["issued"]
        except (ValueError, KeyError, TypeError):
            pass
    if target.is_file():
        try:
            return _read(source.kind, target).issued or date_in_name(target.name)
        except SanctionsError:
            return None
    return None
