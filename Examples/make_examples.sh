#!/usr/bin/env bash
# Rebuilds the bundled example sets from Battle for Wesnoth's soundtrack (Debian package
# wesnoth-1.16-music, GPL-2+). Needs sox with Vorbis support (Debian: sox libsox-fmt-all).
#   reference/           10 s excerpts at 0:30 of twelve tracks
#   generated-close/     10 s excerpts at 1:30 of the same tracks: same style, different music
#   generated-degraded/  the generated-close excerpts low-passed at 1 kHz with white noise added
#                        at about 10 dB SNR: what a poor generator sounds like
set -euo pipefail
cd "$(dirname "$0")"
music=/usr/share/games/wesnoth/1.16/data/core/music
tracks=(battle breaking_the_chains elvish-theme frantic heroes_rite into_the_shadows
        journeys_end knolls loyalists northerners the_city_falls wanderer)
rm -rf reference generated-close generated-degraded
mkdir -p reference generated-close generated-degraded
for t in "${tracks[@]}"; do
    sox "$music/$t.ogg" -C 0 -r 22050 -c 1 "reference/$t.ogg" trim 30 10 fade 0.05 10 0.05
    sox "$music/$t.ogg" -C 0 -r 22050 -c 1 "generated-close/$t.ogg" trim 90 10 fade 0.05 10 0.05
    # Noise 10 dB below the excerpt's RMS level, then a 1 kHz low-pass.
    rms=$(sox "generated-close/$t.ogg" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
    sox -n -r 22050 -c 1 /tmp/fad-noise.wav synth 10 whitenoise vol "$(python3 -c "print($rms * 10 ** (-10 / 20) * 1.7320508)")"
    sox -m "generated-close/$t.ogg" /tmp/fad-noise.wav -C 0 "generated-degraded/$t.ogg" lowpass 1000 norm -3
done
rm -f /tmp/fad-noise.wav
