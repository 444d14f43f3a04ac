"""Importing a client's assets from a CSV file: decode, sniff, map the columns, check every row, preview.

Pure but for the translations: no ORM, no clock. The caller gives the client's sites, contacts and
active assets as an :class:`ImportContext` (``selectors.asset_import_context``) and gets a
:class:`Preview`: per row, what importing it would do (create / update / unchanged) and its errors
(line number, field, message). ``services.asset_import`` applies a preview that has no error.

The file:

- UTF-8, with or without a byte-order mark (Windows-1252, Excel's default in France, is accepted with
  a warning); at most :data:`MAX_BYTES` and :data:`MAX_ROWS` rows;
- ``;`` or ``,`` between cells (whichever the header line uses most), quotes as Excel writes them;
- a header line naming the columns in French or English (:data:`COLUMN_ALIASES`; accents, case and
  punctuation do not matter); unknown columns are ignored with a warning.

Rows are matched by serial number among the client's active assets: a row whose serial exists
updates that asset (or leaves it unchanged), any other row creates one. A row without a serial
number cannot be matched: importing the file again creates it again (the preview says so). An empty
cell never erases a value: it leaves the asset's current value as it is.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from pacte.assets import domain

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

#: The fields a column may give, in the order the preview shows them.
FIELDS = (
    "name",
    "kind",
    "make",
    "model",
    "serial",
    "hostname",
    "site",
    "user",
    "purchase_date",
    "warranty_end",
    "operating_system",
    "notes",
)

#: Column headers, folded (no accents, no case, punctuation as spaces) → field.
COLUMN_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ("nom", "name", "libelle", "designation", "label", "equipement", "nom de l'equipement", "asset", "asset name"),
        "name",
    ),
    **dict.fromkeys(("type", "kind", "categorie", "category", "type d'equipement", "asset type"), "kind"),
    **dict.fromkeys(("marque", "make", "brand", "fabricant", "constructeur", "manufacturer", "vendor"), "make"),
    **dict.fromkeys(("modele", "model", "reference"), "model"),
    **dict.fromkeys(
        (
            "numero de serie",
            "numero serie",
            "n de serie",
            "no de serie",
            "num de serie",
            "serie",
            "serial",
            "serial number",
            "serial no",
            "sn",
            "s n",
        ),
        "serial",
    ),
    **dict.fromkeys(
        ("nom d'hote", "nom hote", "hote", "hostname", "host name", "host", "nom reseau", "nom de machine"),
        "hostname",
    ),
    **dict.fromkeys(("site", "emplacement", "lieu", "etablissement", "location"), "site"),
    **dict.fromkeys(("utilisateur", "user", "utilise par", "attribue a", "affecte a", "assigned to"), "user"),
    **dict.fromkeys(
        ("date d'achat", "date achat", "achat", "achete le", "purchase date", "purchased", "purchased on"),
        "purchase_date",
    ),
    **dict.fromkeys(
        (
            "fin de garantie",
            "fin garantie",
            "garantie",
            "garantie jusqu'au",
            "warranty end",
            "end of warranty",
            "warranty",
            "warranty until",
            "warranty expiry",
        ),
        "warranty_end",
    ),
    **dict.fromkeys(("systeme", "systeme d'exploitation", "os", "operating system"), "operating_system"),
    **dict.fromkeys(
        ("notes", "note", "remarques", "remarque", "commentaire", "commentaires", "observations", "comments"),
        "notes",
    ),
}

#: Types as people write them, folded → the kind's code (the codes, English and French labels, synonyms).
KIND_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        (
            "workstation",
            "poste de travail",
            "poste",
            "pc",
            "pc fixe",
            "ordinateur",
            "ordinateur fixe",
            "desktop",
            "station de travail",
            "unite centrale",
        ),
        "workstation",
    ),
    **dict.fromkeys(("laptop", "portable", "pc portable", "ordinateur portable", "notebook"), "laptop"),
    **dict.fromkeys(("server", "serveur", "nas", "hyperviseur", "hypervisor", "stockage", "storage"), "server"),
    **dict.fromkeys(
        ("printer", "imprimante", "copieur", "photocopieur", "multifonction", "mfp", "scanner", "traceur"), "printer"
    ),
    **dict.fromkeys(
        (
            "network",
            "network equipment",
            "reseau",
            "equipement reseau",
            "switch",
            "commutateur",
            "routeur",
            "router",
            "pare-feu",
            "pare feu",
            "firewall",
            "borne wifi",
            "point d'acces",
            "access point",
            "modem",
        ),
        "network",
    ),
    **dict.fromkeys(("phone", "telephone", "telephone fixe", "ip phone", "standard", "ipbx", "pabx"), "phone"),
    **dict.fromkeys(
        ("mobile", "mobile device", "appareil mobile", "smartphone", "telephone mobile", "tablette", "tablet"),
        "mobile",
    ),
    **dict.fromkeys(("software", "logiciel", "application"), "software"),
    **dict.fromkeys(("licence", "license", "abonnement", "subscription"), "licence"),
    **dict.fromkeys(("other", "autre", "divers", "onduleur", "ups"), "other"),
}

TEXT_LIMITS = {
    "name": domain.NAME_MAX,
    "make": domain.MAKE_MAX,
    "model": domain.MODEL_MAX,
    "serial": domain.SERIAL_MAX,
    "hostname": domain.HOSTNAME_MAX,
    "user": domain.USER_NAME_MAX,
    "operating_system": domain.OPERATING_SYSTEM_MAX,
    "notes": domain.NOTES_MAX,
    "site": 150,
    "kind": 100,
}

#: The model fields a row writes, with the field (column) each comes from.
WRITTEN_FROM = {
    "name": "name",
    "kind": "kind",
    "make": "make",
    "model": "model",
    "serial": "serial",
    "hostname": "hostname",
    "site_id": "site",
    "user_name": "user",
    "user_contact_id": "user",
    "purchase_date": "purchase_date",
    "warranty_end": "warranty_end",
    "operating_system": "operating_system",
    "notes": "notes",
}

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"

_PUNCTUATION = re.compile(r"[^\w' ]+")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


# What the caller gives and gets -------------------------------------------------------------------


@dataclass(frozen=True)
class ExistingAsset:
    """An active asset of the client, as the import compares it: model field → current value."""

    id: int
    values: Mapping[str, Any]


@dataclass(frozen=True)
class ImportContext:
    """The client's rows the file may name: folded site names, folded contact names and e-mails, serials."""

    sites: Mapping[str, int] = field(default_factory=dict)
    contacts: Mapping[str, int] = field(default_factory=dict)
    assets: Mapping[str, ExistingAsset] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    line: int
    field: str  # one of FIELDS
    message: str


