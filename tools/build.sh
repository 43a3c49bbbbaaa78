#!/usr/bin/env bash
# Installs everything `make generate`, `make lint` and `make test` need, and
# does nothing when it is already in place:
#
#   - Debian packages: protoc and its Python/gRPC plugins and runtimes,
#     and Chromium for the console's browser test;
#   - Go tools declared with `tool` directives in tools/go.mod,
#     tools/consul/go.mod, tools/temporal/go.mod and tools/workflowcheck/go.mod,
#     built into .cache/bin/;
#   - Node tools pinned by tools/package-lock.json, installed in tools/node_modules.
#
# A Go tool is rebuilt only when the version of its module in go.mod changes:
# .cache/bin/<tool>.version records the module@version it was built from.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.cache/bin"
mkdir -p "$bin"

# Two `make tools` at once (two terminals, or make -j) would race on the same
# binaries; serialise them.
exec 9>"$bin/.build.lock"
flock 9

die() {
	echo "tools: error: $*" >&2
	exit 1
}

# --- Debian packages ---------------------------------------------------------

# chromium: the web console's browser test (services/consoletest) drives it.
debian_packages=(protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf chromium)

missing_debian_packages() {
	local pkg
	for pkg in "${debian_packages[@]}"; do
		if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
			echo "$pkg"
		fi
	done
}

install_debian_packages() {
	command -v dpkg-query >/dev/null || die "dpkg-query not found: a Debian-based system is required"
	local missing
	mapfile -t missing < <(missing_debian_packages)
	if [[ ${#missing[@]} -gt 0 ]]; then
		local sudo=()
		[[ $(id -u) -eq 0 ]] || sudo=(sudo)
		echo "tools: installing Debian packages: ${missing[*]}"
		"${sudo[@]}" apt-get update -qq || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
			die "apt-get install failed for: ${missing[*]}"
		mapfile -t missing < <(missing_debian_packages)
		[[ ${#missing[@]} -eq 0 ]] || die "Debian packages still missing after apt-get install: ${missing[*]}"
	fi
	[[ -x /usr/bin/protoc ]] || die "/usr/bin/protoc not found (package protobuf-compiler)"
	[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium not found (package chromium)"
	[[ -x /usr/bin/grpc_python_plugin ]] || die "/usr/bin/grpc_python_plugin not found (package protobuf-compiler-grpc)"
	/usr/bin/python3 -c 'import grpc, google.protobuf' ||
		die "/usr/bin/python3 cannot import grpc and google.protobuf (packages python3-grpcio, python3-protobuf)"
}

# --- Go tools ----------------------------------------------------------------

# binary_name prints the name `go build` gives the binary of a package path:
# its last element, or the one before a major-version suffix such as /v2.
binary_name() {
	local pkg=$1 name=${1##*/}
	if [[ $name =~ ^v[0-9]+$ ]]; then
		pkg=${pkg%/*}
		name=${pkg##*/}
	fi
	echo "$name"
}

# install_go_tools builds every `tool` of the Go module in directory $1 whose
# module version differs from the one its stamp records. Listing the tools
# takes `go list` most of a second, so a summary stamp (go.mod's checksum and
# the tools' names) skips even that when go.mod has not changed.
install_go_tools() {
	local dir=$1 summary sum tools pkg mod version name want names=()
	summary="$bin/.$(basename "$dir").gomod"
	sum=$(sha256sum "$dir/go.mod" | cut -d' ' -f1)
	if [[ -f $summary ]]; then
		local fields
		read -r -a fields <"$summary"
		if [[ ${fields[0]} == "$sum" ]] && all_built "${fields[@]:1}"; then
			return
		fi
	fi
	# GOWORK=off: tools/ is not part of the repository's go.work on purpose,
	# so that the tools' dependencies never leak into the services.
	tools=$(cd "$dir" && GOWORK=off go list -f '{{.ImportPath}} {{.Module.Path}} {{.Module.Version}}' tool) ||
		die "cannot list the tools of $dir/go.mod"
	[[ -n $tools ]] || die "$dir/go.mod declares no tool"
	while read -r pkg mod version; do
		name=$(binary_name "$pkg")
		names+=("$name")
		want="$mod@$version"
		if [[ -x $bin/$name && -f $bin/$name.version && $(<"$bin/$name.version") == "$want" ]]; then
			continue
		fi
		echo "tools: building $name from $want (this can take minutes)"
		(cd "$dir" && GOWORK=off go build -o "$bin/.$name.tmp" "$pkg") || die "building $name from $want failed"
		mv -f "$bin/.$name.tmp" "$bin/$name"
		echo "$want" >"$bin/$name.version"
	done <<<"$tools"
	echo "$sum ${names[*]}" >"$summary"
}

all_built() {
	local name
	for name; do
		[[ -x $bin/$name && -f $bin/$name.version ]] || return 1
	done
}

# --- Node tools --------------------------------------------------------------

install_node_tools() {
	"$root/tools/npm-install.sh" "$root/tools"
	[[ -x $root/tools/node_modules/.bin/protoc-gen-es ]] || die "protoc-gen-es missing after npm ci in tools/"
}

# --- main --------------------------------------------------------------------

for cmd in go git node npm flock; do
	command -v "$cmd" >/dev/null || die "$cmd not found on PATH"
done

install_debian_packages
install_go_tools "$root/tools"
install_go_tools "$root/tools/consul"
install_go_tools "$root/tools/temporal"
install_go_tools "$root/tools/workflowcheck"
install_node_tools

for name in buf protoc-gen-go protoc-gen-connect-go grpcurl consul temporal workflowcheck; do
	[[ -x $bin/$name ]] || die "$bin/$name missing after the build"
done
