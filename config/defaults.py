"""Every configuration key the core reads, with its default and why.

Order of precedence (later wins): this module, the module named by `LMS_ENV`
(`development`, `testing`, `production`), environment variables of the same
name, and finally the overrides passed to `create_app()`. Plugins add their own
keys through `Plugin.default_config`; those follow the same order.
"""

# --- Where state lives ------------------------------------------------------
# Folder for everything the embedded default writes: the SQLite file, the
# embedded Redis socket and data, stored files, mail written to disk and the
# generated secret key. Environment: LMS_INSTANCE_PATH. Relative paths are
# taken from the project's root.
LMS_INSTANCE_PATH = "instance"

# --- Core services -----------------------------------------------------------
# SQLAlchemy URL. Unset: an SQLite file `lms.sqlite3` in the instance folder.
# Production: postgresql+psycopg://user:pass@host/db (postgresql:// is accepted).
DATABASE_URL = None
# Redis URL (redis://, rediss:// or unix://). Unset: the embedded Redis server
# that `make run` starts, listening on a Unix socket in the instance folder.
REDIS_URL = None
# SQLite only: how long (seconds) a write waits for another writer to finish
# before the request answers 503 "busy, try again". The wait polls without
# blocking the other requests of the process (see lms/db.py).
SQLITE_LOCK_WAIT_SECONDS = 10.0
# Secret for sessions, CSRF and signed URLs. Unset: a random key is generated
# once and kept in `<instance>/secret_key` (mode 0600). Never hard-coded.
SECRET_KEY = None

# --- Plugins -------------------------------------------------------------------
# Which installed plugins run: "all" (every installed plugin), a comma-separated
# list of entry-point names, or "safe" (only auth, for recovery).
LMS_PLUGINS = "all"

# --- Web -------------------------------------------------------------------------
# The site's public address (scheme, host, optional port and path), e.g.
# https://learn.school.example. Every absolute URL written outside a page (mails,
# notifications, calendar files, API answers) is built from it, never from the
# request's Host header. `make run` sets it from HOST and PORT. Production
# (LMS_ENV=production) refuses to start without it. An https:// address makes
# every cookie Secure.
SITE_URL = None
# Requests whose Host header names another host are refused (400). Accepted:
# the SITE_URL's host, localhost and 127.0.0.1, plus these (a list, or
# comma-separated in the environment), e.g. the school's LAN address.
LMS_TRUSTED_HOSTS = []
# Number of reverse proxies (nginx...) in front of the site whose
# X-Forwarded-For/-Proto/-Host headers are believed. 0: none (the headers are
# ignored, as anyone can send them). With nginx in front, set 1: rate limits and
# the sign-in log then see the visitor's address instead of the proxy's.
LMS_PROXY_COUNT = 0
# Largest request body accepted (bytes). Uploads beyond it answer 413.
MAX_CONTENT_LENGTH = 64 * 1024 * 1024
# Session cookies: HttpOnly always, SameSite=Lax so OAuth redirects keep the
# session. Secure is switched on by production.py and by an https:// SITE_URL.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = False
PERMANENT_SESSION_LIFETIME = 14 * 24 * 3600
# A browser's sign-in ends this many days after it began, however active it
# is; then the person signs in again.
LMS_SESSION_DAYS = 30
# CSRF tokens expire after this many seconds (a school day): a form left open
# longer is refused with a message asking to send it again, not a bare error.
WTF_CSRF_TIME_LIMIT = 8 * 3600
# Strict-Transport-Security is sent only when this is true (production).
LMS_HSTS = False
# Hosts allowed to appear in <iframe>s on our pages (video embeds, live rooms).
LMS_FRAME_SOURCES = [
    "https://www.youtube.com",
    "https://www.youtube-nocookie.com",
    "https://www.dailymotion.com",
    "https://geo.dailymotion.com",
    "https://meet.jit.si",
]
# Other sites whose images pages may show (Content-Security-Policy img-src),
# e.g. ["https://images.school.example"], or ["https:"] for pictures from any
# HTTPS site in lessons. Our own files, data: URLs and the S3 storage are
# always allowed.
LMS_IMAGE_SOURCES = []
# The school's name until an admin sets one on the set-up page.
LMS_SITE_NAME = "Our School"
# Settings, permission grants and other rarely changed data are cached per
# process. A change bumps a version in Redis that every process checks at most
# every LMS_CACHE_CHECK_SECONDS, so it shows everywhere within about that time.
LMS_CACHE_CHECK_SECONDS = 1.0
# The longest a process keeps a cached value anyway: the bound on stale data
# while Redis cannot be reached.
LMS_CACHE_SECONDS = 60
# Items per page on list pages and API lists (and the largest a client may ask).
LMS_PER_PAGE = 24
LMS_MAX_PER_PAGE = 100

