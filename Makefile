# Kade: day-to-day commands. `make run` for a demo shop, `make test` for everything CI runs.

# Each recipe runs as one bash script that stops at the first failing command, so a recipe
# can hold a trap and shell variables across lines.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000
LANGS ?= si ta
TRANSLATIONS := app/translations
# Every package the shop, its test tools and honcho install, transitive ones too, pinned at
# the versions tested: installs below take their versions from it (`pip install -c`), so CI
# and a new machine get what passed here, not whatever was released since. `make lock`.
LOCK := requirements.lock
LOCK_EXTRAS := test,procfile

.PHONY: help venv install install-test run up test serve lint messages lock clean

help:
	@echo "make install   .venv with what the shop needs (no test tools); compile translations"
	@echo "make install-test  the same, plus the test tools (pytest, Playwright, ruff …)"
	@echo "make run       migrate, seed demo data, serve on 127.0.0.1:\$$PORT ($(PORT))"
	@echo "make up        web, staff, worker and scheduler (Procfile, honcho) against DATABASE_URL, REDIS_URL"
	@echo "make test      unit tests on SQLite and PostgreSQL, then the Playwright suite"
	@echo "make serve     gunicorn with gunicorn.conf.py, as in production"
	@echo "make lint      ruff + import-linter contracts"
	@echo "make messages  extract strings and update the $(LANGS) catalogs"
	@echo "make lock      pin again in $(LOCK) after pyproject's dependencies changed (UPGRADE=1: newest)"
	@echo "make clean     remove caches, compiled catalogs and test output"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Kade needs Python >= 3.11; set PYTHON=python3.x" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependencies may have changed: the stamp is older than pyproject
# or the lock (a `git pull` that moved a pin reinstalls).
# The shop's own dependencies first: all `make run` and `make serve` need, so a newcomer's
# first page does not wait for the test tools (~800 MB with them, a third without).
$(VENV)/.installed: pyproject.toml $(LOCK) | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -c $(LOCK) -e .
	touch $@

# An extra on top of them, one stamp each: test (the suites' and lint's tools), procfile
# (honcho, for `make up`). Redone after the app's stamp is.
$(VENV)/.installed-%: $(VENV)/.installed
	$(PY) -m pip install --disable-pip-version-check -q -c $(LOCK) -e '.[$*]'
	touch $@

# .mo files are build output (gitignored), so every install compiles them; -f keeps fuzzy
# entries rather than dropping a whole language for one unsure string.
install: $(VENV)/.installed
	@if compgen -G '$(TRANSLATIONS)/*/LC_MESSAGES/messages.po' >/dev/null; then
		$(VENV)/bin/pybabel -q compile -d $(TRANSLATIONS) -f
	else
		echo "no catalogs under $(TRANSLATIONS) yet: nothing to compile"
	fi

venv: install

install-test: install $(VENV)/.installed-test

run: install
	$(FLASK) db upgrade
	$(FLASK) seed demo
	KADE_LOCAL_SCHEDULE=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

# The Procfile's four processes under honcho: the storefront's gunicorn (web, on PORT), the
# back office's (staff, on PORT+100), a worker and the scheduler. They need Redis; the
# database is DATABASE_URL, else the embedded SQLite file (shared by all four). `db upgrade`
# runs first, which also makes the development keys once, before four processes could each
# make their own. Both pools serve every page; in production a proxy sends /staff to the
# staff pool (ops/nginx/kade.conf).
up: install $(VENV)/.installed-procfile
	@if [[ -z "$${REDIS_URL:-}" ]]; then
		echo "make up: REDIS_URL is not set. The worker and the scheduler need Redis," >&2
		echo "  e.g. REDIS_URL=redis://127.0.0.1:6379/0 make up" >&2
		echo "  Without Redis, use 'make run': jobs then run inside the web process." >&2
		exit 2
	fi
	[[ -n "$${DATABASE_URL:-}" ]] || echo "make up: DATABASE_URL is not set: using the SQLite file in instance/"
	$(FLASK) db upgrade
	echo "make up: the shop on http://127.0.0.1:$(PORT)/, the back office's own pool on http://127.0.0.1:$$(($(PORT) + 100))/staff"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" exec $(VENV)/bin/honcho start --port $(PORT)

serve: install
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

