"""Pacte settings: one module, driven by the environment.

Every value an operator may change comes from a ``PACTE_*`` variable (or ``DATABASE_URL``);
see the README's configuration table. The defaults run the embedded SQLite demo.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

django_stubs_ext.monkeypatch()  # lets ModelAdmin[Model], QuerySet[Model] etc. run

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = Path(os.environ.get("PACTE_HOME", BASE_DIR.parent))
VAR_DIR = Path(os.environ.get("PACTE_VAR_DIR", PROJECT_DIR / "var"))

DEMO_SECRET_KEY = "pacte-demo-secret-key-not-for-production-0123456789-abcdefghijklmnop"  # noqa: S105


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("PACTE_SECRET_KEY", DEMO_SECRET_KEY)
DEBUG = env_bool("PACTE_DEBUG", False)
ALLOWED_HOSTS = env_list("PACTE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("PACTE_CSRF_TRUSTED_ORIGINS", "")

# HTTPS is the production default; the demo turns it off to serve plain http on 127.0.0.1.
HTTPS = env_bool("PACTE_HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("PACTE_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "pacte.core",
    "pacte.accounts",
    "pacte.tenancy",
    "pacte.audit",
    "pacte.portal",
    "pacte.sla",
    "pacte.assets",
    "pacte.contracts",
    "pacte.servicedesk",
    "pacte.interventions",
    "pacte.ledger",
    "pacte.billing",
    "pacte.documents",
    "django_tasks",
    "django_tasks_db",
    "pacte.jobs",
    "pacte.events",
    "pacte.mail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pacte.accounts.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pacte.audit.middleware.RequestContextMiddleware",
    "pacte.tenancy.middleware.ActorMiddleware",
]

ROOT_URLCONF = "pacte.config.urls"
WSGI_APPLICATION = "pacte.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pacte.tenancy.context_processors.actor",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pacte.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded default: WAL journal, a busy timeout, and IMMEDIATE transactions so that two
    # writers queue instead of failing with "database is locked" (see docs/architecture.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("PACTE_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("PACTE_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"

EMAIL_BACKEND = os.environ.get("PACTE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("PACTE_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("PACTE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("PACTE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PACTE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PACTE_EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("PACTE_DEFAULT_FROM_EMAIL", "Pacte <no-reply@pacte.localhost>")
EMAIL_TIMEOUT = int(os.environ.get("PACTE_EMAIL_TIMEOUT", "30"))
# The address people reach the install at (links in e-mails).
PACTE_BASE_URL = os.environ.get("PACTE_BASE_URL", "http://127.0.0.1:8000")
# Service desk: the largest file accepted on a ticket (bytes).
PACTE_MAX_ATTACHMENT_BYTES = int(os.environ.get("PACTE_MAX_ATTACHMENT_BYTES", str(15 * 1024 * 1024)))
if env_bool("PACTE_DEMO", False):
    # The demo never sends real e-mail, whatever the environment says: messages land in var/mail/.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"

# Background jobs, the event outbox and outgoing mail (docs/adr/0002-jobs-and-outbox.md). The queue
# lives in the database, so a job enqueued inside a transaction exists only if that transaction commits.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PACTE_JOBS_LEASE_SECONDS = float(os.environ.get("PACTE_JOBS_LEASE_SECONDS", "60"))
PACTE_JOBS_TICK_SECONDS = float(os.environ.get("PACTE_JOBS_TICK_SECONDS", "10"))
PACTE_JOBS_MAX_ATTEMPTS = int(os.environ.get("PACTE_JOBS_MAX_ATTEMPTS", "5"))
PACTE_JOBS_RETENTION_DAYS = int(os.environ.get("PACTE_JOBS_RETENTION_DAYS", "30"))
PACTE_EVENTS_MAX_ATTEMPTS = int(os.environ.get("PACTE_EVENTS_MAX_ATTEMPTS", "8"))
PACTE_EVENTS_RETRY_SECONDS = float(os.environ.get("PACTE_EVENTS_RETRY_SECONDS", "30"))
PACTE_MAIL_MAX_ATTEMPTS = int(os.environ.get("PACTE_MAIL_MAX_ATTEMPTS", "24"))
PACTE_MAIL_RETRY_SECONDS = float(os.environ.get("PACTE_MAIL_RETRY_SECONDS", "60"))

# Documents (docs/adr/0003-documents.md): stored under MEDIA_ROOT/documents/<provider id>/, never served
# directly. Sealing (PAdES) uses a PKCS#12 file (certificate + private key) and its password; an install
# hosting several providers gives each its own with PACTE_SEAL_P12_<provider id> / PACTE_SEAL_PASSWORD_<id>.
PACTE_SEAL_P12 = os.environ.get("PACTE_SEAL_P12", "")
PACTE_SEAL_PASSWORD = os.environ.get("PACTE_SEAL_PASSWORD", "")
PACTE_SEAL_PROVIDERS = {
    int(provider_id): (path, os.environ.get(f"PACTE_SEAL_PASSWORD_{provider_id}", ""))
    for name, path in os.environ.items()
    if name.startswith("PACTE_SEAL_P12_") and (provider_id := name.removeprefix("PACTE_SEAL_P12_")).isdigit()
}
PACTE_SEAL_DEMO_P12 = VAR_DIR / "seals" / "demo-seal.p12"
PACTE_SEAL_DEMO_PASSWORD = "demo-seal-not-for-production"  # noqa: S105
if env_bool("PACTE_DEMO", False) and not PACTE_SEAL_P12:
    # `pacte demo` creates a self-signed demo certificate there (pacte manage seal_demo).
    PACTE_SEAL_P12, PACTE_SEAL_PASSWORD = str(PACTE_SEAL_DEMO_P12), PACTE_SEAL_DEMO_PASSWORD
# Uploads (the verification page and API): a request body over the limit is refused from its
# Content-Length, before any of it is read; files over FILE_UPLOAD_MAX_MEMORY_SIZE stream to a
# temporary file instead of memory; other form fields stay under DATA_UPLOAD_MAX_MEMORY_SIZE.
PACTE_UPLOAD_MAX_SIZE = int(float(os.environ.get("PACTE_UPLOAD_MAX_MB", "20")) * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PACTE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # its INFO level narrates every layout step
        "fontTools": {"level": "WARNING"},
    },
}

# API
PACTE_API_PAGE_SIZE = 50
PACTE_API_MAX_PAGE_SIZE = 200
