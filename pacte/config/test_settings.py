"""Settings for the test suite: the real ones, with fast hashing, in-memory mail and plain static files."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from pacte.config.settings import *  # noqa: F403
from pacte.config.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": None}  # in-memory
STATIC_ROOT = BASE_DIR / "static"  # noqa: F405  (collectstatic never runs in tests)
# Stored documents go to a throw-away directory per test process, never into the project's var/.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pacte-test-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
# "live": a second, committed database for the tests that start real `pacte worker` processes
# (pacte/jobs/tests/test_workers.py); the workers reach it through DATABASE_URL. Created only when
# such a test is collected: a file for SQLite (the default test database lives in memory), a
# database of its own on PostgreSQL.
DATABASES["live"] = {**DATABASES["default"]}
if DATABASES["live"]["ENGINE"] == "django.db.backends.sqlite3":
    _live_name = str(Path(tempfile.gettempdir()) / f"pacte-test-live-{os.getpid()}.sqlite3")
else:
    _live_name = f"test_{DATABASES['default']['NAME']}_live"
DATABASES["live"]["TEST"] = {"NAME": _live_name}
