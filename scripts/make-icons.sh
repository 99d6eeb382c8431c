#!/usr/bin/env bash
# Renders Loadscope's icon from assets/loadscope.svg into every file a platform wants, and is
# safe to run again (it overwrites them): the hicolor PNG sizes a Linux desktop looks up
# (assets/icons/hicolor/SIZE/apps/dev.loadscope.Loadscope.png), the Windows .ico and the macOS
# .icns. The generated files are committed; run this after changing the SVG.
# Needs rsvg-convert (librsvg2-bin), icotool (icoutils) and png2icns (icnsutils).
set -euo pipefail
cd "$(dirname "$0")/.."
APP_ID="dev.loadscope.Loadscope"
svg=assets/loadscope.svg
for tool in rsvg-convert icotool png2icns; do
  command -v "$tool" >/dev/null || { echo "make-icons: $tool is missing (apt-get install librsvg2-bin icoutils icnsutils)" >&2; exit 1; }
done
for size in 16 24 32 48 64 128 256 512; do
  dir=assets/icons/hicolor/${size}x${size}/apps
  mkdir -p "$dir"
  rsvg-convert -w "$size" -h "$size" "$svg" -o "$dir/$APP_ID.png"
done
mkdir -p assets/icons/hicolor/scalable/apps
cp "$svg" "assets/icons/hicolor/scalable/apps/$APP_ID.svg"
png() { echo "assets/icons/hicolor/${1}x${1}/apps/$APP_ID.png"; }
# The 256 px image goes in as PNG (Windows Vista and later read it), the small ones as bitmaps.
icotool -c -o assets/loadscope.ico "$(png 16)" "$(png 24)" "$(png 32)" "$(png 48)" "$(png 64)" --raw="$(png 256)"
png2icns assets/loadscope.icns "$(png 16)" "$(png 32)" "$(png 48)" "$(png 128)" "$(png 256)" "$(png 512)" >/dev/null
ls -l assets/loadscope.ico assets/loadscope.icns
