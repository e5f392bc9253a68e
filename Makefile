# One Makefile for the repository. The Kubernetes, Pulumi CLI and provider
# versions are read from the build modules that pin them (tools/*/go.mod,
# go.mod); actionlint's is pinned below (ACTIONLINT_VERSION).
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
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: test
test: tools unit package-check cluster-tests lab-e2e ## Every test, as CI runs it via .ci/run (root; builds the cached tools first).

.PHONY: tools
tools: k8s-binaries engine-tools actionlint ## Build (or reuse) every cached tool: Kubernetes, Pulumi CLI + provider, actionlint.

# Tests that need a real cluster skip in `unit` and run in cluster-tests and
# lab-e2e; any OTHER skipped test fails the run, so nothing is silently skipped.
EXPECTED_SKIPS := TestIntegrationUpDeployDown TestKubernetesLifecycle TestRollbackStaleStatus TestLabEndToEnd
TEST_LOG := $(CACHE)/unit-test.log

# The SARIF 2.1.0 JSON schema (2.1.0-rtm.5, the OASIS standard's) for zdt
# check's SARIF test, taken at test time from a pinned npm package that ships
# it (npm verifies the tarball's integrity); nothing is copied into the repo.
SARIF_SCHEMA_PKG := @microsoft/jest-sarif@1.0.0-beta.0
SARIF_SCHEMA     := $(CACHE)/sarif/jest-sarif-1.0.0-beta.0/sarif-2.1.0-rtm.5.json

.PHONY: sarif-schema
sarif-schema: $(SARIF_SCHEMA) ## Fetch the SARIF 2.1.0 schema for zdt check's test (npm).
$(SARIF_SCHEMA):
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install npm" >&2; exit 1; }
	@mkdir -p $(dir $@)
	cd $(dir $@) && npm pack --silent $(SARIF_SCHEMA_PKG) >/dev/null && \
	  tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz --strip-components=3 package/lib/schemas/sarif-2.1.0-rtm.5.json && \
	  test -s $(notdir $@)

.PHONY: unit
unit: lint-workflows provider-test sarif-schema ## Vet and every test that needs no cluster (no root needed), the provider module's included.
	@mkdir -p $(CACHE)
	$(GO) vet ./...
	@echo "==> go test ./... (log: $(TEST_LOG))"
	@ZDT_SARIF_SCHEMA=$(SARIF_SCHEMA) $(GO) test $(GOTEST_FLAGS) -v ./... > $(TEST_LOG) 2>&1 \
	  && grep -E '^(ok|FAIL|\?) ' $(TEST_LOG) \
	  || { grep -E '^(ok|FAIL|\?) |^--- FAIL|^\s+--- FAIL|panic:' $(TEST_LOG); echo "ERROR: tests failed; details in $(TEST_LOG)" >&2; exit 1; }
	@skips=$$(grep -oE -- '--- SKIP: [^ ]+' $(TEST_LOG) | awk '{print $$3}' | sort -u); \
	  unexpected=$$(for s in $$skips; do case " $(EXPECTED_SKIPS) " in *" $$s "*) ;; *) echo $$s;; esac; done); \
	  if [ -n "$$unexpected" ]; then echo "ERROR: tests skipped that should have run: $$unexpected" >&2; \
	    grep -A2 -E -- "--- SKIP: ($$(echo $$unexpected | tr ' ' '|'))" $(TEST_LOG) >&2; exit 1; fi; \
	  echo "    skipped here, run by cluster-tests/lab-e2e: $$(echo $$skips)"

.PHONY: cluster-tests
cluster-tests: k8s-binaries engine-tools ## Tests against a real local cluster: lifecycle, the Pulumi engine's up/preview/update/destroy, the rollback await (root).
	ZDT_LAB_INTEGRATION=1 $(GO) test -count=1 -v -run TestIntegrationUpDeployDown ./lab/cluster/
	$(GO) run ./cmd/labctl up --bin-dir $(K8S_BIN)
	@trap '$(GO) run ./cmd/labctl down' EXIT; kc=$$($(GO) run ./cmd/labctl kubeconfig); \
	  ZDT_TEST_KUBECONFIG=$$kc $(GO) test -count=1 -v -run TestKubernetesLifecycle ./engine/ && \
	  ZDT_TEST_KUBECONFIG=$$kc $(GO) test -count=1 -v -run TestRollbackStaleStatus ./lab/

