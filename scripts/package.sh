#!/usr/bin/env bash
# Builds Loadscope's Linux packages from one release build: a .deb (cargo-deb) and a .tar.gz of
# the same files (and an .rpm of them too when cargo-generate-rpm is installed). The man page and
# shell completions come from the built binary (`loadscope generate`), THIRD-PARTY.md from
# scripts/third-party.py. Packages land in $CARGO_TARGET_DIR/packages (target/packages).
#
#   scripts/package.sh           build the packages
#   scripts/package.sh --check   also validate the desktop entry and AppStream metainfo, install
#                                the .deb with dpkg -i, run the installed binary, and remove it
#                                again, checking nothing is left behind (needs root; CI runs it)
#
# macOS (.app in a .dmg) and Windows (installer) packages are built by the release workflow on
# hosted runners (.github/workflows/release.yml, packaging/Packager.toml); not on Linux.
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
[ "${1:-}" = "--check" ] && check=true

export DEBIAN_FRONTEND=noninteractive
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked --version 3.8.0

target=${CARGO_TARGET_DIR:-target}
started=$(date +%s)
cargo build --release --locked
echo "release build: $(( $(date +%s) - started )) s"
bin=$target/release/loadscope
stage=$target/release/package
rm -rf "$stage"
mkdir -p "$stage"
# A man page per subcommand (loadscope.1, loadscope-run.1, ...).
"$bin" generate man --dir "$stage/man" >/dev/null
gzip -9n "$stage"/man/*.1
"$bin" generate bash > "$stage/loadscope.bash"
"$bin" generate zsh > "$stage/_loadscope"
"$bin" generate fish > "$stage/loadscope.fish"
python3 scripts/third-party.py > "$stage/THIRD-PARTY.md"

out=$target/packages
rm -rf "$out"
mkdir -p "$out"
# The profile already strips the binary.
cargo deb --no-build --no-strip --output "$out/"
deb=$(ls "$out"/*.deb)
version=$("$bin" --version | awk '{print $2}')
arch=$(uname -m)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
dpkg-deb -x "$deb" "$tree/loadscope-$version"
# xz: smaller than the .deb's own compression; every tar in use reads it (tar -xJf).
tar -C "$tree" -cJf "$out/loadscope-$version-$arch-linux.tar.xz" "loadscope-$version"
if command -v cargo-generate-rpm >/dev/null; then
  cargo generate-rpm --target-dir "$target" --output "$out/"
fi
echo "stripped binary: $(stat -c %s "$bin") bytes"
ls -l "$out"
# The sizes in the README's Install section are these, written here so they cannot go stale.
python3 scripts/package-sizes.py "$bin" "$out"/* --readme README.md

if $check; then
  need desktop-file-validate desktop-file-utils
  need appstreamcli appstream
  desktop-file-validate packaging/linux/dev.loadscope.Loadscope.desktop
  appstreamcli validate --no-net packaging/linux/dev.loadscope.Loadscope.metainfo.xml
  # What the window loads is recommended by name (it dlopens libEGL; Vulkan on a card).
  dpkg-deb -f "$deb" Recommends | grep -q 'mesa-vulkan-drivers | libegl1' || {
    echo "package check: Recommends lacks 'mesa-vulkan-drivers | libegl1': $(dpkg-deb -f "$deb" Recommends)" >&2; exit 1; }
  # The tarball holds the .deb's files, the binary runs from it.
  xz_tree=$(mktemp -d)
  tar -C "$xz_tree" -xJf "$out/loadscope-$version-$arch-linux.tar.xz"
  "$xz_tree/loadscope-$version/usr/bin/loadscope" --version >/dev/null
  [ -f "$xz_tree/loadscope-$version/usr/share/man/man1/loadscope-run.1.gz" ] || { echo "package check: the tarball has no man pages" >&2; exit 1; }
  rm -rf "$xz_tree"
  need update-mime-database shared-mime-info
  dpkg -s loadscope >/dev/null 2>&1 && dpkg -r loadscope >/dev/null
  # dpkg -i does not fetch dependencies; apt-get -f install brings any the machine lacks.
  dpkg -i "$deb" || { apt-get update -qq && apt-get -f install -y -qq >/dev/null; }
  installed=/usr/bin/loadscope
  "$installed" --version
  "$installed" validate api-gateway
  for file in /usr/share/applications/dev.loadscope.Loadscope.desktop \
              /usr/share/metainfo/dev.loadscope.Loadscope.metainfo.xml \
              /usr/share/icons/hicolor/16x16/apps/dev.loadscope.Loadscope.png \
              /usr/share/icons/hicolor/512x512/apps/dev.loadscope.Loadscope.png \
              /usr/share/icons/hicolor/scalable/apps/dev.loadscope.Loadscope.svg \
              /usr/share/man/man1/loadscope.1.gz \
              /usr/share/man/man1/loadscope-run.1.gz \
              /usr/share/man/man1/loadscope-capacity.1.gz \
              /usr/share/mime/packages/dev.loadscope.Loadscope.xml \
              /usr/share/bash-completion/completions/loadscope \
              /usr/share/doc/loadscope/THIRD-PARTY.md; do
    [ -f "$file" ] || { echo "package check: $file was not installed" >&2; exit 1; }
  done
  desktop-file-validate /usr/share/applications/dev.loadscope.Loadscope.desktop
  # Each man page renders, and has the sections a man page reader looks for.
  for page in /usr/share/man/man1/loadscope*.1.gz; do
    text=$(zcat "$page")
    for section in 'EXIT STATUS' ENVIRONMENT FILES EXAMPLES; do
      grep -q "^\.SH \"\?$section" <<<"$text" || { echo "package check: $page has no $section section" >&2; exit 1; }
    done
  done
  # Completion through the installed script's callback: preset names from the binary.
  completed=$(COMPLETE=bash _CLAP_COMPLETE_INDEX=2 _CLAP_COMPLETE_COMP_TYPE=9 _CLAP_COMPLETE_SPACE=true _CLAP_IFS=$'\n' \
    "$installed" -- loadscope run api-)
  [ "$completed" = api-gateway ] || { echo "package check: bash completion of 'run api-' gave: $completed" >&2; exit 1; }
  # *.loadscope.toml is Loadscope's type and a plain .toml is not: shared-mime-info's trigger
  # built the type from the package's XML.
  grep -q '^60:application/x-loadscope-preset:\*\.loadscope\.toml$' /usr/share/mime/globs2 || {
    echo "package check: *.loadscope.toml is not application/x-loadscope-preset in /usr/share/mime/globs2" >&2; exit 1; }
  if grep -q 'application/toml' /usr/share/applications/dev.loadscope.Loadscope.desktop; then
    echo "package check: the desktop entry still claims application/toml" >&2; exit 1
  fi
  files=$(dpkg -L loadscope | grep -v '/$' | while read -r path; do [ -f "$path" ] && echo "$path"; done)
  dpkg -r loadscope >/dev/null
  for path in $files; do
    [ ! -e "$path" ] || { echo "package check: $path is left after dpkg -r" >&2; exit 1; }
  done
  echo "package check: installed, ran (--version, validate api-gateway) and removed cleanly"
fi
