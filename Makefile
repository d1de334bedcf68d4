# Cardinal Recovery: the commands a person runs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

# The test suite runs against the real local services (see scripts/ensure-services).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cardinal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: help run test lint check-deploy staff stack bench bench-cluster css browser-deps upgrade clean

help:
	@echo "make run           serve the site on http://127.0.0.1:$(PORT)/ (embedded defaults)"
	@echo "make test          lint, migrations check and the whole test suite"
	@echo "make check-deploy  Django's deployment checks under production settings"
	@echo "make staff         create a staff account in the Navigators group"
	@echo "make stack         gunicorn (web and intake pools), Celery worker and beat on DATABASE_URL and REDIS_URL"
	@echo "make bench         speed and load figures next to this machine's limit (bench/README.md)"
	@echo "make bench-cluster two web and two worker hosts in network namespaces: scale-out and failures (root)"
	@echo "make upgrade       regenerate the hashed locks requirements*.txt from requirements*.in"
	@echo "make css           rebuild the parts of Bootstrap the site uses (static/css/bootstrap.*.css)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# Installs from the locks only: every package pinned, each file checked against its hash.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(PIP) --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(PIP) --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Rewrites both locks from the direct requirements in requirements*.in, moving every
# dependency that is not pinned there to its newest release on PyPI. The next make
# target that needs the virtualenv installs the new locks.
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
  --custom-compile-command "make upgrade" --upgrade
upgrade: $(VENV)/.dev
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in -o requirements-dev.txt

# The translation catalogues Django reads, compiled from locale/*/LC_MESSAGES/*.po in
# plain Python (scripts/compile_messages.py); the .mo files are built, never committed.
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
$(MESSAGES): %.mo: %.po | $(BIN)/python
	$(BIN)/python scripts/compile_messages.py

# Production is the settings' default: the targets that run on the embedded
# defaults (SQLite, development keys) ask for debug explicitly.
LOCAL := DJANGO_DEBUG=1
# The public origin of `make run` (links in staff mail, canonical URLs, the
# sitemap): the port it serves on, unless SITE_URL is set.
RUN_SITE_URL = $(or $(SITE_URL),http://127.0.0.1:$(PORT))

run: $(VENV)/.runtime $(MESSAGES)
	$(LOCAL) $(BIN)/python manage.py migrate --noinput
	$(LOCAL) $(BIN)/python manage.py load_guides
	@echo
	@echo "  Cardinal Recovery is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Staff admin: http://127.0.0.1:$(PORT)/admin/ . Create the first staff account"
	@echo "  (a superuser in the Navigators group) with:  make staff"
	@echo "  Intake notifications print below, as mail to the console: to the on-call"
	@echo "  inbox (on-call@localhost) until a navigator marks themself available."
	@echo
	$(LOCAL) SITE_URL='$(RUN_SITE_URL)' $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

staff: $(VENV)/.runtime
	$(LOCAL) $(BIN)/python manage.py migrate --noinput
	$(LOCAL) SITE_URL='$(RUN_SITE_URL)' $(BIN)/python manage.py create_staff --group Navigators --superuser

# Debian packages the browser tier needs: chromium (Playwright drives it), a Java
# runtime (the Nu Html Checker is a jar) and npm (installs the checkers); nginx
# (tests/integration/test_nginx.py runs the shipped config); and GNU gettext
# (tests/cardinal/test_i18n.py runs makemessages). Only what is missing is installed.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	test -x /usr/sbin/nginx || missing="$$missing nginx-light"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the browser, nginx and translation tests:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# axe-core, vnu-jar and purgecss (make css), pinned in package-lock.json.
# --ignore-scripts: vnu-jar's install script would fetch a Java runtime of its own;
# the tests use Debian's.
node_modules/.installed: package.json package-lock.json | browser-deps
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The parts of Bootstrap's stylesheet the pages use, kept by PurgeCSS (package-lock.json)
# from the pinned Bootstrap package: run after changing a template's classes, and commit
# what it writes (scripts/build_css.py; tests/cardinal/test_css_build.py checks them).
css: $(VENV)/.runtime node_modules/.installed
	$(BIN)/python scripts/build_css.py

# mypy's django-stubs plugin imports the settings: it runs them on the development defaults.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy

test: $(VENV)/.dev browser-deps node_modules/.installed lint $(MESSAGES)
	scripts/ensure-services
	$(LOCAL) $(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	  $(BIN)/pytest

# Web (gunicorn), worker and beat against DATABASE_URL and REDIS_URL, as in production.
stack: $(VENV)/.dev $(MESSAGES)
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { \
	  echo "make stack needs DATABASE_URL and REDIS_URL, and the production secrets" \
	    "or DJANGO_DEBUG=1 (README.md, 'Production')"; exit 1; }
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py load_guides
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f deploy/Procfile -d . start

# The production configuration on loopback, measured with wrk next to nginx serving
# the same bytes (bench/README.md). Run by hand, never in CI: about 10 minutes, and
# nothing fails on a time. It uses its own database (cardinal_bench, recreated) and
# its own Redis server. BENCH_ARGS passes options, e.g. BENCH_ARGS=--quick.
bench: $(VENV)/.dev
	@missing=""; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	test -x /usr/sbin/nginx || missing="$$missing nginx-light"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the benchmark:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	CARDINAL_TEST_DB=cardinal_bench scripts/ensure-services
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The site on several hosts made of network namespaces on this machine: a database,
# a Redis, two web, two worker and a beat host, nginx and wrk on the client side
# (bench/cluster.py, bench/README.md). Run by hand as root, never in CI: about 12
# minutes (BENCH_ARGS=--quick: about 5), nothing fails on a time, and every
# namespace, link, process and temporary file it made is removed at the end.
bench-cluster: $(VENV)/.dev
	@missing=""; \
	command -v ip >/dev/null 2>&1 || missing="$$missing iproute2"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	test -x /usr/sbin/nginx || missing="$$missing nginx-light"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v psql >/dev/null 2>&1 || missing="$$missing postgresql-client"; \
	test -x /usr/lib/postgresql/15/bin/initdb || missing="$$missing postgresql-15"; \
	command -v setpriv >/dev/null 2>&1 || missing="$$missing util-linux"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the cluster benchmark:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	$(BIN)/python -m bench.cluster $(BENCH_ARGS)

check-deploy: $(VENV)/.runtime
	$(BIN)/python scripts/check_deploy.py

clean:
	rm -rf $(VENV) staticfiles node_modules .pytest_cache .ruff_cache