.PHONY: lab-e2e
lab-e2e: k8s-binaries engine-tools provider yaml-host ## The lab end to end with assertions (root; about 40 minutes).
	ZDT_LAB_E2E=1 ZDT_LAB_REPORT=$(CURDIR)/work/lab-e2e-report.json $(GO) test -count=1 -v -timeout 85m -run TestLabEndToEnd ./lab/

# The issue's grid: 4 configurations x 10 propagations x 3 repeats is 120
# rollouts, about 5 hours; narrow it with SWEEP, SWEEP_CONFIGS and REPEAT.
SWEEP ?= 2s,5s,8s,10s,12s,15s,20s,30s,45s,60s
SWEEP_CONFIGS ?=
REPEAT ?= 3
.PHONY: lab-sweep
lab-sweep: k8s-binaries engine-tools ## Roll each sweep configuration (SWEEP_CONFIGS, default all four) REPEAT times per fixed ALB propagation (SWEEP=2s,5s,...); table and chart against each model boundary into work/lab-sweep.{txt,svg,json} (root; about 2.5 min a rollout; not in CI).
	$(GO) run ./cmd/zdt-lab --sweep '$(SWEEP)' --sweep-configs '$(SWEEP_CONFIGS)' --repeat $(REPEAT) --json $(CURDIR)/work/lab-sweep.json --table $(CURDIR)/work/lab-sweep.txt --chart $(CURDIR)/work/lab-sweep.svg

.PHONY: lab-one-batch
lab-one-batch: k8s-binaries engine-tools ## One-replica rollouts (every pod replaced in one batch, 30 s ALB health checks) without and with minReadySeconds = interval, REPEAT times at a 2 s ALB propagation; table and chart into work/lab-one-batch.{txt,svg,json} (root; about 2 min a rollout; not in CI).
	$(GO) run ./cmd/zdt-lab --sweep 2s --sweep-configs '4-readiness-gate one replica,4-readiness-gate one replica minReady' --repeat $(REPEAT) --json $(CURDIR)/work/lab-one-batch.json --table $(CURDIR)/work/lab-one-batch.txt --chart $(CURDIR)/work/lab-one-batch.svg

.PHONY: lab
lab: k8s-binaries engine-tools provider yaml-host ## The main job: real cluster + emulated ALB, every scenario, the table (root).
	$(GO) run ./cmd/zdt-lab --json $(CURDIR)/work/lab-report.json

.PHONY: fmt
fmt: ## Format the Go code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: k8s-binaries
k8s-binaries: $(addprefix $(K8S_BIN)/,$(K8S_CMDS)) ## Build the pinned Kubernetes binaries into the cache (reused when present).

# The version is in the path, so a fresh checkout (newer go.mod mtime) reuses
# a restored cache instead of rebuilding.
$(K8S_BIN)/%: | tools/kubernetes/go.mod tools/kubernetes/go.sum
	@mkdir -p $(K8S_BIN)
	@echo "==> building $* $(K8S_VERSION) from the Go module proxy (cold: several minutes)"
	@start=$$(date +%s); cd tools/kubernetes && $(HEAVY_LOCK) $(GO) build -trimpath \
	  -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(K8S_MINOR) -X k8s.io/component-base/version.gitTreeState=clean" \
	  -o $@.tmp k8s.io/kubernetes/cmd/$* && mv $@.tmp $@ && echo "    $* built in $$(( $$(date +%s) - start ))s"

# --- Pulumi engine tools and the engine driver (issue 6) ---------------------
# Pinned versions, read from the build modules (one place each): the CLI from
# tools/pulumi/go.mod; the kubernetes plugin = the kubernetes SDK version the
# programs use (root go.mod); the provider module's pseudo-version from
# tools/pulumi-kubernetes/go.mod.
PULUMI_VERSION   := $(shell awk '$$1=="github.com/pulumi/pulumi/pkg/v3" {print $$2}' tools/pulumi/go.mod)
PULUMI_K8S_VERSION := $(shell awk '$$1=="github.com/pulumi/pulumi-kubernetes/sdk/v4" {print $$2}' go.mod)
PULUMI_K8S_MODULE  := $(shell awk '$$1=="github.com/pulumi/pulumi-kubernetes/provider/v4" {print $$2; exit}' tools/pulumi-kubernetes/go.mod)
PULUMI_CLI       := $(CACHE)/pulumi/$(PULUMI_VERSION)/bin/pulumi
PULUMI_TOOLS_HOME := $(CACHE)/pulumi/home
ENGINE_TOOLS_ENV := CACHE='$(CACHE)' GO='$(GO)' HEAVY_LOCK='$(HEAVY_LOCK)' PULUMI_VERSION='$(PULUMI_VERSION)' \
  PROVIDER_VERSION='$(PULUMI_K8S_VERSION)' PROVIDER_MODULE='$(PULUMI_K8S_MODULE)'

