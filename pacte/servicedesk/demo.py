"""The service desk chapter of the demo: a few weeks of tickets for each client, with their e-mails.

Run after the contracts chapter (``pacte demo`` runs ``load_demo_tickets``): tickets find their
covering contract and service level the real way. Times are placed in the past relative to ``now``
(the story reads the same whichever day the demo is loaded):

- Lyon accounting firm: the 2nd-floor printer down (by e-mail, a reply by e-mail, resolved and
  closed), a laptop for a new employee (portal, planned with the client, in progress), a payroll
  software update that is out of scope (time and materials under the standing rule), and a VPN
  question waiting on the client.
- Metz SME: a ransomware scare on a Friday evening (phone, P1 on the 4-hour service level: restored
  during the weekend, resolved on Monday), a monitoring alert on the file server's disk (repeated
  twice), and an out-of-scope request with a quote waiting for the manager's approval.
- The association: the chairwoman's mailbox is full (by e-mail, open).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from pacte.assets.models import Asset
from pacte.contracts.models import ServiceCategory
from pacte.servicedesk import messaging, quotes, services
from pacte.servicedesk.inbound.ingest import IngestResult, mail_ingest
from pacte.servicedesk.models import Billing, ServiceDeskSettings, Team, Ticket
from pacte.tenancy.models import Client, Contact, Membership, Provider

PARIS = ZoneInfo("Europe/Paris")


def demo_tickets_loaded(provider: Provider) -> bool:
    return Ticket.objects.filter(provider=provider).exists()


def _at(now: datetime.datetime, days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """``days`` days before ``now``, at a wall-clock time in Paris (never after ``now``)."""
    local = now.astimezone(PARIS) - datetime.timedelta(days=days)
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return min(moment, now - datetime.timedelta(minutes=5))


def _last_friday(now: datetime.datetime) -> int:
    """How many days ago a Friday was, with its Monday already past (the ransomware weekend)."""
    days = (now.astimezone(PARIS).weekday() - 4) % 7
    return days + 7 if days < 4 else days


def _mail(provider_domain: str, sender: Contact, subject: str, body: str, when: datetime.datetime) -> bytes:
    message = EmailMessage()
    message["From"] = f"{sender.first_name} {sender.last_name} <{sender.email}>"
    message["To"] = f"support@{provider_domain}"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid(domain=sender.email.partition("@")[2])
    message.set_content(body)
    return message.as_bytes()


def _ticket_of(result: IngestResult) -> Ticket:
    if result.ticket_id is None:
        raise RuntimeError(f"the demo e-mail did not open a ticket: {result.status}")
    return Ticket.objects.get(pk=result.ticket_id)


def _member(provider: Provider, email: str) -> Membership:
    return Membership.objects.select_related("user").get(provider=provider, user__email=email)


def _contact(client: Client, email: str) -> Contact:
    return Contact.objects.get(client=client, email=email)


def _category(provider: Provider, code: str) -> ServiceCategory | None:
    return ServiceCategory.objects.filter(provider=provider, code=code).first()


def _outage_day(now: datetime.datetime) -> datetime.date:
    """A Tuesday of the last quarter's first month before this month (1 Jan, Apr, Jul or Oct): a month the
    billing chapter bills with the Metz maintenance quarterly fee, so its service credit has a fee to lower."""
    today = now.astimezone(PARIS).date()
    first = today.replace(day=1, month=(today.month - 1) // 3 * 3 + 1)
    if first == today.replace(day=1):
        month = first.month - 3
        first = first.replace(year=first.year - 1, month=month + 12) if month < 1 else first.replace(month=month)
    return first + datetime.timedelta(days=(1 - first.weekday()) % 7 + 7)  # its second Tuesday


def _breached_outage(
    provider: Provider,
    now: datetime.datetime,
    tech: Membership,
    team: Team,
    metz: Client,
    requester: Contact,
    server: Asset | None,
) -> Ticket:
    """Metz, weeks ago: the ERP server down, restored after 7 h on the 4-hour service level (GTR breached:
    the billing chapter's service credit)."""
    day = _outage_day(now)
    opened = datetime.datetime.combine(day, datetime.time(9, 30), tzinfo=PARIS)
    ticket = services.ticket_open(
        actor=tech,
        client=metz,
        requester=requester,
        title="ERP inaccessible : le serveur d'application ne répond plus",
        description="Appel de Karim Benali à 9 h 30 : plus aucun poste ne se connecte à l'ERP, la production "
        "est à l'arrêt.",
        site=server.site if server is not None else None,
        assets=[server] if server is not None else [],
        category=_category(provider, "serveur"),
        impact="high",
        urgency="high",
        channel="phone",
        at=opened,
    )
    services.ticket_assign(
        actor=tech, ticket=ticket, assignee=tech, team=team, at=opened + datetime.timedelta(minutes=5)
    )
    services.intervention_started(actor=tech, ticket=ticket, at=opened + datetime.timedelta(minutes=40))
    services.ticket_status_set(
        actor=tech,
        ticket=ticket,
        status="restored",
        comment="Contrôleur RAID remplacé, base de l'ERP vérifiée : les postes se reconnectent.",
        at=opened + datetime.timedelta(hours=7),
    )
    services.ticket_status_set(
        actor=tech,
        ticket=ticket,
        status="resolved",
        comment="Surveillance du contrôleur ajoutée ; rapport d'incident envoyé.",
        at=opened + datetime.timedelta(days=1),
    )
    return ticket


@transaction.atomic
def demo_tickets(provider: Provider, *, now: datetime.datetime | None = None) -> list[Ticket]:
    """Create the chapter (once). Returns the tickets created."""
    if demo_tickets_loaded(provider):
        return []
    now = now or timezone.now()
    tech = _member(provider, "tech@demo.pacte.test")
    manager = _member(provider, "manager@demo.pacte.test")
    ServiceDeskSettings.objects.get_or_create(
        provider=provider, defaults={"inbound_address": "support@demo.pacte.test", "unknown_sender": "hold"}
    )
    team = Team.objects.create(provider=provider, name="Support niveau 1")
    team.members.add(tech, manager)
    clients = {client.city: client for client in Client.objects.filter(provider=provider, is_professional=True)}
    lyon, metz = clients["Lyon"], clients["Metz"]
    association = Client.objects.get(provider=provider, is_professional=False)
    domain = "demo.pacte.test"
    tickets: list[Ticket] = []

    # --- Lyon -----------------------------------------------------------------------------------------
    julien = _contact(lyon, "user@lyon.demo.pacte.test")
    printer = Asset.objects.filter(client=lyon, kind="printer").first()
    opened = _at(now, 21, 9, 12)
    raw = _mail(
        domain,
        julien,
        "Imprimante du 2e étage en panne",
        "Bonjour,\n\nL'imprimante du 2e étage affiche « Bourrage papier » mais il n'y a pas de papier coincé.\n"
        "Personne ne peut imprimer les liasses ce matin.\n\nMerci,\nJulien Morel",
        opened,
    )
    result = mail_ingest(provider=provider, raw=raw, source="demo", received_at=opened)
    ticket = _ticket_of(result)
    if printer is not None:
        services.ticket_update(
            actor=tech,
            ticket=ticket,
            assets=[printer],
            category=_category(provider, "impression"),
            at=opened + datetime.timedelta(minutes=10),
        )
    services.ticket_assign(
        actor=tech, ticket=ticket, assignee=tech, team=team, at=opened + datetime.timedelta(minutes=11)
    )
    messaging.message_add(
        actor=tech,
        ticket=ticket,
        body="Bonjour Julien,\n\nPouvez-vous éteindre l'imprimante, retirer le bac 2 et nous dire si un voyant "
        "orange reste allumé ?\n\nThéo",
        at=opened + datetime.timedelta(minutes=25),
    )
    services.ticket_status_set(
        actor=tech, ticket=ticket, status="waiting_client", at=opened + datetime.timedelta(minutes=26)
    )
    messaging.message_add(
        actor=None,
        ticket=ticket,
        author_contact=julien,
        channel="email",
        body="Le voyant orange reste allumé, et le bac 2 a un galet qui semble abîmé.",
        at=opened + datetime.timedelta(hours=2),
    )
    messaging.message_add(
        actor=tech,
        ticket=ticket,
        body="Galet d'entraînement du bac 2 usé : pièce commandée, remplacement sur site demain 9 h.",
        visibility="internal",
        at=opened + datetime.timedelta(hours=2, minutes=20),
    )
    services.ticket_status_set(actor=tech, ticket=ticket, status="restored", at=opened + datetime.timedelta(days=1))
    services.ticket_status_set(
        actor=tech,
        ticket=ticket,
        status="resolved",
        comment="Galet remplacé, 20 pages de test imprimées.",
        at=opened + datetime.timedelta(days=1, hours=1),
    )
    services.ticket_status_set(actor=tech, ticket=ticket, status="closed", at=opened + datetime.timedelta(days=4))
    tickets.append(ticket)

    claire = _member(provider, "manager@lyon.demo.pacte.test")
    opened = _at(now, 12, 10, 5)
    ticket = services.ticket_open(
        actor=claire,
        client=lyon,
        title="Ordinateur portable pour une nouvelle collaboratrice",
        description="Bonjour,\n\nNous accueillons **Léa Fontaine** lundi prochain (assistante comptable).\n"
        "Il lui faut un portable avec la suite bureautique, l'accès au serveur de fichiers et au logiciel "
        "de production comptable.",
        description_format="markdown",
        category=_category(provider, "poste-de-travail"),
        channel="portal",
        at=opened,
    )
    services.ticket_assign(
        actor=manager, ticket=ticket, assignee=tech, team=team, at=opened + datetime.timedelta(minutes=20)
    )
    messaging.message_add(
        actor=tech,
        ticket=ticket,
        body="Bonjour Madame Durand, nous préparons le poste et l'installons sur place jeudi à 14 h.",
        at=opened + datetime.timedelta(hours=1),
    )
    services.ticket_status_set(
        actor=tech,
        ticket=ticket,
        status="planned",
        comment="Installation sur site convenue jeudi 14 h.",
        at=opened + datetime.timedelta(hours=1, minutes=2),
    )
    services.ticket_status_set(actor=tech, ticket=ticket, status="in_progress", at=opened + datetime.timedelta(days=3))
    tickets.append(ticket)

    paul = _contact(lyon, "p.girard@rhone-expertise.test")
    opened = _at(now, 6, 15, 40)
    raw = _mail(
        domain,
        paul,
        "Mise à jour du logiciel de paie",
        "Bonjour,\n\nL'éditeur du logiciel de paie publie la version de décembre : pouvez-vous l'installer sur "
        "les trois postes du service social avant le 15 ?\n\nPaul Girard",
        opened,
    )
    result = mail_ingest(provider=provider, raw=raw, source="demo", received_at=opened)
    ticket = _ticket_of(result)
    services.ticket_update(
        actor=tech,
        ticket=ticket,
        category=_category(provider, "logiciel-metier"),
        at=opened + datetime.timedelta(minutes=5),
    )
    tickets.append(ticket)

    opened = _at(now, 2, 11, 30)
    ticket = services.ticket_open(
        actor=_member(provider, "user@lyon.demo.pacte.test"),
        client=lyon,
        title="Le VPN se déconnecte en télétravail",
        description="Depuis hier, le VPN coupe toutes les 10 minutes quand je travaille de chez moi.",
        category=_category(provider, "reseau"),
        urgency="high",
        channel="portal",
        at=opened,
    )
    services.ticket_assign(actor=tech, ticket=ticket, assignee=tech, at=opened + datetime.timedelta(minutes=30))
    messaging.message_add(
        actor=tech,
        ticket=ticket,
        body="Bonjour Julien, pouvez-vous nous envoyer une capture de l'erreur et le nom de votre box internet ?",
        at=opened + datetime.timedelta(minutes=40),
    )
    services.ticket_status_set(
        actor=tech, ticket=ticket, status="waiting_client", at=opened + datetime.timedelta(minutes=41)
    )
    tickets.append(ticket)

    # --- Metz -----------------------------------------------------------------------------------------
    karim = _contact(metz, "k.benali@mosellane-meca.test")
    server = Asset.objects.filter(client=metz, kind="server").first()
    friday = _last_friday(now)
    opened = _at(now, friday, 18, 40)
    ticket = services.ticket_open(
        actor=tech,
        client=metz,
        requester=karim,
        title="Suspicion de rançongiciel : fichiers renommés en .lock sur le serveur",
        description="Appel de Karim Benali à 18 h 40 : des fichiers du partage « Production » portent l'extension "
        ".lock et un fichier LISEZ-MOI.txt est apparu dans chaque dossier. L'atelier de nuit ne peut plus ouvrir "
        "les gammes.",
        site=server.site if server is not None else None,
        assets=[server] if server is not None else [],
        category=_category(provider, "serveur"),
        impact="high",
        urgency="high",
        channel="phone",
        at=opened,
    )
    services.ticket_assign(
        actor=tech, ticket=ticket, assignee=tech, team=team, at=opened + datetime.timedelta(minutes=1)
    )
    messaging.message_add(
        actor=tech,
        ticket=ticket,
        body="Nous prenons la main à distance tout de suite. Ne redémarrez pas le serveur et débranchez son câble "
        "réseau si vous êtes à côté.",
        at=opened + datetime.timedelta(minutes=12),
    )
    services.intervention_started(actor=tech, ticket=ticket, at=opened + datetime.timedelta(minutes=15))
    messaging.message_add(
        actor=tech,
        ticket=ticket,
        body="Poste d'un intérimaire infecté (pièce jointe de facture). Partage isolé, poste retiré du réseau. "
        "Sauvegarde de 12 h 00 saine : restauration lancée.",
        visibility="internal",
        at=opened + datetime.timedelta(hours=1, minutes=5),
    )
    services.ticket_status_set(
        actor=tech,
        ticket=ticket,
        status="restored",
        comment="Partage Production restauré depuis la sauvegarde de vendredi midi ; l'atelier peut reprendre.",
        at=opened + datetime.timedelta(hours=3, minutes=30),
    )
    services.ticket_status_set(
        actor=tech,
        ticket=ticket,
        status="resolved",
        comment="Poste réinstallé, mots de passe changés, règle de filtrage des pièces jointes ajoutée.",
        at=opened + datetime.timedelta(days=3, hours=-3),
    )
    tickets.append(ticket)

    tickets.append(_breached_outage(provider, now, tech, team, metz, karim, server))

    if server is not None:
        from pacte.servicedesk.alerts import alert_receive

        for minutes_ago in (150, 35):  # the disk alert, then its repetition
            alert_receive(
                actor=tech,
                source="zabbix",
                key=f"disk-space:{server.hostname or server.pk}",
                severity="minor",
                status="firing",
                asset_ref={"id": server.pk},
                client_id=None,
                title="Espace disque faible sur le volume D: (8 % libre)",
                text="Volume D: 8 % libre (seuil 10 %).",
                occurred_at=now - datetime.timedelta(minutes=minutes_ago),
            )
        tickets.append(Ticket.objects.filter(provider=provider, channel="alert").latest("id"))

    sophie = _member(provider, "manager@metz.demo.pacte.test")
    opened = _at(now, 4, 9, 15)
    ticket = services.ticket_open(
        actor=sophie,
        client=metz,
        title="Macro Excel pour le planning de l'atelier",
        description="Pourriez-vous nous développer une macro qui génère le planning de l'atelier à partir de "
        "l'export de l'ERP ?",
        category=_category(provider, "logiciel-metier"),
        channel="portal",
        at=opened,
    )
    if ticket.billing in (Billing.QUOTE_NEEDED, Billing.STANDING_RULE):
        quotes.quote_create(
            actor=manager,
            ticket=ticket,
            amount=Decimal("480.00"),
            description="Développement et test de la macro (4 h), mise en place sur deux postes.",
        )
    tickets.append(ticket)

    # --- The association --------------------------------------------------------------------------------
    helene = _contact(association, "presidence@amis-vieux-lyon.test")
    opened = _at(now, 1, 20, 10)
    raw = _mail(
        domain,
        helene,
        "Ma boîte mail est pleine",
        "Bonjour,\n\nJe reçois un message « boîte aux lettres pleine » et les adhérents me disent que leurs "
        "courriels me reviennent. Pouvez-vous m'aider ?\n\nHélène Martin, présidente",
        opened,
    )
    result = mail_ingest(provider=provider, raw=raw, source="demo", received_at=opened)
    tickets.append(_ticket_of(result))
    return tickets
