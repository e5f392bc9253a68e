# One Makefile for the repository. Pinned versions live here and nowhere else;
# every build step reads them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Ignored cache for heavy, reusable builds (see .gitignore).
CACHE ?= $(CURDIR)/.cache
GO ?= go
GOTEST_FLAGS ?= -count=1

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: test
test: ## Run every test (what CI runs via .ci/run).
	$(GO) vet ./...
	$(GO) test $(GOTEST_FLAGS) ./...

.PHONY: fmt
fmt: ## Format the Go code.
	gofmt -w $$(git ls-files '*.go')