.PHONY: pulumi-cli
pulumi-cli: ## The pinned Pulumi CLI in the cache (an installed one of that version is reused; else built).
	@$(ENGINE_TOOLS_ENV) tools/pulumi/engine-tools.sh cli

.PHONY: pulumi-provider
pulumi-provider: ## The pinned kubernetes plugin installed in the cache's PULUMI_HOME (reused or built; needs the CLI).
	@$(ENGINE_TOOLS_ENV) tools/pulumi/engine-tools.sh provider

.PHONY: engine-tools
engine-tools: pulumi-provider ## Both (the provider target ensures the CLI first): what cmd/zdt-engine runs.

# The engine driver (cmd/zdt-engine): infra.Program through the Automation API
# on a file backend under ENGINE_WORK, with the tools above.
ZDT_ENGINE   := $(CACHE)/bin/zdt-engine
ENGINE_WORK  ?= work/engine
ENGINE_RUN   := ZDT_CACHE='$(CACHE)' $(ZDT_ENGINE) -work $(ENGINE_WORK)
# Stacks `make render` renders: STACK=<name> for one, else every stacks/ file.
RENDER_STACKS = $(or $(STACK),$(patsubst stacks/Pulumi.%.yaml,%,$(wildcard stacks/Pulumi.*.yaml)))
RENDER_OUT   ?= out/manifests

.PHONY: zdt-engine
zdt-engine: ## Build cmd/zdt-engine into the cache (under the heavy-build lock).
	@mkdir -p $(dir $(ZDT_ENGINE))
	@echo "==> go build ./cmd/zdt-engine"
	@start=$$(date +%s); $(HEAVY_LOCK) $(GO) build -o $(ZDT_ENGINE).tmp ./cmd/zdt-engine \
	  && mv $(ZDT_ENGINE).tmp $(ZDT_ENGINE) && echo "    built in $$(( $$(date +%s) - start ))s" \
	  || { echo "ERROR: go build ./cmd/zdt-engine failed" >&2; exit 1; }

.PHONY: render
render: zdt-engine pulumi-provider ## Render a stack's Kubernetes objects as YAML into out/manifests/<stack> (STACK=dev; default all), no cluster or cloud.
	@for s in $(RENDER_STACKS); do \
	  echo "==> rendering stack $$s into $(RENDER_OUT)/$$s"; \
	  $(ENGINE_RUN) -q -stack $$s -out $(RENDER_OUT)/$$s render || { echo "ERROR: rendering stack $$s failed" >&2; exit 1; }; \
	done

.PHONY: render-check
render-check: render ## Render twice and require byte-identical manifests (what a PR diff relies on).
	@for s in $(RENDER_STACKS); do \
	  rm -rf $(CACHE)/render-check/$$s; \
	  $(ENGINE_RUN) -q -stack $$s -out $(CACHE)/render-check/$$s render >/dev/null; \
	  diff -r $(RENDER_OUT)/$$s $(CACHE)/render-check/$$s \
	    || { echo "ERROR: rendering stack $$s is not byte-stable (diff above)" >&2; exit 1; }; \
	  echo "    stack $$s: $$(find $(RENDER_OUT)/$$s -name '*.yaml' | wc -l) manifests, byte-identical across two renders"; \
	done

# zdt check on the rendered stacks (after `make render`): text for a person;
# CHECK_ARGS adds flags, e.g. CHECK_ARGS="-o sarif" or "--fail-on error".
CHECK_ARGS ?=

.PHONY: check
check: render ## Render the stacks, then run `zdt check` on out/manifests (STACK=dev for one).
	@for s in $(RENDER_STACKS); do \
	  echo "==> zdt check $(RENDER_OUT)/$$s"; \
	  $(GO) run ./cmd/zdt check $(CHECK_ARGS) $(RENDER_OUT)/$$s || exit $$?; \
	done

