"""The default French clause library: the articles of a contract, ready for ``ContractTerms.clauses``.

``default_clauses(contract_type)`` returns a list of ``{"key", "title", "text"}`` dicts (a fresh copy
each call) for a maintenance, assistance or prestation contract. Templates and the demo start from
it; a manager edits the texts per template or per contract.

The texts state the rules; the figures (duration, notice, prices, targets, coverage hours) live in
the contract's terms and are printed on the first page ("conditions particulières") and in the
annexes the articles refer to:

1. Niveaux de service — 2. Horaires de couverture — 3. Périmètre — 4. Conditions financières —
5. Modèle de fiche d'intervention — 6. Accord de sous-traitance (RGPD art. 28), when the contract has it.

Text conventions (``documents.py`` renders them): a blank line separates paragraphs; a line starting
with ``- `` is a bullet item. The texts below are wrapped for the source; ``_unwrap`` joins the lines of
each paragraph and item, so the stored text has one line per paragraph or item.
"""

from __future__ import annotations

import copy
from typing import Final

#: Clause keys a template may offer as options (left out unless the manager keeps them).
OPTIONAL_CLAUSE_KEYS: Final = ("donnees_personnelles", "reference_commerciale")

_DEFINITIONS = """Au sens du présent contrat, les termes suivants ont la signification qui suit :

- « Incident » : tout dysfonctionnement d'un équipement ou d'un logiciel du périmètre qui empêche ou dégrade
  son utilisation normale.
- « Demande » : toute sollicitation du client qui n'est pas un incident (question, paramétrage, installation,
  conseil).
- « Intervention » : l'action d'un technicien du prestataire pour traiter un incident ou une demande, à
  distance, sur site ou en atelier.
- « Heures ouvrées » : les plages horaires de couverture définies en Annexe 2, hors jours fériés et fermetures
  qui y sont mentionnés.
- « Délai de prise en compte » : le délai entre la déclaration d'un incident et sa prise en charge par un
  technicien qui en accuse réception.
- « GTI » (garantie de temps d'intervention) : le délai dans lequel un technicien commence à intervenir, à
  distance ou sur site.
- « GTR » (garantie de temps de rétablissement) : le délai dans lequel le service est rétabli, le cas échéant
  par une solution de contournement.
- « Site » : les locaux du client désignés en Annexe 3."""

_OBJET = {
    "assistance": """Le présent contrat a pour objet de définir les conditions dans lesquelles le prestataire
assure, à la demande du client, l'assistance informatique de ses utilisateurs : prise en charge des incidents
et des demandes, diagnostic et dépannage à distance (télédiagnostic, télémaintenance) ou dans les locaux du
client, et maintenance corrective et curative des équipements et logiciels du périmètre (réparation,
installation et actualisation de logiciels, désinfection virale, remplacement de matériel, amélioration des
performances, mises à niveau, mise en réseau).

Le client souhaite ainsi se décharger de tout ou partie de ses tâches informatiques courantes et disposer d'un
service réactif, facilement accessible et conforme à l'état de l'art, dont il peut suivre les coûts et la
réalisation au moyen des tableaux de bord mis à sa disposition par le prestataire.""",
    "maintenance": """Le présent contrat a pour objet de définir les conditions dans lesquelles le prestataire
assure la maintenance des équipements et logiciels du périmètre défini en Annexe 3, afin d'en garantir le bon
fonctionnement et la fiabilité :

- maintenance préventive : visites planifiées, mises à jour régulières, vérifications et tests ;
- maintenance corrective : diagnostic et réparation des incidents, remplacement des composants défectueux ;
- maintenance évolutive : montées de version et adaptations convenues entre les parties.

Le client peut suivre la réalisation des interventions et leur coût au moyen des tableaux de bord mis à sa
disposition par le prestataire.""",
    "prestation": """Le présent contrat a pour objet la réalisation par le prestataire du projet décrit aux
conditions particulières et en Annexe 3, selon les étapes (jalons) et le calendrier figurant en Annexe 4.

Chaque jalon donne lieu à la remise des livrables correspondants et à leur recette par le client dans les
conditions de l'article « Livrables et recette ».""",
}

