#!/usr/bin/env bash
# Usage: tools/web-build.sh
#
# Builds the web console (web/) into services/internal/console/dist, which
# go:embed puts in the manifold binary. Does nothing when the build is newer
# than everything it is made from: web/'s sources and lock file and the
# generated client in gen/ts/src.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
web="$root/web"
dist="$root/services/internal/console/dist"
built="$dist/index.html"

die() {
	echo "web: error: $*" >&2
	exit 1
}

inputs=("$web/src" "$web/index.html" "$web/package-lock.json" "$web/vite.config.ts" "$web/tsconfig.json" "$root/gen/ts/src")
if [[ -f $built && -z $(find "${inputs[@]}" -newer "$built" -print -quit) ]]; then
	exit 0
fi

command -v node >/dev/null || die "node not found: install Node.js 20.19 or later"
"$root/tools/npm-install.sh" "$web"

echo "web: building the console into ${dist#"$root"/}"
# A failed build leaves no index.html, so the next run builds again and
# manifold answers "console not built" meanwhile.
rm -rf "$built" "$dist/assets"
cd "$web"
node_modules/.bin/tsc --noEmit -p . || die "type errors in web/"
node_modules/.bin/vite build --logLevel warn || die "vite build failed"
[[ -f $built ]] || die "vite build wrote no $built"
