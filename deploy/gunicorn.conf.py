"""gunicorn settings for the web process: gunicorn cardinal.wsgi -c deploy/gunicorn.conf.py

Every value can be overridden from the environment (GUNICORN_*, WEB_CONCURRENCY).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: on two cores, more workers or threads made no measurable difference.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 2
# Recycle workers now and then so a slow leak can never take the site down. Not
# every 5,000 requests: a worker serves a cached guide page in well under 1 ms, so
# under load each one was replaced every second or two, and the requests queued
# meanwhile waited up to 700 ms (p99 at 50 connections, measured with bench/).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10
preload_app = True
# Only the proxy in front of us may say the original scheme was https.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log: method, path without the query string, status, size, duration.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