_PERIMETRE = """Les prestations portent sur les sites, équipements et catégories de services énumérés en
Annexe 3. Lorsque aucun équipement n'y est listé, tous les équipements des sites mentionnés sont couverts.

Les interventions sont réalisées selon les modes prévus en Annexe 3 :

- à distance, au moyen d'une liaison sécurisée permettant le télédiagnostic, la télémaintenance ou la
  télédistribution ;
- sur site, dans les locaux du client, lorsque l'intervention à distance n'est pas possible ou pas opportune ;
- en atelier, dans les locaux du prestataire, lorsque le matériel doit y être rapatrié.

Toute intervention donne lieu à une fiche d'intervention conforme au modèle de l'Annexe 5, signée par le
client ou son représentant. Les demandes hors périmètre sont traitées selon la règle indiquée en Annexe 3 : le
prestataire en informe le client avant toute exécution."""

_DUREE = """Le contrat prend effet à la date et pour la durée indiquées aux conditions particulières, qui
précisent également ses conditions de renouvellement et le préavis applicable.

Lorsque le contrat se renouvelle par tacite reconduction, chaque partie peut s'opposer à son renouvellement en
notifiant sa décision à l'autre partie au plus tard à la date limite résultant du préavis ; le préavis court à
compter de la réception de la notification. Conformément aux articles 1214 et 1215 du Code civil, la tacite
reconduction produit, sauf stipulation d'une nouvelle durée, un contrat à durée indéterminée aux mêmes
conditions.

Lorsque le client n'agit pas en qualité de professionnel, le prestataire l'informe par écrit, au plus tôt
trois mois et au plus tard un mois avant le terme de la période autorisant le rejet de la reconduction, de la
possibilité de ne pas reconduire le contrat (article L215-1 du Code de la consommation)."""

_PRESTATAIRE = {
    "assistance": """Le prestataire exécute les prestations avec ses préposés, le matériel et les logiciels
nécessaires, conformément aux règles de l'art. Il est tenu d'une obligation de moyens, sauf pour les
engagements de délais de l'Annexe 1, qui constituent des obligations de résultat dans les limites qui y sont
fixées.

Les techniciens du prestataire ont notamment pour missions de :

- détecter la panne et établir un diagnostic ;
- remplacer les composants défectueux ;
- intervenir en urgence selon le niveau de service convenu ;
- mettre en œuvre des opérations de prévention, notamment les mises à jour régulières ;
- conseiller le client sur l'achat ou le renouvellement de son matériel informatique ;
- former les utilisateurs à la prise en main des outils installés.

En sa qualité de professionnel de l'informatique, le prestataire est tenu envers le client d'une obligation de
conseil, de mise en garde et de recommandation, notamment sur la capacité et le bon déroulement des
sauvegardes qu'il constate lors de ses interventions.""",
    "maintenance": """Le prestataire exécute les prestations avec ses préposés, le matériel et les logiciels
nécessaires, conformément aux règles de l'art. Il est tenu d'une obligation de moyens, sauf pour les
engagements de délais de l'Annexe 1, qui constituent des obligations de résultat dans les limites qui y sont
fixées.

Il réalise les visites de maintenance préventive selon le planning convenu avec le client et en rend compte
par une fiche d'intervention. Ses techniciens ont notamment pour missions de :

- détecter la panne et établir un diagnostic ;
- remplacer les composants défectueux ;
- intervenir en urgence selon le niveau de service convenu ;
- appliquer les mises à jour et correctifs de sécurité ;
- conseiller le client sur l'achat ou le renouvellement de son matériel informatique.

En sa qualité de professionnel de l'informatique, le prestataire est tenu envers le client d'une obligation de
conseil, de mise en garde et de recommandation, notamment sur la capacité et le bon déroulement des
sauvegardes qu'il constate lors de ses interventions.""",
    "prestation": """Le prestataire réalise le projet conformément aux règles de l'art, avec ses préposés, le
matériel et les logiciels nécessaires. Il désigne un interlocuteur chargé du suivi du projet, informe le
client de l'avancement à chaque jalon et l'alerte sans délai de toute difficulté susceptible d'affecter le
calendrier, le budget ou la qualité des livrables.

En sa qualité de professionnel de l'informatique, il est tenu envers le client d'une obligation de conseil, de
mise en garde et de recommandation.""",
}