@dataclass
class PreviewRow:
    line: int
    cells: dict[str, str]  # field → the cell as written (stripped)
    action: str = CREATE
    asset_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)  # model field → value to write
    changes: list[str] = field(default_factory=list)  # fields an update changes
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, field_name: str, message: str) -> None:
        self.errors.append(RowError(self.line, field_name, message))
        self.action = ERROR

    @property
    def label(self) -> str:
        return self.cells.get("name") or self.cells.get("hostname") or self.cells.get("serial") or ""


@dataclass
class Preview:
    columns: dict[str, str] = field(default_factory=dict)  # field → the header as written in the file
    rows: list[PreviewRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.errors for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in (CREATE, UPDATE, UNCHANGED, ERROR)}

    def header(self, field_name: str) -> str:
        return self.columns.get(field_name, field_name)


# Reading the file ---------------------------------------------------------------------------------


def fold_header(value: str) -> str:
    """``"N° de série"`` → ``"n de serie"``; ``"Nom d’hôte"`` → ``"nom d'hote"``."""
    return " ".join(_PUNCTUATION.sub(" ", domain.fold(value).replace("_", " ")).split())


def decode(content: bytes) -> tuple[str | None, str]:
    """The text and the encoding it was read with; ``None`` when it is not text."""
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return None, ""


def sniff_delimiter(header_line: str) -> str:
    """``;`` (French Excel) or ``,``: whichever the header line has more of (``,`` when neither)."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_date(value: str) -> datetime.date | None:
    """DD/MM/YYYY (also with ``-`` or ``.``) or YYYY-MM-DD, a time of day after it ignored; else ``None``."""
    day_first = _DAY_FIRST.fullmatch(value)
    iso = _ISO.fullmatch(value)
    try:
        if day_first:
            day, month, year = (int(part) for part in day_first.groups())
        elif iso:
            year, month, day = (int(part) for part in iso.groups())
        else:
            return None
        if not 1900 <= year <= 2999:
            return None
        return datetime.date(year, month, day)
    except ValueError:
        return None


def parse_kind(value: str) -> str | None:
    return KIND_ALIASES.get(fold_header(value)) or KIND_ALIASES.get(domain.fold(value))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def read(content: bytes) -> Preview:
    """The file's columns and cells (no checks against the client yet); file-level errors stop here."""
    preview = Preview()
    if len(content) > MAX_BYTES:
        preview.file_errors.append(
            _("The file is too large: at most %(size)s MB.") % {"size": f"{MAX_BYTES / (1024 * 1024):g}"}
        )
        return preview
    text, encoding = decode(content)
    if text is None or "\x00" in text:
        preview.file_errors.append(
            _("This is not a CSV text file. From Excel, save it as “CSV UTF-8 (comma delimited)”.")
        )
        return preview
    preview.encoding = encoding
    if encoding != "utf-8":
        preview.warnings.append(_("The file is not UTF-8: it was read as Windows-1252 (Excel's default)."))
    header_line = _first_line(text)
    if not header_line:
        preview.file_errors.append(_("The file is empty."))
        return preview
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(header_line))
    try:
        header: list[str] = []
        for cells in reader:
            if any(cell.strip() for cell in cells):
                header = cells
                break
        positions = _map_columns(header, preview)
        if preview.file_errors:
            return preview
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(preview.rows) >= MAX_ROWS:
                preview.file_errors.append(
                    _("The file has too many rows: at most %(count)s per import.") % {"count": MAX_ROWS}
                )
                return preview
            row = PreviewRow(line=reader.line_num, cells={})
            for position, cell in enumerate(cells):
                name = positions.get(position)
                if name is not None:
                    row.cells[name] = cell.strip()
                elif position >= len(header) and cell.strip():
                    row.error(
                        "",
                        _("This row has more cells than the header has columns (%(count)s).") % {"count": len(header)},
                    )
            preview.rows.append(row)
    except csv.Error as error:
        preview.file_errors.append(
            _("The file cannot be read as CSV near line %(line)s: %(error)s")
            % {"line": reader.line_num, "error": error}
        )
        return preview
    if not preview.rows:
        preview.file_errors.append(_("The file has a header line but no asset."))
    return preview


