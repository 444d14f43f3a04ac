"""Forms of the client portal's ticket pages: a new ticket, a reply, closing or reopening, a quote decision.

Files are checked here with the same rules as ``messaging`` (size limit, type sniffed from the bytes,
executables refused), so that every refused file is named in the form and nothing is saved; the
services check them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pacte.assets.models import Asset
from pacte.servicedesk import content
from pacte.servicedesk.messaging import MAX_FILES_PER_MESSAGE, NewFile
from pacte.servicedesk.models import Level
from pacte.servicedesk.services import BODY_MAX, TITLE_MAX
from pacte.tenancy.models import Site

#: "Is your work blocked?" → the ticket's urgency.
BLOCKED_CHOICES = [
    (Level.HIGH, _("Yes: I cannot work")),
    (Level.MEDIUM, _("Partly: I can work, but with difficulty")),
    (Level.LOW, _("No: it can wait")),
]
#: "Who is affected?" → the ticket's impact.
AFFECTED_CHOICES = [
    (Level.LOW, _("Only me")),
    (Level.MEDIUM, _("Several colleagues")),
    (Level.HIGH, _("The whole company or a whole site")),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list of uploads (empty when none)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        single = super().clean
        return [single(item, initial) for item in items if item]


def files_help() -> str:
    size = content.max_attachment_bytes() / (1024 * 1024)
    return gettext("Screenshots, PDF, documents: up to %(count)s files of %(size)s MB each.") % {
        "count": MAX_FILES_PER_MESSAGE,
        "size": f"{size:g}",
    }


def checked_files(uploads: Sequence[UploadedFile]) -> list[NewFile]:
    """The uploads as ``NewFile`` if every one is acceptable; otherwise one error per refused file."""
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise ValidationError(gettext("At most %(count)s files at a time.") % {"count": MAX_FILES_PER_MESSAGE})
    errors: list[str] = []
    accepted: list[NewFile] = []
    for upload in uploads:
        name = content.safe_filename(upload.name)
        if upload.size is not None and content.attachment_too_large(upload.size):
            size = content.max_attachment_bytes() / (1024 * 1024)
            errors.append(
                gettext("“%(name)s” is too large: at most %(size)s MB per file.") % {"name": name, "size": f"{size:g}"}
            )
            continue
        data = b"".join(upload.chunks())
        sniffed = content.sniff_attachment(data, upload.name or "")
        if sniffed.refused:
            errors.append(gettext("“%(name)s” is refused: %(reason)s") % {"name": name, "reason": sniffed.reason})
            continue
        accepted.append(NewFile(upload.name or name, data))
    if errors:
        raise ValidationError(errors)
    return accepted


class BodyFields(forms.Form):
    """A text written by the client (plain text, or Markdown when ticked) and files."""

    markdown = forms.BooleanField(
        label=_("Format with Markdown (**bold**, lists, links)"),
        required=False,
    )
    attachments = MultipleFileField(label=_("Files"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = files_help()

    def clean_attachments(self) -> list[NewFile]:
        return checked_files(self.cleaned_data.get("attachments") or [])

    @property
    def body_format(self) -> str:
        return "markdown" if self.cleaned_data.get("markdown") else "text"


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        parts = [obj.name]
        if obj.serial and obj.serial != obj.name:
            parts.append(f"({obj.serial})")
        if obj.site_id is not None:
            parts.append(f"— {obj.site.name}")
        return " ".join(parts)


class TicketNewForm(BodyFields):
    """What a client's employee says about a problem; the site and equipment are among the company's."""

    title = forms.CharField(
        label=_("Subject"),
        max_length=TITLE_MAX,
        help_text=_("In a few words, for example “The printer on the 2nd floor no longer prints”."),
        error_messages={"required": _("Give your request a subject.")},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("What happens, since when, what you have already tried, any error message."),
        error_messages={"required": _("Describe the problem.")},
    )
    blocked = forms.ChoiceField(
        label=_("Is your work blocked?"),
        choices=BLOCKED_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Tell us whether your work is blocked.")},
    )
    affected = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=AFFECTED_CHOICES,
        widget=forms.RadioSelect,
        initial=Level.LOW,
        error_messages={"required": _("Tell us who is affected.")},
    )
    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("— Not specified —"),
        error_messages={"invalid_choice": _("Choose one of your company's sites.")},
    )
    asset = AssetChoiceField(
        label=_("Equipment concerned"),
        queryset=Asset.objects.none(),
        required=False,
        empty_label=_("— Not specified —"),
        error_messages={"invalid_choice": _("Choose one of your company's equipment.")},
    )

    field_order = ["title", "description", "markdown", "blocked", "affected", "site", "asset", "attachments"]

    def __init__(self, *args: Any, sites: Any, assets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_field = self.fields["site"]
        asset_field = self.fields["asset"]
        assert isinstance(site_field, forms.ModelChoiceField) and isinstance(asset_field, forms.ModelChoiceField)
        site_field.queryset = sites
        asset_field.queryset = assets
        site_list = list(sites)
        if len(site_list) == 1 and not self.is_bound:
            self.initial.setdefault("site", site_list[0].pk)
        if not site_list:
            del self.fields["site"]
        if not list(assets[:1]):
            del self.fields["asset"]

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        site, asset = data.get("site"), data.get("asset")
        if site is not None and asset is not None and asset.site_id not in (None, site.pk):
            self.add_error("asset", gettext("This equipment is at another site: choose its site, or no site."))
        return data


class ReplyForm(BodyFields):
    body = forms.CharField(
        label=_("Your message"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    field_order = ["body", "markdown", "attachments"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments") and "attachments" not in self.errors:
            self.add_error("body", gettext("Write a message or add a file."))
        return data


class TicketStatusForm(forms.Form):
    """The client's answer to a resolved ticket: it is solved (close), or it is not (reopen, with why)."""

    action = forms.ChoiceField(choices=[("close", "close"), ("reopen", "reopen")])
    comment = forms.CharField(
        label=_("What still does not work? (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QuoteDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        error_messages={"required": _("Approve or refuse the quote.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you refuse: tell the technician why."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("comment") or "").strip():
            self.add_error("comment", gettext("Tell us why you refuse the quote."))
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"
