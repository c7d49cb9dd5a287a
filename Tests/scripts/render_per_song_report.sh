#!/usr/bin/env bash
# Renders `fad per-song` on the bundled examples in headless Chromium and checks the page drew:
# the screenshot must exist and not be blank, and Chromium's DOM dump must hold the table rows,
# the SVG plot and the audio players. Needs chromium (Debian: apt-get install chromium).
# Usage: bash Tests/scripts/render_per_song_report.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/fad-report-check}
mkdir -p "$out/generated"
cp Examples/generated-close/*.ogg "$out/generated/"
cp Examples/generated-degraded/battle.ogg "$out/generated/zz-degraded-battle.ogg"
swift run -c release fad per-song Examples/reference "$out/generated" -o "$out/report.html" --quiet
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1400 \
    --screenshot="$out/report.png" "file://$out/report.html" 2>/dev/null
chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$out/report.html" 2>/dev/null > "$out/dom.html"
rows=$(grep -c '<tr' "$out/dom.html")
grep -q '<svg' "$out/dom.html"
grep -q '<audio' "$out/dom.html"
[ "$rows" -eq 14 ] || { echo "expected 14 table rows (header + 13 files), found $rows"; exit 1; }
# Distinct byte values in the decompressed pixel data: a blank page has one or two.
colours=$(python3 - "$out/report.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + length]
    pos += 12 + length
print(len(set(zlib.decompress(idat))))
PY
)
[ "$colours" -gt 20 ] || { echo "screenshot looks blank"; exit 1; }
echo "rendered: $out/report.png ($rows table rows)"