# --- The component package: provider plugin, schema, SDKs, YAML (issue 14) ----
# provider/ is a Go module of its own (pulumi-go-provider + pulumi/pkg/v3 stay
# out of the main module). The plugin goes to bin/ (ignored; the YAML
# example's Pulumi.yaml points there), generated SDKs to out/sdk (ignored).
PROVIDER_VERSION ?= 0.1.0
PROVIDER_BIN     := $(CURDIR)/bin/pulumi-resource-zdt
YAML_VERSION     := $(shell awk '$$1=="github.com/pulumi/pulumi-yaml" {print $$2}' tools/pulumi-yaml/go.mod)
YAML_HOST        := $(CACHE)/pulumi-yaml/$(YAML_VERSION)/pulumi-language-yaml
SDK_OUT          ?= out/sdk

.PHONY: provider
provider: ## Build the component package's plugin bin/pulumi-resource-zdt (under the heavy-build lock).
	@mkdir -p $(dir $(PROVIDER_BIN)) $(CACHE)
	@echo "==> go build pulumi-resource-zdt $(PROVIDER_VERSION)"
	@start=$$(date +%s); cd provider && $(HEAVY_LOCK) $(GO) build \
	  -ldflags "-X github.com/zdt-eks/zdt/provider.Version=$(PROVIDER_VERSION)" \
	  -o $(PROVIDER_BIN).tmp ./cmd/pulumi-resource-zdt \
	  && mv $(PROVIDER_BIN).tmp $(PROVIDER_BIN) && echo "    built in $$(( $$(date +%s) - start ))s"

.PHONY: provider-test
provider-test: ## Vet and test the provider module (schema golden, Args mirror, docs); part of make unit.
	@mkdir -p $(CACHE)
	cd provider && $(HEAVY_LOCK) $(GO) vet -tags e2e ./...
	cd provider && $(GO) test $(GOTEST_FLAGS) ./...

.PHONY: provider-golden
provider-golden: ## Regenerate provider/docs_gen.go and provider/testdata/schema.golden.json after Args or its docs changed.
	cd provider && $(GO) test -count=1 -run TestDocsCurrent . -update
	cd provider && $(GO) test -count=1 -run TestSchemaGolden . -update
	cd provider && $(GO) test -count=1 .
	@git diff --stat -- provider/docs_gen.go provider/testdata/schema.golden.json

.PHONY: yaml-host
yaml-host: $(YAML_HOST) ## Build the Pulumi YAML language host (version from tools/pulumi-yaml/go.mod) into the cache.

$(YAML_HOST): | tools/pulumi-yaml/go.mod tools/pulumi-yaml/go.sum
	@mkdir -p $(dir $@)
	@echo "==> building pulumi-language-yaml $(YAML_VERSION) from the Go module proxy (cold: several minutes)"
	@start=$$(date +%s); cd tools/pulumi-yaml && $(HEAVY_LOCK) $(GO) build -trimpath \
	  -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$(YAML_VERSION)" \
	  -o $@.tmp github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml \
	  && mv $@.tmp $@ && echo "    built in $$(( $$(date +%s) - start ))s"

.PHONY: package-check
package-check: sdk-check yaml-render-check ## The component package end to end without a cluster: schema = golden, SDKs generated and checked, examples/yaml rendered = the Go component (part of make test).

.PHONY: yaml-render-check
yaml-render-check: provider yaml-host pulumi-provider ## examples/yaml through the real engine and the plugin, rendered without a cluster; same objects as the Go component.
	cd provider && ZDT_CACHE='$(CACHE)' $(GO) test -count=1 -tags e2e -v ./e2e/

# SDKs: the pinned CLI's `pulumi package gen-sdk` on the built plugin, with
# the code-generation language hosts of provider/cmd/pulumi-language-sdkgen
# (the official ones are not served by the Go module proxy) on PATH.
SDKGEN_DIR  := $(CURDIR)/bin/sdkgen
SDK_LANGS   := nodejs python go
NPM_FLAGS   ?= --no-audit --no-fund --loglevel=error

.PHONY: sdkgen-hosts
sdkgen-hosts: ## Build the code-generation language hosts into bin/sdkgen (under the heavy-build lock).
	@mkdir -p $(SDKGEN_DIR) $(CACHE)
	@echo "==> go build pulumi-language-sdkgen"
	@cd provider && $(HEAVY_LOCK) $(GO) build -o $(SDKGEN_DIR)/pulumi-language-sdkgen ./cmd/pulumi-language-sdkgen
	@for l in $(SDK_LANGS); do ln -sfn pulumi-language-sdkgen $(SDKGEN_DIR)/pulumi-language-$$l; done