def _map_columns(header: list[str], preview: Preview) -> dict[int, str]:
    positions: dict[int, str] = {}
    ignored: list[str] = []
    for position, title in enumerate(header):
        name = COLUMN_ALIASES.get(fold_header(title))
        if name is None:
            if title.strip():
                ignored.append(title.strip())
            continue
        if name in preview.columns:
            preview.file_errors.append(
                _("The columns “%(first)s” and “%(second)s” give the same information.")
                % {"first": preview.columns[name], "second": title.strip()}
            )
            continue
        preview.columns[name] = title.strip()
        positions[position] = name
    if not positions:
        preview.file_errors.append(
            _("No known column in the header line: name the columns as in the example (e.g. “nom”, “numéro de série”).")
        )
    elif ignored:
        preview.warnings.append(_("Ignored columns (not recognised): %(columns)s.") % {"columns": ", ".join(ignored)})
    return positions


# Checking each row against the client -------------------------------------------------------------


def preview(content: bytes, context: ImportContext) -> Preview:
    """Read ``content`` and say, for each row, what importing it into the client would do and why not."""
    result = read(content)
    if result.file_errors:
        return result
    seen_serials: dict[str, int] = {}
    for row in result.rows:
        _check_row(row, context, seen_serials)
    return result


def _check_row(row: PreviewRow, context: ImportContext, seen_serials: dict[str, int]) -> None:
    cells = row.cells
    for name, limit in TEXT_LIMITS.items():
        if len(cells.get(name, "")) > limit:
            row.error(name, _("At most %(count)s characters.") % {"count": limit})
    data: dict[str, Any] = {}
    for name in ("name", "make", "model", "operating_system", "notes"):
        if cells.get(name):
            data[name] = cells[name]
    if cells.get("hostname"):
        data["hostname"] = domain.normalise_hostname(cells["hostname"])
    if cells.get("kind"):
        kind = parse_kind(cells["kind"])
        if kind is None:
            row.error("kind", _("Unknown type “%(value)s”.") % {"value": cells["kind"]})
        else:
            data["kind"] = kind
    for name in ("purchase_date", "warranty_end"):
        if cells.get(name):
            parsed = parse_date(cells[name])
            if parsed is None:
                row.error(name, _("“%(value)s” is not a date: write DD/MM/YYYY.") % {"value": cells[name]})
            else:
                data[name] = parsed
    if cells.get("site"):
        site_id = context.sites.get(domain.fold(cells["site"]))
        if site_id is None:
            row.error("site", _("The client has no site named “%(value)s”.") % {"value": cells["site"]})
        else:
            data["site_id"] = site_id
    if cells.get("user"):
        data["user_name"] = cells["user"]
        data["user_contact_id"] = context.contacts.get(domain.fold(cells["user"]))
    serial = domain.normalise_serial(cells.get("serial"))
    existing = None
    if serial:
        data["serial"] = serial
        if serial in seen_serials:
            row.error("serial", _("This serial number is already on line %(line)s.") % {"line": seen_serials[serial]})
        else:
            seen_serials[serial] = row.line
        existing = context.assets.get(serial)
    else:
        row.warnings.append(
            _("No serial number: this row cannot be matched, importing the file again creates it again.")
        )
    current = dict(existing.values) if existing is not None else {}
    purchase = data.get("purchase_date", current.get("purchase_date"))
    warranty = data.get("warranty_end", current.get("warranty_end"))
    if purchase and warranty and warranty < purchase:
        row.error("warranty_end", _("The warranty cannot end before the purchase date."))
    if existing is None:
        data.setdefault("kind", "other")
        if not data.get("name"):
            data["name"] = (data.get("hostname") or " ".join(cells.get(n, "") for n in ("make", "model")).strip())[
                : domain.NAME_MAX
            ]
        if not data["name"]:
            row.error("name", _("A new asset needs a name (or a host name, a make or a model)."))
    row.data = data
    if row.errors:
        return
    if existing is None:
        row.action = CREATE
        return
    row.asset_id = existing.id
    row.changes = [WRITTEN_FROM[key] for key, value in data.items() if current.get(key) != value]
    row.changes = list(dict.fromkeys(row.changes))
    row.action = UPDATE if row.changes else UNCHANGED
