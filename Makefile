# Disqua: `make run` serves the API locally, `make test` runs everything CI runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
STAGE  ?= dev

.PHONY: install clamav chromium run test unit lint format bench package deploy destroy cfn-lint openapi permissions webhooks-doc fuzz clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip<26.3"  # chalice 1.34 requires pip<26.3 (it runs pip to package)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

clamav:  ## ClamAV (Debian's clamav) for the file processor: installed when missing
	bash scripts/ensure-clamav.sh

chromium:  ## Debian's Chromium for the OAuth page's browser tests (Playwright drives /usr/bin/chromium): installed when missing
	bash scripts/ensure-chromium.sh

run: install clamav  ## serve the API on http://127.0.0.1:$${PORT:-8000} with an embedded AWS backend
	$(BIN)/python -m devserver

test: install clamav chromium lint  ## lint, unit + functional + e2e tests, package and cfn-lint the templates
	$(BIN)/python -m pytest -n 2 -q --dist worksteal --durations=25
	$(MAKE) --no-print-directory cfn-lint

unit: install
	$(BIN)/python -m pytest -q -m "not e2e"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## DynamoDB calls and capacity per endpoint, cold start, package size
	$(BIN)/python -m bench

package: install  ## chalice package + infra/ merged into one CloudFormation template in out/
	$(BIN)/python -m infra.package --stage $(STAGE) --out out/$(STAGE)

deploy: install  ## chalice deploy: infra/resources.yaml as stack disqua-$(STAGE)-resources, then the app (docs/deploy.md; EMAIL_SENDER=...)
	$(BIN)/python -m infra.deploy --stage $(STAGE)

destroy: install  ## undo `make deploy`: chalice delete, then the resources stack (table and bucket are retained)
	$(BIN)/python -m infra.deploy --stage $(STAGE) --destroy

cfn-lint: package
	$(BIN)/cfn-lint out/$(STAGE)/sam.json infra/resources.yaml

fuzz: install  ## the long schemathesis run (docs/openapi.json over HTTP; `make test` runs a short one): figures and findings printed
	FUZZ_PROFILE=long $(BIN)/python -m pytest -q -s tests/e2e/test_fuzz.py

openapi: install  ## regenerate docs/openapi.json from the route declarations
	$(BIN)/python -m tools.openapi > docs/openapi.json

permissions: install  ## regenerate the route table of docs/permissions.md (callers and scope of every route)
	$(BIN)/python -m tools.permissions > docs/permissions.md.new && mv docs/permissions.md.new docs/permissions.md

webhooks-doc: install  ## regenerate docs/webhooks.md (event catalog, examples, retry schedule) from the code
	$(BIN)/python -m tools.webhooks_doc > docs/webhooks.md

clean:
	rm -rf out var .pytest_cache .ruff_cache
