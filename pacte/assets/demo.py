"""The demo's equipment: the Lyon accounting firm's and the Metz SME's assets (some warranties expired or expiring).

Dates are relative to ``today``, so that the warranty badges tell the same story whatever the day.
"""

from __future__ import annotations

import datetime
from typing import Any

from pacte.assets.services import asset_create
from pacte.tenancy.models import Client, Contact, Membership, Provider, Role, Site


def _day(today: datetime.date, days: int) -> datetime.date:
    return today + datetime.timedelta(days=days)


def _lyon(today: datetime.date) -> list[dict[str, Any]]:
    site = "Siège — Perrache"
    return [
        {
            "kind": "server",
            "name": "Serveur de fichiers",
            "make": "HPE",
            "model": "ProLiant ML30 Gen10 Plus",
            "serial": "CZJ2150K7Q",
            "hostname": "srv-fichiers.rhone-expertise.local",
            "operating_system": "Windows Server 2022 Standard",
            "site": site,
            "purchase_date": _day(today, -3 * 365 - 20),
            "warranty_end": _day(today, 45),  # expiring: renewal to quote
            "notes": "Dossiers clients et liasses. Sauvegarde chaque nuit sur le NAS, copie hebdomadaire externalisée.",
        },
        {
            "kind": "server",
            "name": "NAS de sauvegarde",
            "make": "Synology",
            "model": "DS923+",
            "serial": "2260QBR4512",
            "hostname": "nas-sauvegarde.rhone-expertise.local",
            "operating_system": "DSM 7.2",
            "site": site,
            "purchase_date": _day(today, -500),
            "warranty_end": _day(today, 3 * 365 - 500),
        },
        {
            "kind": "network",
            "name": "Pare-feu",
            "make": "Stormshield",
            "model": "SN310",
            "serial": "SN310A39C0412",
            "hostname": "fw-perrache",
            "site": site,
            "purchase_date": _day(today, -4 * 365),
            "warranty_end": _day(today, -30),  # expired: the firewall's support lapsed last month
            "notes": "VPN nomade pour les collaborateurs en télétravail.",
        },
        {
            "kind": "printer",
            "name": "Copieur du 2e étage",
            "make": "Canon",
            "model": "imageRUNNER ADVANCE DX C3826i",
            "serial": "3UF07421",
            "site": site,
            "purchase_date": _day(today, -700),
            "warranty_end": _day(today, 4 * 365 - 700),
        },
        {
            "kind": "workstation",
            "name": "PC accueil",
            "make": "Dell",
            "model": "OptiPlex 7010",
            "serial": "7KX2QV3",
            "hostname": "pc-accueil",
            "operating_system": "Windows 11 Professionnel",
            "site": site,
            "user_name": "Accueil",
            "purchase_date": _day(today, -2 * 365),
            "warranty_end": _day(today, 365),
        },
        {
            "kind": "laptop",
            "name": "Portable Paul Girard",
            "make": "Lenovo",
            "model": "ThinkPad T14 Gen 4",
            "serial": "PF4M8ZQ1",
            "hostname": "pc-pgirard",
            "operating_system": "Windows 11 Professionnel",
            "site": site,
            "user": ("Paul", "Girard"),
            "purchase_date": _day(today, -3 * 365 + 25),
            "warranty_end": _day(today, 25),  # expiring
        },
        {
            "kind": "laptop",
            "name": "Portable Claire Durand",
            "make": "Lenovo",
            "model": "ThinkPad X1 Carbon Gen 11",
            "serial": "PF4N2KD8",
            "hostname": "pc-cdurand",
            "operating_system": "Windows 11 Professionnel",
            "site": site,
            "user": ("Claire", "Durand"),
            "purchase_date": _day(today, -400),
            "warranty_end": _day(today, 3 * 365 - 400),
        },
        {
            "kind": "workstation",
            "name": "PC Julien Morel",
            "make": "HP",
            "model": "EliteDesk 800 G6",
            "serial": "CZC1047LMN",
            "hostname": "pc-jmorel",
            "operating_system": "Windows 10 Professionnel",
            "site": site,
            "user": ("Julien", "Morel"),
            "purchase_date": _day(today, -5 * 365),
            "warranty_end": _day(today, -2 * 365),  # expired: to replace before Windows 10 support ends
        },
        {
            "kind": "licence",
            "name": "Microsoft 365 Business Standard (25 postes)",
            "make": "Microsoft",
            "purchase_date": _day(today, -200),
            "warranty_end": _day(today, 165),
            "notes": "Abonnement annuel, renouvellement automatique.",
        },
    ]


