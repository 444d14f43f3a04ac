"""The demo story: one provider, three clients, the six demo accounts, its business calendars and service levels.

Dates are relative to ``today`` and deterministic for a given day. Later issues add their chapters
(contracts, tickets, interventions, invoices) here, so the demo stays one coherent story.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from pacte.accounts.models import User
from pacte.assets.demo import demo_assets
from pacte.tenancy.models import Client, Provider, Role
from pacte.tenancy.services import membership_bootstrap

DEMO_PASSWORD = "demo-pacte-2026"
PROVIDER_NAME = "Pacte Démo Informatique"

DEMO_ACCOUNTS = [
    # (email, full name, role, client key or None)
    ("admin@demo.pacte.test", "Alice Administratrice", Role.PROVIDER_ADMIN, None),
    ("manager@demo.pacte.test", "Marc Gérant", Role.PROVIDER_MANAGER, None),
    ("tech@demo.pacte.test", "Théo Technicien", Role.TECHNICIAN, None),
    ("manager@lyon.demo.pacte.test", "Claire Durand", Role.CLIENT_MANAGER, "lyon"),
    ("user@lyon.demo.pacte.test", "Julien Morel", Role.CLIENT_USER, "lyon"),
    ("manager@metz.demo.pacte.test", "Sophie Keller", Role.CLIENT_MANAGER, "metz"),
]


def demo_is_loaded() -> bool:
    return Provider.objects.filter(name=PROVIDER_NAME).exists()


@transaction.atomic
def load_demo(*, today: datetime.date) -> Provider:
    """Create the demo data (call on an empty database; ``--if-empty`` guards the command)."""
    from pacte.tenancy.services import provider_create

    provider = provider_create(
        name=PROVIDER_NAME,
        legal_name="Pacte Démo Informatique SAS",
        legal_form="SAS",
        share_capital="20000.00",
        rcs_city="Lyon",
        siren="812345676",
        siret="81234567600017",
        vat_number="FR19812345676",
        address="12 rue de la République",
        postal_code="69002",
        city="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        einvoicing_address="0225:812345676",
    )
    clients = _clients(provider)
    _accounts(provider, clients)
    _service_levels(provider, today)
    demo_assets(provider, clients["lyon"], clients["metz"], today=today)
    _mail(provider)
    return provider


def _client(provider: Provider, **fields: object) -> Client:
    client = Client(provider=provider, **fields)
    client.full_clean()
    client.save()
    return client


def _clients(provider: Provider) -> dict[str, Client]:
    lyon = _client(
        provider,
        name="Cabinet Rhône Expertise Comptable",
        siren="523456788",
        siret="52345678800018",
        vat_number="FR31523456788",
        address="45 quai Perrache",
        postal_code="69002",
        city="Lyon",
        notes="Cabinet d'expertise comptable, 25 salariés. Pic d'activité de janvier à mai (liasses fiscales).",
    )
    metz = _client(
        provider,
        name="Mosellane de Mécanique Industrielle",
        siren="798765434",
        siret="79876543400013",
        vat_number="FR69798765434",
        address="3 rue des Forges",
        postal_code="57000",
        city="Metz",
        holiday_subdivision="57",
        notes="PME industrielle, atelier en 2×8. Jours fériés d'Alsace-Moselle (Vendredi saint, 26 décembre).",
    )
    association = _client(
        provider,
        name="Association Les Amis du Vieux Lyon",
        is_professional=False,
        address="8 place du Change",
        postal_code="69005",
        city="Lyon",
        notes="Association loi 1901 : client non professionnel (rappel de reconduction tacite obligatoire).",
    )
    from pacte.tenancy.models import Contact, Site

    for client, sites in (
        (lyon, [("Siège — Perrache", "45 quai Perrache", "69002", "Lyon")]),
        (
            metz,
            [
                ("Usine de Metz", "3 rue des Forges", "57000", "Metz"),
                ("Dépôt de Woippy", "12 rue de l'Industrie", "57140", "Woippy"),
            ],
        ),
        (association, [("Local associatif", "8 place du Change", "69005", "Lyon")]),
    ):
        for name, address, postal_code, city in sites:
            site = Site(
                provider=provider, client=client, name=name, address=address, postal_code=postal_code, city=city
            )
            site.full_clean()
            site.save()
    extra_contacts = [
        (lyon, "Paul", "Girard", "p.girard@rhone-expertise.test", "Expert-comptable associé"),
        (metz, "Karim", "Benali", "k.benali@mosellane-meca.test", "Responsable de production"),
        (association, "Hélène", "Martin", "presidence@amis-vieux-lyon.test", "Présidente"),
    ]
    for client, first, last, email, title in extra_contacts:
        Contact.objects.create(
            provider=provider, client=client, first_name=first, last_name=last, email=email, job_title=title
        )
    return {"lyon": lyon, "metz": metz, "association": association}


def _accounts(provider: Provider, clients: dict[str, Client]) -> None:
    from pacte.tenancy.models import Contact

    for email, full_name, role, client_key in DEMO_ACCOUNTS:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
        client = clients[client_key] if client_key else None
        membership_bootstrap(user=user, provider=provider, role=role, client=client)
        if client is not None:
            first, _space, last = full_name.partition(" ")
            Contact.objects.create(
                provider=provider,
                client=client,
                first_name=first,
                last_name=last,
                email=email,
                job_title="Dirigeant" if role == Role.CLIENT_MANAGER else "Collaborateur",
                user=user,
            )


def _mail(provider: Provider) -> None:
    """The provider's sender identity, and a welcome e-mail to its administrator (queued: the demo's
    worker writes it under var/mail/ — the demo never sends real e-mail)."""
    from pacte.mail.services import mail_send, mail_sender_set, recipient_for_user

    mail_sender_set(
        provider=provider,
        from_name=PROVIDER_NAME,
        from_email="support@demo.pacte.test",
        reply_to="support@demo.pacte.test",
    )
    admin = User.objects.get(email=DEMO_ACCOUNTS[0][0])
    mail_send(
        template="mail/email/welcome",
        context={"name": admin.full_name, "provider_name": provider.name, "login_url": "http://127.0.0.1:8000/"},
        recipients=[recipient_for_user(admin)],
        provider=provider,
        key="demo:welcome",
    )


H = 3600


def _service_levels(provider: Provider, today: datetime.date) -> None:
    """The provider's business hours, its 24×7 on-call calendar, its end-of-year closure, two service levels."""
    from pacte.sla import services as sla
    from pacte.tenancy.models import Membership

    manager = Membership.objects.get(provider=provider, role=Role.PROVIDER_MANAGER)
    office = sla.calendar_create(
        actor=manager,
        name="Heures ouvrées 8h–18h",
        description="Du lundi au vendredi, 8 h – 12 h et 13 h 30 – 18 h ; fermé les jours fériés.",
        time_zone="Europe/Paris",
        week={
            **{day: [["08:00", "12:00"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
            "sat": [],
            "sun": [],
        },
    )
    ascension = next(d for d, name in sla_holidays(today.year) if name == "Ascension")
    sla.calendar_exception_add(
        actor=manager,
        calendar=office,
        day=ascension + datetime.timedelta(days=1),
        kind="closed",
        label="Pont de l'Ascension",
    )
    on_call = sla.calendar_create(
        actor=manager,
        name="Astreinte 24×7",
        description="Toute l'année, jour et nuit, jours fériés compris.",
        time_zone="Europe/Paris",
        holidays_close=False,
        provider_closures_apply=False,
        week={day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    sla.provider_closure_add(
        actor=manager,
        start_date=datetime.date(today.year, 12, 24),
        end_date=datetime.date(today.year + 1, 1, 1),
        label="Fermeture de fin d'année",
    )

    def grid(rows: dict[str, tuple[float | None, ...]], basis: str = "business") -> list[dict[str, object]]:
        kinds = ("response", "intervention", "restoration", "resolution")
        return [
            {"priority": priority, "kind": kind, "seconds": None if hours is None else int(hours * H), "basis": basis}
            for priority, values in rows.items()
            for kind, hours in zip(kinds, values, strict=True)
        ]

    # Hours of the coverage calendar: response, intervention (GTI), restoration (GTR), resolution.
    sla.service_level_create(
        actor=manager,
        name="Essentiel",
        description="Assistance aux heures ouvrées ; intervention sous 8 h ouvrées pour un incident bloquant.",
        calendar=office,
        warning_percent=75,
        targets=grid(
            {
                "P1": (2, 8, 16, 30),
                "P2": (4, 16, None, 40),
                "P3": (8, None, None, 50),
                "P4": (16, None, None, 100),
            }
        ),
    )
    sla.service_level_create(
        actor=manager,
        name="Premium 4h",
        description="Astreinte 24×7 : rétablissement (GTR) en 4 heures pour un incident bloquant.",
        calendar=on_call,
        warning_percent=75,
        # Penalties: 5 % of the month's fee per breached P1 restoration target (GTR), at most 20 %.
        credit_grid={"P1": "5.00"},
        credit_cap_percent=Decimal("20.00"),
        targets=grid(
            {
                "P1": (0.25, 2, 4, 8),
                "P2": (0.5, 4, 8, 24),
                "P3": (4, 24, None, 72),
                "P4": (8, None, None, 120),
            }
        ),
    )


def sla_holidays(year: int) -> list[tuple[datetime.date, str]]:
    from pacte.sla.calendars import HolidayRegion

    return sorted(HolidayRegion("FR").holidays(year).items())
