# One Makefile for the repository. Pinned versions live here and nowhere else;
# every build step reads them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Ignored cache for heavy, reusable builds (see .gitignore).
CACHE ?= $(CURDIR)/.cache
GO ?= go
GOTEST_FLAGS ?= -count=1

# Pinned versions, read from the build modules that pin them (one place each).
K8S_VERSION := $(shell awk '$$1=="require" && $$2=="k8s.io/kubernetes" {print $$3}' tools/kubernetes/go.mod)
K8S_MINOR   := $(word 2,$(subst ., ,$(K8S_VERSION)))
K8S_BIN     := $(CACHE)/kubernetes/$(K8S_VERSION)/bin
K8S_CMDS    := kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy
# Heavy builds take this lock so two never run at once on a 2-core machine.
HEAVY_LOCK  := flock $(CACHE)/.heavy-build.lock

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

.PHONY: k8s-binaries
k8s-binaries: $(addprefix $(K8S_BIN)/,$(K8S_CMDS)) ## Build the pinned Kubernetes binaries into the cache (reused when present).

$(K8S_BIN)/%: tools/kubernetes/go.mod tools/kubernetes/go.sum
	@mkdir -p $(K8S_BIN)
	@echo "==> building $* $(K8S_VERSION) from the Go module proxy (cold: several minutes)"
	@start=$$(date +%s); cd tools/kubernetes && $(HEAVY_LOCK) $(GO) build -trimpath \
	  -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(K8S_MINOR) -X k8s.io/component-base/version.gitTreeState=clean" \
	  -o $@.tmp k8s.io/kubernetes/cmd/$* && mv $@.tmp $@ && echo "    $* built in $$(( $$(date +%s) - start ))s"
