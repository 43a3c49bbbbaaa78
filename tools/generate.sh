#!/usr/bin/env bash
# Regenerates gen/ from proto/ with buf.gen.yaml. The old generated files are
# replaced as a whole, so that a deleted or renamed proto leaves nothing
# behind; buf's own `clean` is not used because it would also delete
# gen/go/go.mod and the hand-written package files in gen/ts and gen/python.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Two generates at once (two engineers, or make -j) would delete each
# other's output; serialise them.
mkdir -p .cache
exec 9>.cache/generate.lock
flock 9

# Generate into a staging directory first, so that a proto that does not
# compile leaves the committed gen/ as it was.
stage=$(mktemp -d "$root/.cache/generate.XXXXXX")
trap 'rm -rf "$stage"' EXIT
echo "generate: buf generate"
.cache/bin/buf generate --output "$stage"

# Regular packages rather than namespace packages, so that tools that do not
# follow PEP 420 (and readers) see gen/python/manifold as a package tree.
for tree in "$stage/gen/python/manifold" "$stage/gen/python/buf"; do
	[[ -d $tree ]] || continue
	find "$tree" -type d -exec touch {}/__init__.py \;
done

find gen/go -type f \( -name '*.pb.go' -o -name '*.connect.go' \) -delete
find gen/go -mindepth 1 -type d -empty -delete
rm -rf gen/ts/src gen/python/manifold gen/python/buf
cp -R "$stage/gen/." gen/

# gen/go is its own module. Seed its requirements, on first use only, with the
# runtime versions matching the generators pinned in tools/go.mod (later bumps
# are deliberate edits of gen/go/go.mod); tidy then drops what is unused and
# writes go.sum.
tools_version() {
	(cd tools && GOWORK=off go list -m -f '{{.Version}}' "$1")
}
cd gen/go
for mod in google.golang.org/protobuf connectrpc.com/connect \
	buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go; do
	if ! go mod edit -json | grep -q "\"Path\": \"$mod\""; then
		go mod edit -require="$mod@$(cd "$root" && tools_version "$mod")"
	fi
done
echo "generate: go mod tidy in gen/go"
GOWORK=off go mod tidy

# SQL: each store's queries (sqlc.yaml next to them) become Go, one query
# set shared by the SQLite and PostgreSQL drivers.
cd "$root"
while IFS= read -r config; do
	dir=$(dirname "$config")
	echo "generate: sqlc in ${dir#./}"
	(cd "$dir" && "$root/.cache/bin/sqlc" generate)
done < <(find services -name sqlc.yaml -not -path '*/node_modules/*' | sort)