_CLIENT = """Le client s'engage à :

- désigner un interlocuteur habilité et informer le prestataire de tout changement ;
- donner aux techniciens du prestataire l'accès aux sites, aux équipements et, pour les interventions à
  distance, aux systèmes concernés ;
- fournir les informations, licences et supports d'installation nécessaires aux interventions ;
- utiliser les équipements conformément aux préconisations du constructeur et du prestataire ;
- régler les sommes dues dans les conditions de l'Annexe 4.

Sauvegardes. Avant toute intervention du prestataire, et en particulier avant toute intervention sur site, le
client a l'obligation de réaliser ses propres sauvegardes informatiques et d'en vérifier le bon déroulement.
Lorsque les conditions particulières le prévoient, le prestataire peut être chargé, en option, des opérations
de sauvegarde avant intervention. Le prestataire décline toute responsabilité en cas de perte de données
consécutive à une défectuosité du support ou à une mauvaise manipulation des équipements par le client ou ses
préposés."""

_NIVEAUX = """Les délais de prise en compte, d'intervention (GTI), de rétablissement (GTR) et de résolution,
selon la priorité de l'incident, figurent en Annexe 1 ; ils se décomptent pendant les horaires de couverture
de l'Annexe 2 lorsqu'ils sont exprimés en heures ouvrées, en continu lorsqu'ils sont exprimés en heures
calendaires.

La priorité est fixée par le prestataire à la prise en compte de l'incident, en accord avec le client, selon
les définitions de l'Annexe 1. Le décompte est suspendu lorsque le traitement attend une action ou une
information du client.

Le prestataire met à la disposition du client, sur son espace client, l'historique des demandes, des
interventions et du respect des délais."""

_FINANCIER = """En contrepartie des prestations, le client verse au prestataire les sommes prévues en Annexe
4, selon le modèle de facturation et les règles qui y figurent (arrondi des temps, minimum par intervention,
majorations, frais de déplacement). Les prix sont exprimés en euros hors taxes ; la TVA au taux en vigueur s'y
ajoute.

Les factures sont payables dans le délai indiqué en Annexe 4, qui ne peut excéder les délais de l'article
L441-10 du Code de commerce. Entre professionnels, tout retard de paiement entraîne de plein droit des
pénalités de retard et une indemnité forfaitaire pour frais de recouvrement de 40 euros (article D441-5 du
Code de commerce).

Les travaux hors périmètre ou hors forfait ne sont exécutés qu'après information du client, selon la règle de
l'Annexe 3."""

_REVISION = """Lorsque les conditions particulières le prévoient, les prix sont révisés selon l'indice, la
formule, la périodicité et les éventuels plancher et plafond indiqués en Annexe 4. L'indice de référence (S0)
est celui du mois de référence ; le nouvel indice (S1) est le dernier publié pour le mois correspondant à la
date de révision.

La période de variation de l'indice n'excède pas la période séparant deux révisions (article L112-1 du Code
monétaire et financier). Le prestataire adresse au client, avant la date de révision, un courrier indiquant
les indices retenus, le coefficient et les nouveaux prix.

Toute autre modification des prix requiert un avenant signé des deux parties (article 1193 du Code civil)."""

_RESPONSABILITE = """Chaque partie est responsable des dommages directs qu'elle cause à l'autre partie dans
l'exécution du contrat. Aucune partie n'est tenue des dommages indirects, tels que perte de chiffre
d'affaires, de clientèle ou d'image.

Le montant total des indemnités que le prestataire peut être amené à verser au titre du contrat est limité au
plafond indiqué aux conditions particulières ou, à défaut, aux sommes effectivement versées par le client au
titre du contrat au cours des douze mois précédant le fait générateur.

Cette limitation ne s'applique pas en cas de faute lourde ou dolosive, ni en cas de manquement à une
obligation essentielle du contrat, ni aux dommages corporels. Le prestataire déclare être assuré pour les
conséquences de sa responsabilité civile professionnelle."""

