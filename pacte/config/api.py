"""The one NinjaAPI: ``/api/v1/``, token auth, JSON errors ``{"detail", "errors"}`` everywhere."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from pacte.billing.domain import BillingError
from pacte.core.api import TokenAuth, error_body
from pacte.core.errors import ConflictError

logger = logging.getLogger("pacte.api")

api = NinjaAPI(
    title="Pacte API",
    version="1",
    description=(
        "Pacte's REST API. Authenticate with `Authorization: Bearer <token>` (a token acts as one membership "
        "and sees exactly what that membership sees). Lists paginate with `limit` and an opaque `cursor`. "
        'Errors are `{"detail": …, "errors": [{"field": …, "message": …}]}`.'
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ValidationError)
def on_schema_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "title") → "title": the location and the parameter's name go, a field named
        # like them ("body" of a message) stays.
        if location and location[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
            location.pop(0)
        if location and location[0] == "payload":
            location.pop(0)
        errors.append({"field": ".".join(location) or "__all__", "message": str(error.get("msg", "Invalid value."))})
    return api.create_response(request, error_body("Validation failed.", errors), status=422)


@api.exception_handler(DjangoValidationError)
def on_domain_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors: list[dict[str, str]] = []
    if hasattr(exc, "error_dict"):
        for field, field_errors in exc.message_dict.items():
            for message in field_errors:
                errors.append({"field": field if field != "__all__" else "__all__", "message": message})
    else:
        errors = [{"field": "__all__", "message": message} for message in exc.messages]
    return api.create_response(request, error_body("Validation failed.", errors), status=422)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, error_body("Not found."), status=404)


@api.exception_handler(ObjectDoesNotExist)
def on_missing(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, error_body("Not found."), status=404)


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, error_body("Your role does not allow this action."), status=403)


@api.exception_handler(ConflictError)
def on_conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return api.create_response(request, error_body(exc.message), status=409)


@api.exception_handler(BillingError)
def on_billing_error(request: HttpRequest, exc: BillingError) -> HttpResponse:
    """Bad billing input (a month, an amount, a back-dated issue): 422 with what to fix."""
    return api.create_response(request, error_body(str(exc)), status=422)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = api.create_response(request, error_body("Authentication required."), status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, error_body(str(exc.message)), status=exc.status_code)


@api.exception_handler(SuspiciousOperation)
def on_bad_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """What Django itself answers 400 to (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, …): a 400 here too."""
    logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
    detail = "The request body is too large." if isinstance(exc, RequestDataTooBig) else "Bad request."
    return api.create_response(request, error_body(detail), status=400)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return api.create_response(request, error_body("Internal error."), status=500)


def _register_routers(target: Any) -> None:
    from pacte.assets.api import router as assets_router
    from pacte.billing.api import router as billing_router
    from pacte.billing.api_credits import router as credits_router
    from pacte.billing.api_payments import router as payments_router
    from pacte.contracts.api import router as contracts_router
    from pacte.contracts.api_revision import router as contracts_revision_router
    from pacte.documents.api import router as documents_router
    from pacte.interventions.api import router as interventions_router
    from pacte.interventions.api_planning import router as planning_router
    from pacte.interventions.api_preventive import router as preventive_router
    from pacte.ledger.api import router as ledger_router
    from pacte.servicedesk.api import router as servicedesk_router
    from pacte.servicedesk.api_alerts import router as alerts_router
    from pacte.sla.api import router as sla_router
    from pacte.tenancy.api import router as tenancy_router

    target.add_router("/", tenancy_router)
    target.add_router("/", sla_router)
    target.add_router("/", documents_router)
    target.add_router("/", assets_router)
    target.add_router("/", contracts_router)
    target.add_router("/", contracts_revision_router)
    target.add_router("/", servicedesk_router)
    target.add_router("/", alerts_router)
    target.add_router("/", interventions_router)
    target.add_router("/", planning_router)
    target.add_router("/", preventive_router)
    target.add_router("/", ledger_router)
    target.add_router("/", billing_router)
    target.add_router("/", payments_router)
    target.add_router("/", credits_router)


_register_routers(api)
