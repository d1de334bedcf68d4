"""gunicorn settings for the web process: scripts/gunicorn cardinal.wsgi -c deploy/gunicorn.conf.py

Every value can be overridden from the environment (GUNICORN_*, WEB_CONCURRENCY).
A blank variable means the default below; a value that is not a whole number stops
gunicorn with one line naming the variable. (scripts/gunicorn starts gunicorn so
that a blank or mistyped WEB_CONCURRENCY reaches this file: gunicorn itself would
stop on it with a traceback before reading any config file.)
"""

import multiprocessing
import os


def env_text(name: str, default: str) -> str:
    """The variable's value; the default when it is unset or blank."""
    return os.environ.get(name, "").strip() or default


def env_count(name: str, default: int, *, minimum: int = 0) -> int:
    """The variable as a whole number of at least `minimum`; the default when it is
    unset or blank. Anything else stops start-up with a message naming it."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        rule = f"a whole number, {minimum} or more (or blank for {default})"
        raise SystemExit(f"{name} must be {rule}, not {value!r}")
    return number


bind = env_text("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: on two cores, more workers or threads made no measurable difference.
workers = env_count("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count()), minimum=1)
worker_class = "sync"
timeout = env_count("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 2
# Recycle workers now and then so a slow leak can never take the site down. Not
# every 5,000 requests: a worker serves a cached guide page in well under 1 ms, so
# under load each one was replaced every second or two, and the requests queued
# meanwhile waited up to 700 ms (p99 at 50 connections, measured with bench/).
max_requests = env_count("GUNICORN_MAX_REQUESTS", 200000)
max_requests_jitter = max_requests // 10
preload_app = True
# Only the proxy in front of us may say the original scheme was https.
forwarded_allow_ips = env_text("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log: method, path without the query string, status, size, duration.
accesslog = env_text("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = env_text("GUNICORN_LOG_LEVEL", "info")
