"""French wording for the contract documents, pure: money, numbers in words, dates, durations.

The documents are legal texts in French whatever the reader's interface language, so nothing here
goes through gettext. Money follows French typography: a narrow no-break space between thousands,
a comma before the cents, a no-break space before the euro sign (``1 027,78 €``).
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

NBSP: Final = "\u00a0"
NNBSP: Final = "\u202f"  # narrow no-break space: the thousands separator

MONTHS: Final = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
WEEKDAYS: Final = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

_UNITS: Final = (
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
)
_TENS: Final = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}
CENT: Final = Decimal("0.01")


def _group(digits: str) -> str:
    """``"1027"`` → ``"1 027"`` (narrow no-break spaces between groups of three)."""
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NNBSP.join(groups)


def number(value: Decimal | int | str, decimals: int = 2) -> str:
    """``Decimal("1027.78")`` → ``"1 027,78"``; ``decimals=0`` rounds to a whole number."""
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _dot, fraction = f"{abs(amount):f}".partition(".")
    return f"{sign}{_group(whole)}{',' + fraction if fraction else ''}"


def quantity(value: Decimal | int | str) -> str:
    """A quantity without useless decimals: ``10.00`` → ``10``, ``7.50`` → ``7,5``."""
    amount = Decimal(str(value)).normalize()
    if amount == amount.to_integral_value():
        return number(amount, 0)
    return number(amount, max(0, -amount.as_tuple().exponent))  # type: ignore[operator]


def euros(value: Decimal | int | str) -> str:
    """``1027.78`` → ``"1 027,78 €"``."""
    return f"{number(value)}{NBSP}€"


def euros_ht(value: Decimal | int | str) -> str:
    return f"{euros(value)}{NBSP}HT"


def multiplier(value: Decimal | str) -> str:
    """``1.50`` → ``"× 1,5"``."""
    return f"×{NBSP}{quantity(value)}"


def percent(value: Decimal | str) -> str:
    """A fraction as a percentage: ``0.05`` → ``"5 %"``, ``-0.02`` → ``"-2 %"``."""
    return f"{quantity(Decimal(str(value)) * 100)}{NBSP}%"


# Numbers in words (traditional spelling: hyphens under one hundred only) --------------------------


def _below_100(value: int, final: bool) -> str:
    if value < 20:
        return _UNITS[value]
    tens, unit = divmod(value, 10)
    if tens in (7, 9):
        base = "soixante" if tens == 7 else "quatre-vingt"
        if tens == 7 and unit == 1:
            return "soixante et onze"
        return f"{base}-{_UNITS[10 + unit]}"
    if tens == 8:
        if unit == 0:
            return "quatre-vingts" if final else "quatre-vingt"
        return f"quatre-vingt-{_UNITS[unit]}"
    word = _TENS[tens]
    if unit == 0:
        return word
    if unit == 1:
        return f"{word} et un"
    return f"{word}-{_UNITS[unit]}"


def _below_1000(value: int, final: bool = True) -> str:
    hundreds, rest = divmod(value, 100)
    if not hundreds:
        return _below_100(rest, final)
    head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent"
    if not rest:
        return f"{head}s" if hundreds > 1 and final else head
    return f"{head} {_below_100(rest, final)}"


def number_words(value: int) -> str:
    """A whole number in French words: 1027 → ``"mille vingt-sept"``, 200 → ``"deux cents"``."""
    if value < 0:
        return f"moins {number_words(-value)}"
    if value == 0:
        return "zéro"
    parts = []
    for scale, singular, plural in ((10**9, "milliard", "milliards"), (10**6, "million", "millions")):
        count, value = divmod(value, scale)
        if count:
            parts.append(f"{number_words(count)} {singular if count == 1 else plural}")
    thousands, value = divmod(value, 1000)
    if thousands:
        parts.append("mille" if thousands == 1 else f"{_below_1000(thousands, final=False)} mille")
    if value:
        parts.append(_below_1000(value))
    return " ".join(parts)


def euros_words(value: Decimal | int | str) -> str:
    """``1027.78`` → ``"mille vingt-sept euros et soixante-dix-huit centimes"``."""
    amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    whole = int(amount)
    cents = int((amount - whole) * 100)
    if whole == 0 and cents:
        return f"{number_words(cents)} centime{'s' if cents > 1 else ''}"
    if whole >= 10**6 and whole % 10**6 == 0:  # "un million d'euros"
        text = f"{number_words(whole)} d'euros"
    else:
        text = f"{number_words(whole)} euro{'s' if whole > 1 else ''}"
    if cents:
        text += f" et {number_words(cents)} centime{'s' if cents > 1 else ''}"
    return text


def euros_in_full(value: Decimal | int | str) -> str:
    """Figures and words: ``"900,00 € HT (neuf cents euros hors taxes)"``."""
    return f"{euros_ht(value)} ({euros_words(value)} hors taxes)"


# Dates and durations ------------------------------------------------------------------------------


def date_long(day: datetime.date) -> str:
    """``2027-01-01`` → ``"1er janvier 2027"``."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def month_year(day: datetime.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def months(count: int) -> str:
    return f"{count}{NBSP}mois"


def days(count: int) -> str:
    return f"{count}{NBSP}jour{'s' if count > 1 else ''}"


def hours(value: Decimal | int | str) -> str:
    amount = Decimal(str(value))
    return f"{quantity(amount)}{NBSP}heure{'s' if amount > 1 else ''}"


def minutes(count: int) -> str:
    """``90`` → ``"1 h 30"``, ``15`` → ``"15 minutes"``, ``60`` → ``"1 heure"``."""
    whole, rest = divmod(count, 60)
    if not whole:
        return f"{rest}{NBSP}minute{'s' if rest > 1 else ''}"
    if not rest:
        return hours(whole)
    return f"{whole}{NBSP}h{NBSP}{rest:02d}"


def duration_seconds(seconds: int) -> str:
    """An SLA target: ``14400`` → ``"4 h"``, ``1800`` → ``"30 min"``, ``5400`` → ``"1 h 30"``."""
    total_minutes = seconds // 60
    whole, rest = divmod(total_minutes, 60)
    if not whole:
        return f"{rest}{NBSP}min"
    return f"{whole}{NBSP}h{NBSP}{rest:02d}" if rest else f"{whole}{NBSP}h"


def siren(value: str) -> str:
    """``"812345676"`` → ``"812 345 676"`` (the way it is printed after "RCS Lyon")."""
    digits = value.replace(" ", "")
    if len(digits) != 9:
        return value
    return NBSP.join((digits[:3], digits[3:6], digits[6:]))


_BEFORE_COLON = re.compile(r" ([:!?])")
_BEFORE_SEMICOLON = re.compile(r" ;")


def typography(text: str) -> str:
    """French typography: no-break spaces before ``:`` (and ``! ?``), narrow ones before ``;``, inside « »."""
    text = _BEFORE_COLON.sub(f"{NBSP}\\1", text)
    text = _BEFORE_SEMICOLON.sub(f"{NNBSP};", text)
    return text.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»")


def typeset(value: Any) -> Any:
    """``typography`` applied to every string of nested dicts, lists and tuples (other values kept)."""
    if isinstance(value, str):
        return typography(value)
    if isinstance(value, dict):
        return {key: typeset(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typeset(item) for item in value]
    if isinstance(value, tuple):
        return tuple(typeset(item) for item in value)
    return value