# --- Rate limits -----------------------------------------------------------------
# Flask-Limiter keeps counters in Redis so limits hold across web processes.
RATELIMIT_HEADERS_ENABLED = True
# When Redis is down, limits fall back to memory instead of failing requests.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_SWALLOW_ERRORS = True

# --- Logging -------------------------------------------------------------------------
# Level of the log lines web processes and workers print (DEBUG, INFO, WARNING,
# ERROR). `make run` sets WARNING for a quiet terminal; `make run V=1` keeps INFO.
LMS_LOG_LEVEL = "INFO"

# --- Background jobs ---------------------------------------------------------------
# Queue names by purpose: a long transcode never delays a password-reset mail.
LMS_QUEUES = ["mail", "default", "media"]
# A job that runs longer than this (seconds) is stopped and counted as failed.
LMS_JOB_TIMEOUT = 3600
# The health check calls a worker dead if it has not reported for this long, and
# the sweeper re-queues (or fails) a running task whose worker is that silent.
LMS_WORKER_HEARTBEAT_GRACE = 90
# Seconds between a busy worker's reports to Redis (RQ's job monitoring interval).
LMS_WORKER_HEARTBEAT = 30
# Seconds between sweeps for lost tasks and for tasks not yet handed to Redis.
LMS_SWEEP_INTERVAL = 30
# Modules whose @job functions are registered besides the core's and each
# plugin's `tasks.py` (the test suite adds its own).
LMS_JOB_MODULES = []

# --- Storage -------------------------------------------------------------------------
# "local" (files under <instance>/storage) or "s3" (any S3-compatible service).
STORAGE_BACKEND = "local"
STORAGE_LOCAL_PATH = None  # default: <instance>/storage
STORAGE_S3_BUCKET = None
STORAGE_S3_REGION = "us-east-1"
STORAGE_S3_ENDPOINT_URL = None  # e.g. https://minio.school.example
STORAGE_S3_ACCESS_KEY_ID = None
STORAGE_S3_SECRET_ACCESS_KEY = None
# Lifetime of signed media URLs (seconds).
STORAGE_URL_EXPIRES = 3600
# With nginx in front, let it send local files (X-Accel-Redirect to this
# internal location) after the app has checked access. Empty: Flask sends them.
STORAGE_ACCEL_REDIRECT_PREFIX = ""
# S3 only: where S3 uploads spool their unsent bytes (under one part, 8 MiB) and
# where `local_path()` downloads a file for ffmpeg. None: the system's temp folder.
STORAGE_TMP_PATH = None

# --- Mail -------------------------------------------------------------------------------
# Unset MAIL_SERVER: mail is logged and written as .eml files to <instance>/mail.
MAIL_SERVER = None
MAIL_PORT = 25
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_USE_TLS = False
MAIL_USE_SSL = False
# The From address. Unset: the school's name (set on the set-up page) at
# no-reply@<the SITE_URL's host>, e.g. "Hill School <no-reply@learn.hill.example>".
MAIL_DEFAULT_SENDER = None
MAIL_TIMEOUT = 20

# --- Real time ------------------------------------------------------------------------
# Flask-SocketIO async mode: None picks gevent when it is installed (production
# runs Socket.IO on a gevent worker); the tests use "threading".
SOCKETIO_ASYNC_MODE = None
# Origins allowed to open Socket.IO connections; None = same origin only.
SOCKETIO_CORS_ALLOWED_ORIGINS = None
# Redis pub/sub channel that carries Socket.IO events between web processes and
# workers. Channels are server-wide (not per Redis database): sites sharing one
# Redis server, or parallel test workers, need different names.
SOCKETIO_CHANNEL = "lms-socketio"

# --- JSON API / OpenAPI ---------------------------------------------------------------
API_TITLE = "LMS API"
API_VERSION = "v1"
OPENAPI_VERSION = "3.0.3"
OPENAPI_URL_PREFIX = "/api"
OPENAPI_JSON_PATH = "v1/openapi.json"
OPENAPI_SWAGGER_UI_PATH = "docs"
# Swagger UI is served from our npm-installed copy, not a CDN.
OPENAPI_SWAGGER_UI_URL = "/vendor/swagger-ui-dist/"

# --- Health -----------------------------------------------------------------------------
# Each dependency check is abandoned after this many seconds.
LMS_HEALTH_TIMEOUT = 1.0
