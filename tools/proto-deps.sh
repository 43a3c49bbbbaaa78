#!/usr/bin/env bash
# Copies protovalidate's validate.proto, at the version tools/go.mod requires,
# from the Go module cache into .cache/protovalidate: the second module of
# buf.yaml. The Buf Schema Registry is not reachable from here, and
# third-party protos are never committed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module=github.com/bufbuild/protovalidate
dest="$root/.cache/protovalidate/buf/validate/validate.proto"

cd "$root/tools"
dir=$(GOWORK=off go list -m -f '{{.Dir}}' "$module")
if [[ -z $dir ]]; then
	GOWORK=off go mod download "$module"
	dir=$(GOWORK=off go list -m -f '{{.Dir}}' "$module")
fi
src="$dir/proto/protovalidate/buf/validate/validate.proto"
[[ -f $src ]] || {
	echo "proto-deps: $src not found" >&2
	exit 1
}

# Copy only on change so that buf and make see a stable file; install(1)
# because files in the module cache are read-only.
if ! cmp -s "$src" "$dest"; then
	echo "proto-deps: $module $(GOWORK=off go list -m -f '{{.Version}}' "$module") -> ${dest#"$root"/}"
	install -D -m 0644 "$src" "$dest"
fi
