# Manifold's build. Tools are pinned in tools/ and built into .cache/bin by
# `make tools`; the longer shell logic lives in tools/*.sh.
#
#   make generate         regenerate gen/ from proto/
#   make test             lint, type-check the TS client, import the Python
#                         client, run the Go tests
#   make check-generated  fail when gen/ is stale (CI)
#   make run              build and start `manifold serve`
#   make web              build the web console (web/) that manifold embeds

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

# One `<module>/...` pattern per module of go.work.
GO_PACKAGES = $(shell go list -m -f '{{.Path}}/...')
# CI must not reuse test results cached by an earlier run on the same machine.
GO_TEST_FLAGS ?= $(if $(CI),-count=1)
BREAKING_AGAINST ?= main
# Generated from a third-party proto and git-ignored: absent in a fresh clone.
PY_VALIDATE := gen/python/buf/validate/validate_pb2.py

.PHONY: tools proto-deps generate lint breaking check-generated ts-check \
	py-check go-test test build run clean clean-tools web

tools:
	@tools/build.sh

proto-deps:
	@tools/proto-deps.sh

generate: tools proto-deps
	@tools/generate.sh

lint: tools proto-deps
	@tools/lint.sh

breaking: tools proto-deps
	@tools/breaking.sh $(BREAKING_AGAINST)

check-generated: generate
	@if [[ -n "$$(git status --porcelain -- gen)" ]]; then \
		echo "check-generated: gen/ differs from what 'make generate' produces; run it and commit:" >&2; \
		git status --porcelain -- gen >&2; \
		exit 1; \
	fi
	@echo "check-generated: gen/ is up to date"

ts-check:
	@tools/npm-install.sh gen/ts
	cd gen/ts && node_modules/.bin/tsc --noEmit

# py-check needs buf/validate/validate_pb2; a fresh clone gets it (and the
# rest of gen/, unchanged when up to date) from one `make generate`.
$(PY_VALIDATE): | tools proto-deps
	@tools/generate.sh

py-check: $(PY_VALIDATE)
	@tools/py-check.sh

# The console's build is embedded in manifold (services/internal/console/dist);
# a no-op when nothing it is built from changed.
web:
	@tools/web-build.sh

# tools: the Go tests start the real Consul and Temporal binaries from .cache/bin;
# web: the console's browser test (services/consoletest) drives the built console.
go-test: tools proto-deps web
	go test $(GO_TEST_FLAGS) $(GO_PACKAGES)

test: tools lint ts-check py-check go-test

build: web
	cd services && go build -o ../bin/manifold ./cmd/manifold

run: build
	bin/manifold serve $(ARGS)

# Keeps .cache (the built tools, slow to rebuild); see clean-tools.
clean:
	rm -rf bin test-output gen/ts/node_modules gen/python/buf web/node_modules \
		services/internal/console/dist/index.html services/internal/console/dist/assets

clean-tools:
	rm -rf .cache tools/node_modules

# Measures the gateway against nginx and a bare Go reverse proxy on loopback
# and writes docs/BENCHMARKS.md (tools/bench.sh; about 3 minutes).
.PHONY: bench
bench:
	@tools/bench.sh

# A local split deployment: a Consul dev agent, a Temporal dev server, one
# process per service and two routers on PostgreSQL, on loopback ports;
# Ctrl-C stops it (tools/dev-split.sh, docs/SPLIT.md).
.PHONY: dev-split
dev-split: tools
	@tools/dev-split.sh
