"""Django settings, all read from the environment (see README's configuration table)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VORONKA_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # A development key is generated once and kept under var/, so sessions survive restarts
    # but no key is ever committed.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.utils.crypto import get_random_string

        key_file.write_text(get_random_string(50))
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "voronka.core",
    "voronka.accounts",
    "voronka.crm",
    "voronka.pipelines",
    "voronka.deals",
    "voronka.activities",
    "voronka.integrations",
    "voronka.automation",
    "voronka.analytics",
    "ninja",
    "voronka.api",
    "voronka.capture",
    "voronka.web",
    "voronka.imports",
    "voronka.notifications",
    "voronka.forecast",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "voronka.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "voronka.urls"
WSGI_APPLICATION = "voronka.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "voronka" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "voronka.web.context.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
SQLITE_BUSY_TIMEOUT_S = 30
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'voronka.sqlite3'}"
# Seconds a process keeps its database connection between requests (checked before reuse).
# 0, the default, opens one per request: 4–6 ms on PostgreSQL here. 60 more than doubles
# PostgreSQL's request rates (docs/benchmarks.md, "Persistent connections").
DATABASES = {"default": dj_database_url.parse(
    DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two writers queue on the
        # busy timeout instead of one failing with "database is locked" on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_S,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000};"
            "PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests use a file, not :memory:, so threads and processes share one database; one file
    # per test process, so parallel runs never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:board"
LOGOUT_REDIRECT_URL = "web:login"

# --- Jobs ---------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "voronka.core.tasks_backend.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# A job left RUNNING by a worker not seen for this long is put back in the queue.
VORONKA_JOB_LEASE_SECONDS = float(os.environ.get("VORONKA_JOB_LEASE_SECONDS", "120"))
VORONKA_JOB_RETENTION_DAYS = int(os.environ.get("VORONKA_JOB_RETENTION_DAYS", "7"))
# How often the worker looks for deals over their stage time limit (automation.limits).
VORONKA_STAGE_LIMIT_CHECK_MINUTES = int(os.environ.get("VORONKA_STAGE_LIMIT_CHECK_MINUTES", "10"))
# Outgoing webhooks to private/loopback addresses are refused unless this is set.
VORONKA_WEBHOOKS_ALLOW_PRIVATE = env_bool("VORONKA_WEBHOOKS_ALLOW_PRIVATE", False)

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "voronka" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

VORONKA_PHONE_REGION = os.environ.get("VORONKA_PHONE_REGION", "RU")
VORONKA_CURRENCY = os.environ.get("VORONKA_CURRENCY", "RUB")

# --- Plans and the prospective funnel (voronka.forecast.form) -----------------------------
# The individual funnel form's trailing window, months; a manager with fewer closed (won +
# lost) deals created in it than the threshold is shown the team's figures instead.
VORONKA_FORECAST_MONTHS = int(os.environ.get("VORONKA_FORECAST_MONTHS", "6"))
VORONKA_FORECAST_MIN_CLOSED = int(os.environ.get("VORONKA_FORECAST_MIN_CLOSED", "20"))

# --- API and lead capture -----------------------------------------------------------------
# Per API token: "<requests>/<seconds>"; "0" turns the limit off.
VORONKA_API_RATE_LIMIT = os.environ.get("VORONKA_API_RATE_LIMIT", "3000/60")
VORONKA_IDEMPOTENCY_HOURS = int(os.environ.get("VORONKA_IDEMPOTENCY_HOURS", "24"))
# Public capture endpoints (forms, webhooks, telephony): per client IP, "<requests>/<seconds>".
VORONKA_CAPTURE_RATE_LIMIT = os.environ.get("VORONKA_CAPTURE_RATE_LIMIT", "30/60")
# Inbound webhooks and telephony (keyed, machine senders): per IP and channel.
VORONKA_CAPTURE_HOOK_RATE_LIMIT = os.environ.get("VORONKA_CAPTURE_HOOK_RATE_LIMIT", "600/60")
# Largest accepted capture request body, bytes.
VORONKA_CAPTURE_MAX_BYTES = int(os.environ.get("VORONKA_CAPTURE_MAX_BYTES", "65536"))
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none, the socket's
# address is the client's). Only that many are trusted, so a client cannot forge its address.
VORONKA_PROXY_HOPS = int(os.environ.get("VORONKA_PROXY_HOPS", "0"))

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# `npm run build` writes the UI's front-end files here (from package.json's packages + our
# sources); served as /static/dist/….
STATICFILES_DIRS = [("dist", BASE_DIR / "voronka" / "static" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "voronka@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
