#!/usr/bin/env bash
# Produces the Pulumi CLI and the kubernetes resource plugin the engine driver
# runs, in the ignored cache. Called by the Makefile (`make pulumi-cli`,
# `make pulumi-provider`, `make engine-tools`), which passes the pinned
# versions it reads from the build modules:
#
#   PULUMI_VERSION      the CLI, from tools/pulumi/go.mod                (v3.274.1)
#   PROVIDER_VERSION    the kubernetes plugin = the kubernetes SDK version
#                       the programs use, from the root go.mod           (v4.32.0)
#   PROVIDER_MODULE     the provider module version, from
#                       tools/pulumi-kubernetes/go.mod (a pseudo-version)
#   CACHE, GO, HEAVY_LOCK (the Makefile's values)
#
# An already installed tool at the pinned version is reused (a `pulumi` on PATH
# whose `pulumi version` matches; a kubernetes plugin of that version in
# ${PULUMI_HOME:-~/.pulumi}); otherwise it is built from the Go module proxy.
# Every heavy `go build` runs under HEAVY_LOCK.
set -euo pipefail

: "${CACHE:?}" "${GO:=go}" "${HEAVY_LOCK:?}" "${PULUMI_VERSION:?}"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cli_dir="$CACHE/pulumi/$PULUMI_VERSION/bin"
cli="$cli_dir/pulumi"
home="$CACHE/pulumi/home" # PULUMI_HOME for everything the driver runs
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true

t0=$(date +%s)
step() { printf '==> [%4ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
note() { printf '    %s\n' "$*"; }
fail() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}