def _metz(today: datetime.date) -> list[dict[str, Any]]:
    factory, depot = "Usine de Metz", "Dépôt de Woippy"
    return [
        {
            "kind": "server",
            "name": "Serveur ERP",
            "make": "Dell",
            "model": "PowerEdge R450",
            "serial": "9XH4TB3",
            "hostname": "srv-erp.mosellane.local",
            "operating_system": "Windows Server 2019 Standard",
            "site": factory,
            "purchase_date": _day(today, -4 * 365 - 60),
            "warranty_end": _day(today, -60),  # expired: the ERP server runs without hardware support
            "notes": "ERP de production (Sage X3) et base SQL Server. Arrêt à planifier hors des équipes 2×8.",
        },
        {
            "kind": "server",
            "name": "NAS atelier",
            "make": "QNAP",
            "model": "TS-873A",
            "serial": "Q21BI09876",
            "hostname": "nas-atelier.mosellane.local",
            "operating_system": "QTS 5.1",
            "site": factory,
            "purchase_date": _day(today, -2 * 365),
            "warranty_end": _day(today, 365),
        },
        {
            "kind": "network",
            "name": "Pare-feu usine",
            "make": "Fortinet",
            "model": "FortiGate 60F",
            "serial": "FGT60FTK22012345",
            "hostname": "fw-usine",
            "site": factory,
            "purchase_date": _day(today, -3 * 365 + 40),
            "warranty_end": _day(today, 40),  # expiring: FortiCare to renew
        },
        {
            "kind": "network",
            "name": "Switch atelier",
            "make": "HPE Aruba",
            "model": "2930F 24G",
            "serial": "CN08KP1234",
            "site": factory,
            "purchase_date": _day(today, -6 * 365),
        },
        {
            "kind": "workstation",
            "name": "Poste de supervision atelier",
            "make": "Lenovo",
            "model": "ThinkCentre M90q",
            "serial": "MJ0G7T2A",
            "hostname": "pc-supervision",
            "operating_system": "Windows 10 IoT Enterprise LTSC",
            "site": factory,
            "user_name": "Chefs d'équipe",
            "purchase_date": _day(today, -900),
            "warranty_end": _day(today, 3 * 365 - 900),
        },
        {
            "kind": "laptop",
            "name": "Portable Karim Benali",
            "make": "Dell",
            "model": "Latitude 5440",
            "serial": "5HJ8RT3",
            "hostname": "pc-kbenali",
            "operating_system": "Windows 11 Professionnel",
            "site": factory,
            "user": ("Karim", "Benali"),
            "purchase_date": _day(today, -300),
            "warranty_end": _day(today, 3 * 365 - 300),
        },
        {
            "kind": "printer",
            "name": "Imprimante étiquettes expédition",
            "make": "Zebra",
            "model": "ZT411",
            "serial": "99J213456789",
            "site": depot,
            "purchase_date": _day(today, -2 * 365 + 15),
            "warranty_end": _day(today, 15),  # expiring
        },
        {
            "kind": "mobile",
            "name": "Terminal de préparation 1",
            "make": "Zebra",
            "model": "TC52",
            "serial": "21034522100871",
            "site": depot,
            "user_name": "Équipe quai",
            "purchase_date": _day(today, -3 * 365 - 100),
            "warranty_end": _day(today, -100),  # expired
        },
    ]


def demo_assets(provider: Provider, lyon: Client, metz: Client, *, today: datetime.date) -> None:
    """Create the equipment of the Lyon firm and of the Metz SME through the services (audited)."""
    manager = Membership.objects.get(provider=provider, role=Role.PROVIDER_MANAGER, client__isnull=True)
    for client, assets in ((lyon, _lyon(today)), (metz, _metz(today))):
        sites = {site.name: site for site in Site.objects.filter(client=client)}
        contacts = {(c.first_name, c.last_name): c for c in Contact.objects.filter(client=client)}
        for data in assets:
            fields = dict(data)
            if "site" in fields:
                fields["site"] = sites[fields["site"]]
            if "user" in fields:
                fields["user_contact"] = contacts[fields.pop("user")]
            asset_create(actor=manager, client=client, **fields)