# Three suites, each timed; all three run even when one fails, and the services this started
# are stopped whatever happens. The two unit passes share nothing (each makes its own
# database, Redis and temp folders) and each keeps one core busy, so they run side by side:
# the PostgreSQL pass in the background, its output shown when it ends; on two cores this
# takes the longer pass's time, not the sum. Playwright follows, alone (its timeouts are
# the browser's, not ours). Tests get their backends from TEST_POSTGRES_URL and
# TEST_REDIS_URL only: a developer's DATABASE_URL/REDIS_URL must never be wiped by a test.
# The demo shop's instance/ must come out as it went in (each suite checks too:
# tests/instance_guard.py); compared here by names, sizes and modification times.
test: install-test
	@scripts/services.sh browser
	@scripts/services.sh ops-tools
	services=$$(scripts/services.sh start)   # not eval "$$(...)": that would hide a failure
	eval "$$services"
	pg_pid=
	pg_log=$$(mktemp -t kade-test-postgres.XXXXXX)
	# A pass still running when make stops (Ctrl-C, a failure here) is interrupted as Ctrl-C
	# would (pytest then drops its database and stops its Redis) before the services go.
	stop_pg() {
		if [[ -n $$pg_pid ]] && kill -INT -- -$$pg_pid 2>/dev/null; then wait $$pg_pid || true; fi
		rm -f "$$pg_log"
	}
	trap 'stop_pg; scripts/services.sh stop' EXIT
	unset DATABASE_URL REDIS_URL
	failed=()
	summary=()
	instance_state() {
		if [[ -d instance ]]; then find instance -printf '%P %s %T@\n' | sort | sha256sum
		else echo "no instance folder"; fi
	}
	instance_before=$$(instance_state)
	step() {
		local name=$$1 start=$$SECONDS rc=0 result=ok
		shift
		echo "=== $$name: $$*"
		"$$@" || rc=$$?
		((rc == 0)) || { result="FAILED (exit $$rc)"; failed+=("$$name"); }
		summary+=("$$(printf '%-9s %5ss  %s' "$$name" $$((SECONDS - start)) "$$result")")
		echo "=== $${summary[-1]}"
	}
	pg=($(PY) -m pytest tests --db=postgresql)
	echo "=== postgres (alongside sqlite; output when it ends): $${pg[*]}"
	set -m  # a process group of its own, with Ctrl-C not ignored as in a plain `&` job
	step postgres "$${pg[@]}" </dev/null >"$$pg_log" 2>&1 &
	pg_pid=$$!
	set +m
	step sqlite $(PY) -m pytest tests --db=sqlite
	rc=0
	wait $$pg_pid || rc=$$?
	pg_pid=
	cat "$$pg_log"
	summary+=("$$(tail -n 1 "$$pg_log" | sed 's/^=== //')")
	((rc == 0)) && grep -q '  ok$$' <<<"$${summary[-1]}" || failed+=("postgres")
	step e2e $(PY) -m pytest e2e --screenshot=only-on-failure --output=test-results
	if [[ "$$(instance_state)" != "$$instance_before" ]]; then
		echo "=== instance/ (the demo shop's folder) changed during the run"
		failed+=("instance")
	fi
	echo "=== summary"
	printf '%s\n' "$${summary[@]}"
	if (($${#failed[@]})); then echo "=== failed: $${failed[*]}"; exit 1; fi

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Catalogs for a new language in LANGS are created; existing ones are merged with the new
# template, keeping their translations. No fuzzy matching: it silently gave new strings the
# translation of an old, different one ("Sold out" read "Sign out").
messages: install
	mkdir -p $(TRANSLATIONS)
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--add-comments=Translators: -o $(TRANSLATIONS)/messages.pot .
	for lang in $(LANGS); do
		if [[ -f $(TRANSLATIONS)/$$lang/LC_MESSAGES/messages.po ]]; then
			$(VENV)/bin/pybabel -q update --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$lang
		else
			$(VENV)/bin/pybabel -q init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$lang
		fi
	done

# Resolves pyproject's dependencies (the shop's and every extra) in a throwaway venv and
# writes what got installed to $(LOCK). The pins already there are kept (they constrain the
# resolution), so a new or dropped dependency changes only its own part of the lock;
# UPGRADE=1 resolves everything to the newest versions pyproject allows. Then `make test`
# and commit the lock with the change that needed it. Only pip is needed, no network but
# the package index. Made with Python 3.11 on Linux, as CI runs: another interpreter or
# platform gets these pins wherever they apply, and resolves the rest itself.
lock:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Kade needs Python >= 3.11; set PYTHON=python3.x" >&2; exit 1; }
	tmp=$$(mktemp -d -t kade-lock.XXXXXX)
	trap 'rm -rf "$$tmp"' EXIT
	$(PYTHON) -m venv "$$tmp/venv"
	keep=()
	if [[ -z "$(UPGRADE)" && -f $(LOCK) ]]; then keep=(-c $(LOCK)); fi
	"$$tmp/venv/bin/python" -m pip install --disable-pip-version-check -q "$${keep[@]}" \
		-e '.[$(LOCK_EXTRAS)]' || {
		echo "make lock: pyproject no longer fits the pins in $(LOCK): make lock UPGRADE=1" >&2
		exit 1
	}
	{
		echo "# Made by \`make lock\` (Python $$("$$tmp/venv/bin/python" -c 'import platform; print(platform.python_version())'), Linux): what \`pip install -e '.[$(LOCK_EXTRAS)]'\`"
		echo "# installs, pinned. The Makefile installs with \`pip install -c $(LOCK)\`. Not edited by hand."
		"$$tmp/venv/bin/python" -m pip freeze --disable-pip-version-check --exclude-editable
	} >"$$tmp/lock"
	mv "$$tmp/lock" $(LOCK)
	echo "make lock: $$(grep -c '==' $(LOCK)) packages pinned in $(LOCK)"

# Leaves .venv (slow to rebuild) and instance/ (the local database) alone: rm -rf them by hand.
clean:
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find $(TRANSLATIONS) -name '*.mo' -delete 2>/dev/null || true
	rm -rf .pytest_cache .ruff_cache test-results *.egg-info
