"""Settings for the green-community portal.

Every environment variable is read here and nowhere else. With nothing set the portal runs on the
embedded default: an SQLite file in the project folder and Celery tasks executed in process.
"""

import datetime
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    import os

    return os.environ.get(name, default).strip()


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


DJANGO_ENV = _env("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = _env("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to at least 50 characters in production")
    ALLOWED_HOSTS = [h.strip() for h in _env("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the portal's host names in production")
    DEBUG = False
else:
    SECRET_KEY = _env("DJANGO_SECRET_KEY", "development-only-key-not-for-production-use-0123456789")
    ALLOWED_HOSTS = [h.strip() for h in _env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")]
    DEBUG = _env_bool("DJANGO_DEBUG", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "import_export",
    "django_celery_beat",
    "axes",
    "greencommunity.apps.PortalConfig",
    "districts",
    "standards",
    "reporting",
    "reporting.supervision",
    "reporting.funds.apps.FundsConfig",
    "reporting.experience",
    "reporting.commendations",
    "outbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A view that cannot reach the database answers 503 in Chinese (middleware failures: handler500).
    "greencommunity.errors.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "greencommunity.middleware.chinese_first",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Refuse an oversized body or a NUL character before the CSRF check (or a view) reads the request.
    "greencommunity.limits.request_size_limit",
    "greencommunity.limits.no_nul_characters",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # After authentication and messages: logs a timed-out session out with a message on the login page.
    "greencommunity.middleware.SessionTimeoutMiddleware",
    # Sees every answer on its way out, so each 403 (and each scoped 404) reaches the audit trail.
    "greencommunity.middleware.DeniedAccessAuditMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Production serves the collected static files from the app; development uses runserver's finders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "greencommunity.urls"
WSGI_APPLICATION = "greencommunity.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "districts.context_processors.portal",
                "reporting.context_processors.notifications",
                "reporting.context_processors.campaign_picker",
            ],
            # How a person is named and how long something took: one filter each, in every template.
            "builtins": ["greencommunity.templatetags.portal"],
        },
    },
]

# --- database -------------------------------------------------------------------------------------
DATABASE_URL = _env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / _env("SQLITE_NAME", "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ---------------------------------------------------------------------------------------
REDIS_URL = _env("REDIS_URL")
# The in-memory transport names a host, or kombu warns "No hostname was supplied" whenever a job is queued.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker the embedded default runs every task in process, so `make run` needs nothing else.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# --- auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes checks every login (the login page, the admin's and the API's token endpoint) before the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed logins for one username from one address lock that pair out for 30 minutes; failing again while
# locked out does not extend it, so the lockout page can say when to try again.
AXES_FAILURE_LIMIT = _env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=_env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "greencommunity.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "greencommunity.security.client_ip"
# No "AXES: BEGIN" banner at the start of every command; failures and lockouts are still logged (and audited).
AXES_VERBOSE = False
# Across usernames: LOGIN_ADDRESS_FAILURE_LIMIT failed logins from one address within LOGIN_ADDRESS_WINDOW_MINUTES
# lock that address out (password spraying: a few tries on each of many usernames). The handler counts them in
# django-axes' failure log.
LOGIN_ADDRESS_FAILURE_LIMIT = _env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_ADDRESS_WINDOW = datetime.timedelta(minutes=_env_int("LOGIN_ADDRESS_WINDOW_MINUTES", 15))
AXES_HANDLER = "greencommunity.security.LoginFailureHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Behind a reverse proxy the client's address is the N-th from the right in X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)
# A session ends after SESSION_IDLE_MINUTES without a request, and SESSION_ABSOLUTE_HOURS after logging in
# whatever the activity (greencommunity.middleware.SessionTimeoutMiddleware); the cookie lasts as long as the latter.
SESSION_IDLE_TIMEOUT = _env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_TIMEOUT = _env_int("SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if (
    min(
        AXES_FAILURE_LIMIT,
        AXES_COOLOFF_TIME.total_seconds(),
        LOGIN_ADDRESS_FAILURE_LIMIT,
        LOGIN_ADDRESS_WINDOW.total_seconds(),
        SESSION_IDLE_TIMEOUT,
        SESSION_ABSOLUTE_TIMEOUT,
    )
    <= 0
):
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES, LOGIN_ADDRESS_FAILURE_LIMIT, LOGIN_ADDRESS_WINDOW_MINUTES, "
        "SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS must be positive"
    )
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