_CONFIDENTIALITE = """Le prestataire et ses préposés s'engagent à considérer comme confidentielles et entrant
dans le champ du secret professionnel auquel ils sont tenus les informations de toute nature, écrites ou
orales, dont ils ont connaissance à l'occasion des interventions, notamment les données, identifiants et mots
de passe du client.

Le prestataire fait respecter cette obligation par ses salariés et, le cas échéant, par ses sous-traitants.
Elle demeure en vigueur pendant cinq ans après la fin du contrat, quelle qu'en soit la cause."""

_DONNEES = """Lorsque, pour exécuter le contrat, le prestataire accède à des données à caractère personnel
dont le client est responsable de traitement, il agit en qualité de sous-traitant au sens de l'article 28 du
règlement (UE) 2016/679 (RGPD) et de la loi n° 78-17 du 6 janvier 1978 relative à l'informatique, aux fichiers
et aux libertés.

Les obligations des parties sont précisées par l'accord de sous-traitance figurant en Annexe 6, qui fait
partie intégrante du contrat."""

_RESILIATION = """Chaque partie peut mettre fin au contrat à son échéance, ou à tout moment lorsqu'il est à
durée indéterminée, en respectant le préavis indiqué aux conditions particulières. La notification est faite
par lettre recommandée avec avis de réception ou par l'espace client du prestataire ; le préavis court à
compter de sa réception.

En cas de manquement grave de l'une des parties à ses obligations, non réparé dans les trente jours suivant
une mise en demeure restée sans effet, l'autre partie peut résilier le contrat de plein droit, sans préjudice
des dommages et intérêts auxquels elle pourrait prétendre.

En cas de résiliation anticipée à l'initiative du client hors manquement du prestataire, l'indemnité prévue en
Annexe 4 est due. Elle constitue une clause pénale que le juge peut modérer ou augmenter si elle est
manifestement excessive ou dérisoire (article 1231-5 du Code civil)."""

_REVERSIBILITE = """À la fin du contrat, quelle qu'en soit la cause, les parties mettent en œuvre la
réversibilité suivante, suivie au moyen d'une liste de contrôle dont chaque point a un responsable, une preuve
et une date de réalisation :

- restitution des accès : comptes, badges, clés, suppression des outils de prise en main à distance ;
- renouvellement de tous les identifiants et mots de passe connus du prestataire ;
- export et remise des données du client dans un format standard, puis suppression de toute copie détenue par
  le prestataire (article 28 du RGPD) ;
- remise de la documentation : schéma du réseau, coffre des mots de passe, procédures ;
- audit de fin de mission ;
- émission de la facture de clôture.

Le client constate la réalisation de la réversibilité en la validant sur son espace client."""

_LOI = """Le présent contrat est soumis au droit français. Il comprend les conditions particulières, les
présents articles et leurs annexes ; en cas de contradiction, les conditions particulières prévalent sur les
articles, qui prévalent sur les annexes. Le contrat signé prévaut sur les bons de commande du client.

Les parties s'efforcent de résoudre à l'amiable tout différend relatif à l'interprétation ou à l'exécution du
contrat. À défaut d'accord dans un délai de trente jours, le différend est porté devant les tribunaux
compétents du ressort du siège du prestataire, sous réserve des règles d'ordre public applicables lorsque le
client n'agit pas en qualité de professionnel."""

_REFERENCE = """Le client autorise le prestataire à faire mention de son nom et du présent contrat, à titre de
référence commerciale, dans ses documents de présentation, sans en révéler le contenu."""