.PHONY: sdk
sdk: provider sdkgen-hosts pulumi-cli ## Generate the TypeScript, Python and Go SDKs into out/sdk (not committed).
	@start=$$(date +%s); mkdir -p $(SDK_OUT); \
	export PULUMI_HOME='$(PULUMI_TOOLS_HOME)' PULUMI_SKIP_UPDATE_CHECK=true PATH='$(SDKGEN_DIR)':"$$PATH"; \
	$(PULUMI_CLI) package get-schema $(PROVIDER_BIN) > $(SDK_OUT)/schema.json; \
	python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); sys.exit(0 if a==b else "ERROR: pulumi package get-schema of the plugin differs from provider/testdata/schema.golden.json: run make provider-golden")' \
	  $(SDK_OUT)/schema.json provider/testdata/schema.golden.json; \
	echo "    the plugin's schema = provider/testdata/schema.golden.json"; \
	for l in $(SDK_LANGS); do \
	  $(PULUMI_CLI) package gen-sdk $(PROVIDER_BIN) --language $$l --out $(SDK_OUT) >/dev/null \
	    || { echo "ERROR: pulumi package gen-sdk --language $$l failed" >&2; exit 1; }; \
	  echo "    $$l SDK: $(SDK_OUT)/$$l ($$(find $(SDK_OUT)/$$l -type f | wc -l) files)"; \
	done; \
	echo "    generated in $$(( $$(date +%s) - start ))s"

.PHONY: sdk-check
sdk-check: sdk ## Generate the SDKs and check them: TypeScript SDK + examples/typescript type-check (npm pins), Go SDK + examples/go build, Python SDK byte-compiles.
	@command -v npm >/dev/null || { echo "make $@: npm is not on PATH: install Node.js (>= 20) and npm" >&2; exit 127; }
	@command -v python3 >/dev/null || { echo "make $@: python3 is not on PATH (Debian: apt-get install python3)" >&2; exit 127; }
	@start=$$(date +%s); \
	echo "==> TypeScript: npm ci in examples/typescript, tsc on the SDK and the example"; \
	cd examples/typescript && npm ci $(NPM_FLAGS) >/dev/null && cd ../..; \
	ln -sfn $(CURDIR)/examples/typescript/node_modules $(SDK_OUT)/nodejs/node_modules; \
	examples/typescript/node_modules/.bin/tsc -p $(SDK_OUT)/nodejs --noEmit \
	  || { echo "ERROR: the generated TypeScript SDK does not type-check" >&2; exit 1; }; \
	examples/typescript/node_modules/.bin/tsc -p examples/typescript --noEmit \
	  || { echo "ERROR: examples/typescript does not type-check against the SDK" >&2; exit 1; }; \
	echo "==> Go: build the SDK and examples/go"; \
	(cd examples/go && $(GO) build -o /dev/null ./...) \
	  || { echo "ERROR: the Go SDK or examples/go does not build" >&2; exit 1; }; \
	echo "==> Python: byte-compile the SDK (PyPI is not reachable here: no install, no type check)"; \
	python3 -m compileall -q $(SDK_OUT)/python >/dev/null \
	  || { echo "ERROR: the generated Python SDK does not byte-compile" >&2; exit 1; }; \
	echo "    SDK checks passed in $$(( $$(date +%s) - start ))s"

# Workflow lint: actionlint, pinned here, built once into the cache; `make
# test` runs it (an added prerequisite), and fails when it cannot build it.
ACTIONLINT_VERSION := v1.7.7
ACTIONLINT := $(CACHE)/actionlint/$(ACTIONLINT_VERSION)/actionlint

$(ACTIONLINT):
	@echo "==> go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)"
	@mkdir -p $(dir $@)
	@GOBIN=$(abspath $(dir $@)) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) \
	  || { echo "ERROR: building actionlint $(ACTIONLINT_VERSION) failed" >&2; exit 1; }

.PHONY: actionlint
actionlint: $(ACTIONLINT)