# --- language and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("npm/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("npm/echarts", NODE_MODULES / "echarts" / "dist"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / _env("MEDIA_ROOT", "media")
# Uploaded files stay in MEDIA_ROOT unless a bucket is named; then they go to S3-compatible storage
# (MinIO, a cloud provider's object store). Files are served only through views that check the reader's
# scope, so objects stay private and links are signed.
STORAGE_S3_BUCKET = _env("STORAGE_S3_BUCKET")
if STORAGE_S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": _env("STORAGE_S3_ENDPOINT_URL") or None,
            "access_key": _env("STORAGE_S3_ACCESS_KEY") or None,
            "secret_key": _env("STORAGE_S3_SECRET_KEY") or None,
            "region_name": _env("STORAGE_S3_REGION") or None,
            "querystring_auth": True,
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- uploads and imports --------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ROSTER_IMPORT_MAX_BYTES = _env_int("ROSTER_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
ROSTER_IMPORT_MAX_ROWS = _env_int("ROSTER_IMPORT_MAX_ROWS", 5000)
ROSTER_IMPORT_MAX_UNZIPPED_BYTES = _env_int("ROSTER_IMPORT_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024)
# A roster release (the NBS division list): a national file is about 10 MB as CSV.
ROSTER_RELEASE_MAX_BYTES = _env_int("ROSTER_RELEASE_MAX_BYTES", 20 * 1024 * 1024)
# Photos and documents attached to reports; an Office file may unzip to at most EVIDENCE_MAX_UNZIPPED_BYTES.
EVIDENCE_MAX_BYTES = _env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
EVIDENCE_MAX_UNZIPPED_BYTES = _env_int("EVIDENCE_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024)
# A request whose body is larger is refused (413) before it is read: the largest upload and its form fields.
REQUEST_MAX_BYTES = _env_int(
    "REQUEST_MAX_BYTES", max(EVIDENCE_MAX_BYTES, ROSTER_IMPORT_MAX_BYTES, ROSTER_RELEASE_MAX_BYTES) + 5 * 1024 * 1024
)
# The page shown when a form arrives without its CSRF token, in the portal's language.
CSRF_FAILURE_VIEW = "greencommunity.limits.csrf_failure"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # As reporting.api.auth.API_AUTHENTICATION: token first (401 without credentials), then the session, whose
    # CSRF refusal is in the portal's language.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "reporting.api.auth.PortalSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "reporting.api.schema.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "天津市绿色社区创建 API",
    "DESCRIPTION": "Read-only access to the roster, the standard and the campaign's progress, scoped by role.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- e-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = _env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = _env("DEFAULT_FROM_EMAIL", "portal@greencommunity.invalid")
# Links in e-mails point here (no trailing slash).
PORTAL_BASE_URL = _env("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- security -------------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
# Scripts and style sheets come only from the portal's own static files (no inline script, handler or <style>);
# images also from data: and blob: URLs (thumbnails, camera previews before upload). Style attributes are allowed
# because ECharts writes its tooltips as HTML with them; they cannot run code, and the portal's own templates
# carry none (tests/test_security.py checks).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = _env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Probes on the private network speak plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS if not h.startswith(".")]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "INFO")},
    # Jobs run in process (no broker) would add a line per finished job to every command's output; a worker logs
    # them in its own log. A failed job is still logged.
    "loggers": {"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {},
}
