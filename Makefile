# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app tracker
# Installs come from the lock files (pip-compile, with hashes); pyproject.toml keeps the ranges. `make lock` renews them.
LOCK := requirements-dev.txt
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install lock run test lint bench chromium wrk nginx vnu translations extract clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(LOCK) | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

# The lock files from pyproject.toml's ranges: requirements.txt for a deployment (the app and gunicorn),
# requirements-dev.txt for development and the tests. Every package pinned with its hashes.
PIP_COMPILE = $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links
lock: | $(VENV)/bin/python
	$(PY) -m pip install --quiet pip-tools
	$(PIP_COMPILE) --extra prod -o requirements.txt pyproject.toml
	$(PIP_COMPILE) --extra test --extra prod -o requirements-dev.txt pyproject.toml

install: $(STAMP) translations

translations: $(STAMP)
	$(VENV)/bin/pybabel compile --use-fuzzy -d tracker/translations -D messages >/dev/null

# Every msgid of the code and templates into build/messages.pot. pybabel's default --ignore-dirs (".* ._") skips
# folders starting with "_", so templates/_macros/ would go unread: only dot folders are ignored here.
extract: $(STAMP)
	mkdir -p build
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l --ignore-dirs='.*' --sort-by-file -o build/messages.pot .

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; it downloads nothing).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium \
		|| echo "Could not install chromium: browser tests will be skipped"; \
	fi

# Debian's wrk for the throughput part of the benchmark (bench/checkin.py); without it that part reports N/A.
wrk:
	@if ! command -v wrk >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk \
		|| echo "Could not install wrk: the check-in and QR throughput bars will be N/A"; \
	fi

# Debian's nginx for the proxy test (tests/test_proxy.py starts its own on a loopback port; the service is not used).
nginx:
	@if [ ! -x /usr/sbin/nginx ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx \
		|| echo "Could not install nginx: the test through nginx will be skipped"; \
	fi

# The Nu HTML checker for tests/test_html_valid.py: npm's vnu-jar (vnu.jar, a Java program) into .venv/vnu/, outside
# git, with Debian's headless Java (and npm) when missing; without them that test is skipped.
VNU_JAR := $(VENV)/vnu/node_modules/vnu-jar/build/dist/vnu.jar
vnu:
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	if ! command -v java >/dev/null || ! command -v npm >/dev/null; then \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless npm \
		|| echo "Could not install Java and npm: the HTML validity test will be skipped"; \
	fi; \
	if [ ! -f $(VNU_JAR) ] && command -v npm >/dev/null; then \
		npm install --prefix $(VENV)/vnu --no-save --no-audit --no-fund --ignore-scripts --silent vnu-jar@26.9.27 \
		|| echo "Could not install vnu-jar: the HTML validity test will be skipped"; \
	fi

run: install
	$(FLASK) db upgrade
	$(FLASK) init
	$(FLASK) public-address --serving http://$(HOST):$(PORT)
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check tracker tests bench
	$(VENV)/bin/lint-imports --no-cache

test: install chromium nginx vnu lint
	$(VENV)/bin/pytest -n auto

# The province benchmark (bench/README.md): SQL statements and server time per page at 1/100 and full scale,
# then check-in and QR SVG throughput under gunicorn, measured with wrk.
bench: install wrk
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