.PHONY: lint-workflows
lint-workflows: $(ACTIONLINT) ## Lint .github/workflows with actionlint (part of make test).
	@ls .github/workflows/*.yml >/dev/null
	@$(ACTIONLINT) -no-color && echo "    actionlint $(ACTIONLINT_VERSION): $$(ls .github/workflows/*.yml | wc -l) workflows OK"


# Local lab cluster (lab/cluster via cmd/labctl): real etcd, control plane,
# containerd, kubelet and kube-proxy as root, all state in work/lab.
.PHONY: lab-up
lab-up: k8s-binaries ## Bring the local lab cluster up (root; idempotent, resumable).
	$(GO) run ./cmd/labctl up --bin-dir $(K8S_BIN)

.PHONY: lab-down
lab-down: ## Stop the local lab cluster and remove what it left on the machine.
	$(GO) run ./cmd/labctl down

# ---- The Pulumi program (infra/, Pulumi.yaml, stacks/) ----------------------
# What preview/up/destroy need where they run, checked up front (the
# pulumi-preflight macro) so a missing tool is a clear message, not a failure
# deep inside a provider:
#   every stack      the Pulumi CLI on PATH (logged in to a backend)
#   platform eks     the AWS CLI (the kubeconfig runs `aws eks get-token`;
#                    pulumi-eks v2.8.1 checks for it, v1 >= 1.24 or v2 >= 2.7)
#                    and kubectl >= 1.24 (pulumi-eks v2.8.1 checks for it
#                    while constructing the cluster, preview included), plus
#                    AWS credentials; for `up` also Docker (the image build)
# STACK is dev by default here; it is not given a global default because
# `make render` treats an unset STACK as "every stack".
INFRA_STACK = $(or $(STACK),dev)
INFRA_STACK_FILE = stacks/Pulumi.$(INFRA_STACK).yaml
# The stack's platform: zdt:platform in its stack file, eks when unset.
INFRA_PLATFORM = $(or $(shell sed -n 's/^ *zdt:platform: *//p' $(INFRA_STACK_FILE) 2>/dev/null),eks)
PULUMI ?= pulumi
PULUMI_ARGS ?=

# $(call pulumi-preflight,<extra tools for eks>): check the stack and tools.
define pulumi-preflight
	@test -f $(INFRA_STACK_FILE) || { \
	  echo "make $@: no $(INFRA_STACK_FILE); STACK must be one of: $$(ls stacks | sed -n 's/^Pulumi\.\(.*\)\.yaml$$/\1/p' | tr '\n' ' ')" >&2; exit 2; }
	@command -v $(PULUMI) >/dev/null 2>&1 || { \
	  echo "make $@: the Pulumi CLI ($(PULUMI)) is not on PATH. Install it (https://www.pulumi.com/docs/iac/download-install/)," >&2; \
	  echo "  log in to a backend (pulumi login), or set PULUMI=/path/to/pulumi. See infra/README.md." >&2; \
	  exit 127; }
	@if [ "$(INFRA_PLATFORM)" = eks ]; then \
	  command -v aws >/dev/null 2>&1 || { \
	    echo "make $@: the AWS CLI (aws) is not on PATH: the cluster's kubeconfig runs 'aws eks get-token'." >&2; \
	    echo "  Install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html). See infra/README.md." >&2; \
	    exit 127; }; \
	  command -v kubectl >/dev/null 2>&1 || { \
	    echo "make $@: kubectl is not on PATH: pulumi-eks v2.8.1 requires it (>= 1.24) even for a preview." >&2; \
	    echo "  Install it (https://kubernetes.io/docs/tasks/tools/). See infra/README.md." >&2; \
	    exit 127; }; \
	  for tool in $(1); do command -v $$tool >/dev/null 2>&1 || { \
	    echo "make $@: $$tool is not on PATH: 'up' on the eks platform builds the app image with it (BuildKit)." >&2; \
	    echo "  Install Docker (https://docs.docker.com/engine/install/). See infra/README.md." >&2; \
	    exit 127; }; done; \
	fi
endef

.PHONY: preview
preview: ## Preview the stack with a diff: make preview STACK=dev|prod|existing.
	$(call pulumi-preflight,)
	$(PULUMI) stack select --create $(INFRA_STACK)
	$(PULUMI) preview --stack $(INFRA_STACK) --diff $(PULUMI_ARGS)

.PHONY: up
up: ## Deploy the stack: make up STACK=dev|prod|existing (PULUMI_ARGS=--yes to skip the prompt).
	$(call pulumi-preflight,docker)
	$(PULUMI) stack select --create $(INFRA_STACK)
	$(PULUMI) up --stack $(INFRA_STACK) --diff $(PULUMI_ARGS)

.PHONY: destroy
destroy: ## Destroy the stack's resources: make destroy STACK=dev|prod|existing.
	$(call pulumi-preflight,)
	$(PULUMI) destroy --stack $(INFRA_STACK) $(PULUMI_ARGS)
