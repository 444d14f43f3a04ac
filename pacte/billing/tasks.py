"""Billing's jobs (autodiscovered): rendering and e-mailing issued invoices, payment reminders."""

from __future__ import annotations

from django_tasks import task

from pacte.billing import reminder_jobs  # noqa: F401  (registers the nightly payment reminders)


@task()
def invoice_render(invoice_id: int) -> str:
    """Render and store the PDF/A-3 (Factur-X) of an issued invoice, once, then e-mail it to the client, once;
    returns the document's SHA-256.

    The e-mail is queued right after the render commits, with an idempotency key
    (``sending.invoice_send_on_issue``): a job run again finds the document and the message, and sends nothing.
    A PDF rendered earlier by a download is still sent here; one rendered outside the job (the command
    line, an export) is not.
    """
    from pacte.billing.rendering import invoice_render_once
    from pacte.billing.sending import invoice_send_on_issue

    sha256 = invoice_render_once(invoice_id)
    invoice_send_on_issue(invoice_id)
    return sha256


@task()
def billing_run(run_id: int, actor_id: int | None, issue: bool) -> dict[str, int]:
    """Draft (and issue when asked) a billing run started from the billing page."""
    from pacte.billing.models import BillingRun
    from pacte.billing.runs import run_execute
    from pacte.tenancy.models import Membership

    run = BillingRun.objects.select_related("provider").get(pk=run_id)
    actor = Membership.objects.filter(pk=actor_id).first() if actor_id is not None else None
    run = run_execute(run, actor=actor, issue=issue)
    return {"drafted": run.drafted, "issued": run.issued}


@task()
def billing_issue(run_id: int, actor_id: int | None) -> dict[str, int]:
    """Issue the drafts of a run, from the run's page."""
    from pacte.billing.models import BillingRun, RunStatus
    from pacte.billing.runs import run_issue
    from pacte.tenancy.models import Membership

    run = BillingRun.objects.select_related("provider").get(pk=run_id)
    actor = Membership.objects.filter(pk=actor_id).first() if actor_id is not None else None
    try:
        run = run_issue(run, actor=actor)
    except Exception as error:
        BillingRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED, error=str(error)[:2000])
        raise
    return {"issued": run.issued}
