"""Shared by the asset tests: assets made through the service, CSV files as bytes."""

from __future__ import annotations

from typing import Any

from pacte.assets import services
from pacte.assets.models import Asset


def make_asset(tenant: Any, client: Any = None, **fields: Any) -> Asset:
    data = {"name": "PC accueil", "kind": "workstation", **fields}
    return services.asset_create(actor=tenant.manager, client=client or tenant.client, **data)


def csv_bytes(*lines: str, delimiter: str = ";", bom: bool = False, encoding: str = "utf-8") -> bytes:
    """Lines written with ``;`` in the source, joined with CRLF as Excel does, in ``delimiter``."""
    text = "\r\n".join(line.replace(";", delimiter) for line in lines) + "\r\n"
    return ("\ufeff" if bom else "").encode(encoding) + text.encode(encoding)