# heavy LABEL CMD... runs CMD under the heavy-build lock: it says when it waits
# for the lock, prints a heartbeat every 30 s, and reports the wait and the
# build time (wall seconds) separately.
heavy() {
	local label=$1 lockfile marker start got=0 pid rc=0 n=0
	shift
	lockfile=${HEAVY_LOCK##* }
	mkdir -p "$(dirname "$lockfile")"
	marker=$(mktemp)
	rm -f "$marker"
	start=$(date +%s)
	# shellcheck disable=SC2016
	$HEAVY_LOCK bash -c 'date +%s >"$0"; exec "$@"' "$marker" "$@" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		if ((got == 0)) && [[ -s $marker ]]; then
			got=$(cat "$marker")
			if ((got - start > 1)); then note "$label: got the heavy-build lock after $((got - start))s"; fi
		fi
		if ((n % 30 == 0)) && kill -0 "$pid" 2>/dev/null; then
			if ((got == 0)); then
				note "$label: waiting for the heavy-build lock (another heavy build is running), $(($(date +%s) - start))s"
			else
				note "$label: building, $(($(date +%s) - got))s"
			fi
		fi
	done
	wait "$pid" || rc=$?
	if ((got == 0)) && [[ -s $marker ]]; then got=$(cat "$marker"); fi
	rm -f "$marker"
	((got > 0)) || got=$start
	if ((rc != 0)); then
		fail "$label failed after $(($(date +%s) - got))s (exit $rc); see the go output above. Re-run the make target to retry; the Go build cache keeps what finished."
	fi
	note "$label: done in $(($(date +%s) - got))s (waited $((got - start))s for the lock)"
}

cli_version() { PULUMI_HOME="$home" "$1" version 2>/dev/null | tr -d '[:space:]' || true; }

ensure_cli() {
	step "pulumi CLI $PULUMI_VERSION"
	if [[ -x $cli ]] && [[ $(cli_version "$cli") == "$PULUMI_VERSION" ]]; then
		note "reusing $cli"
		return
	fi
	local onpath
	if onpath=$(command -v pulumi 2>/dev/null) && [[ $(cli_version "$onpath") == "$PULUMI_VERSION" ]]; then
		mkdir -p "$cli_dir"
		ln -sfn "$onpath" "$cli"
		note "using the installed $onpath (pulumi version = $PULUMI_VERSION); linked as $cli"
		return
	fi
	note "no pulumi $PULUMI_VERSION installed${onpath:+ ($onpath reports $(cli_version "$onpath"))}; building it from the Go module proxy (cold: about 5 minutes)"
	mkdir -p "$cli_dir"
	(
		cd "$repo/tools/pulumi"
		heavy "go build pulumi" "$GO" build -trimpath \
			-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
			-o "$cli.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	)
	mv "$cli.tmp" "$cli"
	local got
	got=$(cli_version "$cli")
	[[ $got == "$PULUMI_VERSION" ]] || fail "built $cli reports version '$got', want $PULUMI_VERSION"
	note "built $cli ($(du -m "$cli" | cut -f1) MB)"
}

ensure_provider() {
	: "${PROVIDER_VERSION:?}" "${PROVIDER_MODULE:?}"
	local v=${PROVIDER_VERSION#v}
	local plugin_dir="$home/plugins/resource-kubernetes-v$v"
	local bin_dir="$CACHE/pulumi-kubernetes/v$v"
	local bin="$bin_dir/pulumi-resource-kubernetes"
	step "kubernetes provider plugin v$v"
	if [[ -x $plugin_dir/pulumi-resource-kubernetes ]]; then
		note "already installed in $home"
		return
	fi
	local ambient="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-kubernetes-v$v/pulumi-resource-kubernetes"
	if [[ ! -x $bin ]] && [[ -x $ambient ]]; then
		note "using the installed $ambient"
		bin=$ambient
	elif [[ ! -x $bin ]]; then
		build_provider "$v" "$bin"
	else
		note "reusing the built $bin"
	fi
	step "installing the plugin into PULUMI_HOME=$home"
	PULUMI_HOME="$home" "$cli" plugin install resource kubernetes "v$v" --file "$bin" ||
		fail "pulumi plugin install resource kubernetes v$v --file $bin failed"
	[[ -x $plugin_dir/pulumi-resource-kubernetes ]] || fail "the plugin is not at $plugin_dir after the install"
	note "installed $plugin_dir"
}

# build_provider VERSION OUT builds pulumi-resource-kubernetes. The module zip
# lacks the two files its main package embeds; they are generated from the
# schema.json and terraform-mapping.json it does ship, by its own generate.go,
# in a copy of the module source (the replace target of
# tools/pulumi-kubernetes/go.mod, inside the ignored cache).
build_provider() {
	local v=$1 out=$2 mod=github.com/pulumi/pulumi-kubernetes/provider/v4
	local tools="$repo/tools/pulumi-kubernetes"
	local src rel dir
	rel=$(awk -v m="$mod" '$1=="replace" && $2==m && $3=="=>" {print $4}' "$tools/go.mod")
	[[ -n $rel ]] || fail "tools/pulumi-kubernetes/go.mod has no replace for $mod"
	src="$tools/$rel"
	step "kubernetes provider $PROVIDER_MODULE: module source -> $src"
	if [[ $(cat "$src/.zdt-module-version" 2>/dev/null) != "$PROVIDER_MODULE@$v" ]]; then
		dir=$(cd / && GOFLAGS='' GOWORK=off "$GO" mod download -json "$mod@$PROVIDER_MODULE" |
			awk -F'"' '$2=="Dir" {print $4}')
		[[ -d $dir ]] || fail "go mod download $mod@$PROVIDER_MODULE failed"
		rm -rf "$src"
		mkdir -p "$src"
		cp -R "$dir/." "$src/"
		chmod -R u+w "$src"
		step "generating the embedded schema and terraform mapping (the module's generate.go, VERSION=$v)"
		(
			cd "$tools"
			heavy "go build generate.go" "$GO" build -o "$src/.generate" "$src/cmd/pulumi-resource-kubernetes/generate.go"
		)
		(cd "$src/cmd/pulumi-resource-kubernetes" && VERSION="$v" "$src/.generate") ||
			fail "generating schema-embed.json / terraform-mapping-embed.json failed"
		rm -f "$src/.generate"
		echo "$PROVIDER_MODULE@$v" >"$src/.zdt-module-version"
	else
		note "source already prepared"
	fi
	step "go build pulumi-resource-kubernetes v$v (cold: 8-20 minutes, up to 5 GB memory)"
	mkdir -p "$(dirname "$out")"
	(
		cd "$tools"
		heavy "go build pulumi-resource-kubernetes" "$GO" build -trimpath \
			-ldflags "-s -w -X $mod/pkg/version.Version=$v" \
			-o "$out.tmp" "$mod/cmd/pulumi-resource-kubernetes"
	)
	mv "$out.tmp" "$out"
	note "built $out ($(du -m "$out" | cut -f1) MB)"
}

case "${1:-}" in
cli) ensure_cli ;;
provider)
	ensure_cli
	ensure_provider
	;;
*) fail "usage: $0 cli|provider" ;;
esac
step "done"
