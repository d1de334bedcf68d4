"""Settings for the Cardinal Recovery site.

One file, driven by the environment, read strictly (cardinal/lib/env.py).
Production is the default: with DJANGO_DEBUG unset, debug is off and every
secret must be set, strong, and neither a development key nor an .env.example
placeholder. DJANGO_DEBUG=1 (what `make run` sets) runs on embedded defaults for
local use: SQLite, in-process cache and tasks, mail to the console, development
keys. README.md lists every variable; .env.example names each one.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from admissions.schedule import schedule_parse
from cardinal.lib.env import (
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
    fernet_keys_problem,
    hash_keys_problem,
    secret_key_problem,
    secret_keys_problem,
    split_keys,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)


def secret(name: str, dev_default: str, problem) -> str:
    """A secret from the environment; required, and checked, when debug is off."""
    return env_secret(name, debug=DEBUG, dev_default=dev_default, problem=problem)


# --- Core -----------------------------------------------------------------

# Public on purpose: refused when debug is off.
DEV_SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = secret("DJANGO_SECRET_KEY", DEV_SECRET_KEY, secret_key_problem)
# Keys SECRET_KEY replaced, comma-separated, newest first: what they signed (the
# intake form's fill-time tokens among others) stays valid while a new key rolls
# out; drop them a day later. Checked as SECRET_KEY is when debug is off.
SECRET_KEY_FALLBACKS = (
    split_keys(secret("DJANGO_SECRET_KEY_FALLBACKS", DEV_SECRET_KEY, secret_keys_problem))
    if env_str("DJANGO_SECRET_KEY_FALLBACKS")
    else []
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    # js_lib_bootstrap5 is not an app here: scripts/build_css.py reads its stylesheet
    # and the site serves only the rules it uses (static/css/bootstrap.*.css), so the
    # full Bootstrap is never collected or served.
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The project itself, for its commands: launch_check (cardinal/launch.py).
    "cardinal",
    # Staff sign-in: encrypted authenticator apps, recovery codes, enrolment links.
    "cardinal.staff",
    "education",
    "admissions",
]

MIDDLEWARE = [
    # First: answers anonymous guide GETs from memory (education/page_cache.py).
    "education.page_cache.GuidePageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cardinal.middleware.SecurityHeadersMiddleware",
    # The page's language from its address alone: English at the root, Spanish under /es/.
    "cardinal.i18n.PathLanguageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before SessionMiddleware: follows the session cookie it sets (cardinal/staff_marker.py).
    "cardinal.staff_marker.StaffMarkerMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cardinal.staff.session_lifetime.StaffSessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cardinal.twofactor.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the two factors and messages: a navigator's admin request keeps them on duty.
    "admissions.duty.NavigatorSeenMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "cardinal.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "cardinal.urls"
WSGI_APPLICATION = "cardinal.wsgi.application"

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
                "cardinal.context_processors.site",
                "cardinal.i18n.languages",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Behind PgBouncer in transaction pooling mode a cursor cannot outlive its
# transaction: Django must not declare server-side cursors (for .iterator()).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS", False
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite lets one writer in at a time. A deferred transaction that read first
    # fails at once ("database is locked") when another writer holds the lock;
    # an immediate one takes the write lock at BEGIN, where the busy timeout (in
    # seconds) lets it wait its turn. WAL lets pages be read while an intake is
    # written; synchronous stays FULL, so a saved intake survives a power cut.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cardinal",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions in the database under a hash of their key: a copy of the database holds
# no live session key (cardinal/sessions.py says why not Redis).
SESSION_ENGINE = "cardinal.sessions"

# --- Celery -----------------------------------------------------------------

# Without Redis, tasks run in-process (eager). Celery still takes a producer from
# the broker's pool to queue an eager task: the in-memory broker is named with a
# host, as kombu wants every broker address to be ("memory://" alone logs "No
# hostname was supplied" on the first task of every process).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A message is acknowledged once its task has run. An ack that fails, the broker
# gone, reconnects the worker (cardinal.celery.Request); the message comes again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process keeps its database connection from one task to the next and
# closes it after this many tasks (0: after every task). Celery's Django fixup reads
# it from this configuration, not from the environment of the worker's command.
# Before each task the connection is checked as Django does around a request
# (cardinal.celery.AppTask): one that failed, or is older than
# DATABASE_CONN_MAX_AGE, is replaced.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 100)
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message a worker took but never acknowledged (the worker died) goes back on the
# queue after this many seconds; the beat sweep covers anything lost before that.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# Publishing must not hang a visitor's request while the broker is down: the
# database is the source of truth and the beat sweep queues what was missed.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# No remote control (celery inspect/control): nothing here uses it, and a Redis
# outage noticed first on its pub/sub connection while a task ran crashed the worker
# ("Unrecoverable error: AttributeError ... 'hostname'", README.md 'Production').
# With only its task connection, the worker reconnects.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# A task running when the broker goes away runs to its end: terminated between its
# mail and its commit, it would leave a mailed intake looking unnotified.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BEAT_SCHEDULE: dict = {}
# Only the beat holding a lock in Redis sends the periodic tasks (cardinal/beat.py),
# so a second beat, started by mistake or kept as a standby, doubles nothing. The
# lock expires this many seconds after its holder last renewed it: a standby takes
# over a dead beat's schedule within that time and a third.
CELERY_BEAT_SCHEDULER = "cardinal.beat:SingleBeatScheduler"
CELERY_BEAT_LOCK_SECONDS = env_int("CELERY_BEAT_LOCK_SECONDS", 30)
if CELERY_BEAT_LOCK_SECONDS < 3:
    raise ImproperlyConfigured(
        f"CELERY_BEAT_LOCK_SECONDS must be 3 or more (it is {CELERY_BEAT_LOCK_SECONDS})."
    )

# --- Mail -------------------------------------------------------------------

EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    # Django's SMTP backend, keeping each process's connection from one mail to the
    # next (cardinal/lib/mail.py): the worker mails a navigator for every intake.
    EMAIL_BACKEND = "cardinal.lib.mail.KeptConnectionBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Cardinal Recovery <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Patient data -------------------------------------------------------------

# Comma-separated Fernet keys, newest first: data is written with the first and
# read with any, so a key can be rotated (README.md, 'Rotating the encryption key').
FIELD_ENCRYPTION_KEY = secret(
    "FIELD_ENCRYPTION_KEY", "bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ=", fernet_keys_problem
)
# Keys of the keyed hash (HMAC) that finds repeat contacts without decrypting,
# comma-separated, newest first: phones are hashed with the first and looked up
# with each, so a key can be rotated (manage.py rehash_phones; README.md, "Staff").
FIELD_HASH_KEY = secret("FIELD_HASH_KEY", "local-development-hash-key", hash_keys_problem)

# --- The clinic -------------------------------------------------------------

HELPLINE_PHONE = env_str("HELPLINE_PHONE", "(202) 555-0147")
CLINIC_LEGAL_NAME = env_str("CLINIC_LEGAL_NAME", "Cardinal Recovery, LLC (placeholder legal name)")
CLINIC_ADDRESS = env_str("CLINIC_ADDRESS", "100 Example Street, Suite 100, Springfield, ST 00000")
# What the "About our care" page says of the clinic's care, from the file the clinic
# fills in (cardinal/care.py); a relative path is taken from the project folder.
CLINIC_CARE_FILE = BASE_DIR / env_str("CLINIC_CARE_FILE", "clinic/about-our-care.toml")
# Weekly opening hours in TIME_ZONE and closed dates (format: admissions/schedule.py),
# checked once the time zone is read below.
ADMISSIONS_HOURS = env_str("ADMISSIONS_HOURS", "mon-fri 08:00-20:00; sat,sun 09:00-17:00")
ADMISSIONS_CLOSED_DATES = env_str("ADMISSIONS_CLOSED_DATES", "")
ADMISSIONS_CALLBACK_MINUTES = env_int("ADMISSIONS_CALLBACK_MINUTES", 15)
# Told of every intake that no navigator on duty can take (closed, or nobody
# available), with the Admissions supervisors group. The default is a local
# mailbox: launch_check reports it until the clinic sets a real inbox.
ADMISSIONS_ONCALL_EMAIL = env_str("ADMISSIONS_ONCALL_EMAIL", "on-call@localhost")
# A navigator who marked themself available counts as away after this many
# minutes without a request to the admin, and once their staff session ends.
ADMISSIONS_AWAY_AFTER_MINUTES = env_int("ADMISSIONS_AWAY_AFTER_MINUTES", 30)

# --- Admissions ---------------------------------------------------------------
# The intake pipeline (admissions/): timings, abuse limits, retention.

# An intake nobody has reached within this many minutes is overdue and escalated.
ADMISSIONS_SLA_MINUTES = env_int("ADMISSIONS_SLA_MINUTES", 15)
# An intake saved but not notified after this long is queued again by the sweep.
ADMISSIONS_RENOTIFY_AFTER_SECONDS = env_int("ADMISSIONS_RENOTIFY_AFTER_SECONDS", 120)
# An intake closed this many days ago, or untouched (whatever its status) for as
# long, is closed and anonymised by the sweep (README.md, 'Retention').
ADMISSIONS_RETENTION_DAYS = env_int("ADMISSIONS_RETENTION_DAYS", 365)
# A form sent sooner than this after it was shown is shown again (a program's pace).
ADMISSIONS_MIN_FILL_SECONDS = env_int("ADMISSIONS_MIN_FILL_SECONDS", 3)
# A form sent later than this after it was shown is shown again, answers kept.
ADMISSIONS_FORM_MAX_AGE_SECONDS = env_int("ADMISSIONS_FORM_MAX_AGE_SECONDS", 2 * 3600)
# Accepted intakes per minute, from everyone together: past it the form asks
# visitors to call, and the supervisors get one mail for that minute (0: no limit).
ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE = env_int("ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE", 60)
# Per client address: accepted intakes, and form posts of any kind.
ADMISSIONS_RATE_LIMIT = env_str("ADMISSIONS_RATE_LIMIT", "5/h")
ADMISSIONS_POST_RATE_LIMIT = env_str("ADMISSIONS_POST_RATE_LIMIT", "30/h")

# Every ADMISSIONS_SWEEP_SECONDS (a minute): queue lost notifications again,
# escalate overdue intakes, clear personal data past retention. A run not started
# before the next one is due is dropped.
ADMISSIONS_SWEEP_SECONDS = env_int("ADMISSIONS_SWEEP_SECONDS", 60)
CELERY_BEAT_SCHEDULE.update(
    {
        "admissions-requeue-unnotified": {
            "task": "admissions.tasks.intakes_requeue_unnotified",
            "schedule": float(ADMISSIONS_SWEEP_SECONDS),
            "options": {"expires": ADMISSIONS_SWEEP_SECONDS * 0.9},
        },
        "admissions-escalate-overdue": {
            "task": "admissions.tasks.intakes_escalate_overdue",
            "schedule": float(ADMISSIONS_SWEEP_SECONDS),
            "options": {"expires": ADMISSIONS_SWEEP_SECONDS * 0.9},
        },
        "admissions-anonymise-expired": {
            "task": "admissions.tasks.intakes_anonymise_expired",
            "schedule": float(ADMISSIONS_SWEEP_SECONDS),
            "options": {"expires": ADMISSIONS_SWEEP_SECONDS * 0.9},
        },
    }
)

# Every hour: delete expired sessions, and staff sign-in records (django-axes)
# older than SIGN_IN_RETENTION_DAYS (cardinal/tasks.py).
SIGN_IN_RETENTION_DAYS = env_int("SIGN_IN_RETENTION_DAYS", 90)
CELERY_IMPORTS = ["cardinal.tasks"]
CELERY_BEAT_SCHEDULE.update(
    {
        "sessions-purge-expired": {
            "task": "cardinal.tasks.sessions_purge_expired",
            "schedule": 3600.0,
            "options": {"expires": 3600 * 0.9},
        },
        "sign-in-records-purge": {
            "task": "cardinal.tasks.sign_in_records_purge",
            "schedule": 3600.0,
            "options": {"expires": 3600 * 0.9},
        },
    }
)

# Every Monday at 06:00: fetch every source's URL and DOI, store whether it works,
# and mail the Editors the links newly broken (education/tasks.py). Each address
# gets this many seconds to answer (per connection and per read).
SOURCES_CHECK_TIMEOUT_SECONDS = env_int("SOURCES_CHECK_TIMEOUT_SECONDS", 10)
CELERY_BEAT_SCHEDULE["sources-check-links"] = {
    "task": "education.tasks.sources_check_links",
    "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
    "options": {"expires": 24 * 3600},
}

# --- Auth -------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins that lock a username from one client address, and from all
# addresses together (cardinal/staff/lockout.py), for AXES_COOLOFF_TIME.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
STAFF_USERNAME_FAILURE_LIMIT = env_int("STAFF_USERNAME_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "cardinal.staff.lockout.StaffLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "errors/lockout.html"
# Lockouts count per client address as our own proxies report it (TRUSTED_PROXIES),
# not the proxy's address that every visitor shares.
AXES_CLIENT_IP_CALLABLE = "cardinal.lib.client_ip.client_ip"
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
# Staff pass a second factor (TOTP) before the admin opens; on by default in production.
STAFF_REQUIRE_2FA = env_bool("STAFF_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Cardinal Recovery"
# A staff member enrols an authenticator app only with a one-time link an
# administrator issues (manage.py staff_enrolment_link), valid this many hours.
STAFF_ENROLMENT_LINK_HOURS = env_int("STAFF_ENROLMENT_LINK_HOURS", 72)
# A staff session ends this many hours after sign-in, however busy (the idle
# timeout is SESSION_COOKIE_AGE).
STAFF_SESSION_MAX_HOURS = env_int("STAFF_SESSION_MAX_HOURS", 12)

# --- Internationalisation ---------------------------------------------------

# English at the root, Spanish under /es/ (cardinal/i18n.py): the address alone says the
# language, never the browser's Accept-Language. Catalogues in locale/ (README, "Translations").
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
# A bad ADMISSIONS_HOURS, ADMISSIONS_CLOSED_DATES or TIME_ZONE stops start-up here.
schedule_parse(hours=ADMISSIONS_HOURS, closed_dates=ADMISSIONS_CLOSED_DATES, time_zone=TIME_ZONE)
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "cardinal.lib.static.ManifestStaticFilesStorage"  # whitenoise's, addresses kept
        )
    },
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0
WHITENOISE_USE_FINDERS = DEBUG  # debug runs serve static files without collectstatic

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ---------------------------------------------------------------

# Our own proxies (the deploy/nginx example on the same host): only a request
# from one of these may say, in X-Forwarded-For, whom it came from. The client
# address keys the intake rate limits and staff sign-in lockouts
# (cardinal/lib/client_ip.py).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", ["127.0.0.1/32", "::1/128"])
SECURE_CONTENT_TYPE_NOSNIFF = True
# Links out of a guide (its sources) do not tell the other site where the reader came from.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60)  # staff sessions idle out
SESSION_SAVE_EVERY_REQUEST = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_AGE = None  # a visitor's form token ends with the browser session
CSRF_FAILURE_VIEW = "cardinal.views.csrf_failure"
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

if not DEBUG:
    # TLS ends at the proxy in front of the site; it tells us the scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# --- Logging ----------------------------------------------------------------
# Lines carry method, path and status only: never bodies, query strings or
# form values. Personal data is never passed to a logger anywhere in the code.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_request_data": {"()": "cardinal.logging.DropRequestData"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_request_data"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Only the console handler: Django's default also mails errors to ADMINS,
        # with the request (and its form values) attached.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # lockouts only, not every sign-in
        "django.db.backends": {"level": "WARNING", "propagate": True},
    },
}