_MAINTENANCE_PREVENTIVE = """Le prestataire réalise les visites de maintenance préventive selon la périodicité
convenue aux conditions particulières, à des dates fixées d'un commun accord au moins dix jours ouvrés à
l'avance. Chaque visite comprend notamment la vérification de l'état des équipements, l'application des mises
à jour et correctifs, le contrôle du bon déroulement des sauvegardes et un compte rendu remis au client sur la
fiche d'intervention.

Une visite reportée à la demande du client est reprogrammée dans le même trimestre lorsque c'est possible ; à
défaut, elle est réputée réalisée."""

_RECETTE = """À chaque jalon, le prestataire remet les livrables correspondants. Le client dispose de dix
jours ouvrés pour les recetter et notifier par écrit les anomalies constatées, qualifiées de bloquantes ou non
bloquantes.

Le prestataire corrige les anomalies bloquantes dans un délai convenu entre les parties, puis soumet à nouveau
les livrables à la recette. En l'absence de réserve notifiée dans le délai, ou en cas de mise en production
par le client, la recette est réputée prononcée sans réserve. La facturation de chaque jalon intervient à sa
recette."""

_PROPRIETE = """Les développements, scripts et documents réalisés spécifiquement pour le client dans le cadre
du projet lui sont cédés, au fur et à mesure de leur réalisation et sous réserve du complet paiement du prix,
pour toute la durée légale des droits et pour le monde entier (droits de reproduction, de représentation,
d'adaptation et d'exploitation).

Les outils, savoir-faire et composants préexistants du prestataire, ainsi que les logiciels de tiers, restent
la propriété de leurs titulaires ; le client en reçoit le droit d'usage nécessaire à l'exploitation des
livrables."""


def _unwrap(text: str) -> str:
    """Join wrapped lines: one line per paragraph and per ``- `` item, paragraphs separated by a blank line."""
    paragraphs = []
    for chunk in text.strip().split("\n\n"):
        lines: list[str] = []
        for line in chunk.splitlines():
            if line.startswith("- ") or not lines:
                lines.append(line.strip())
            else:
                lines[-1] += " " + line.strip()
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _clause(key: str, title: str, text: str) -> dict[str, str]:
    return {"key": key, "title": title, "text": _unwrap(text)}


def _library(contract_type: str) -> list[dict[str, str]]:
    kind = contract_type if contract_type in _OBJET else "assistance"
    clauses = [
        _clause("definitions", "Définitions", _DEFINITIONS),
        _clause("objet", "Objet du contrat", _OBJET[kind]),
        _clause("perimetre", "Périmètre et modalités d'intervention", _PERIMETRE),
        _clause("duree", "Durée et renouvellement", _DUREE),
        _clause("obligations_prestataire", "Obligations du prestataire", _PRESTATAIRE[kind]),
        _clause("obligations_client", "Obligations du client", _CLIENT),
    ]
    if kind == "maintenance":
        clauses.append(_clause("maintenance_preventive", "Maintenance préventive", _MAINTENANCE_PREVENTIVE))
    if kind == "prestation":
        clauses.append(_clause("livrables_recette", "Livrables et recette", _RECETTE))
        clauses.append(_clause("propriete", "Propriété des livrables", _PROPRIETE))
    clauses += [
        _clause("niveaux_service", "Niveaux de service", _NIVEAUX),
        _clause("conditions_financieres", "Conditions financières", _FINANCIER),
        _clause("revision_prix", "Révision des prix", _REVISION),
        _clause("responsabilite", "Responsabilité", _RESPONSABILITE),
        _clause("confidentialite", "Confidentialité", _CONFIDENTIALITE),
        _clause("donnees_personnelles", "Données personnelles", _DONNEES),
        _clause("resiliation", "Résiliation", _RESILIATION),
        _clause("reversibilite", "Réversibilité et fin de contrat", _REVERSIBILITE),
        _clause("reference_commerciale", "Référence commerciale", _REFERENCE),
        _clause("loi_applicable", "Loi applicable et litiges", _LOI),
    ]
    return clauses


def default_clauses(contract_type: str) -> list[dict[str, str]]:
    """The default articles for ``contract_type`` (maintenance, assistance or prestation), as fresh dicts."""
    return copy.deepcopy(_library(contract_type))
