# Voronka. Quick start: `make demo`, then `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/voronka
PYTEST_ARGS ?=
XDIST  ?= -n 2

.PHONY: demo install assets static messages migrate serve test test-sqlite test-postgres pg-up lint bench clean

$(BIN)/voronka: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/voronka

install: $(BIN)/voronka messages assets static

static: $(BIN)/voronka assets
	$(BIN)/voronka manage collectstatic --noinput -v0

# Front-end packages come from npm through package.json + lock file (never a CDN).
assets:
	@if [ -f package.json ]; then npm ci --no-audit --no-fund --loglevel=error && npm run --silent build; fi

messages: $(BIN)/voronka
	$(BIN)/voronka manage compilemessages -v0 --ignore=.venv --ignore=node_modules

migrate: install
	$(BIN)/voronka manage migrate -v0

demo: migrate
	$(BIN)/voronka demo
	$(BIN)/voronka serve

serve: migrate
	$(BIN)/voronka serve

test: install test-sqlite test-postgres

test-sqlite:
	DATABASE_URL= $(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

pg-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start"; exit 1

test-postgres: pg-up
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

lint: $(BIN)/voronka
	$(BIN)/ruff check .

# Stage moves per second through the gates vs a bare ORM write, on SQLite and PostgreSQL;
# each database is built and dropped by the script (docs/benchmarks.md).
bench: $(BIN)/voronka pg-up
	$(BIN)/python bench/moves.py --db both

clean:
	rm -rf $(VENV) var staticfiles node_modules
