#!/bin/sh
# Writes the tiny real-audio decoding fixtures under Tests/Fixtures/audio/ (see README.md there).
# Source: Wesnoth "Heroes' Rite" (wesnoth-1.16-music, GPL-2+), 0.6 s cut from 30 s in.
# Needs sox, ffmpeg, lame, opusenc. Then run audio_expectations.py (needs /tmp/ref's soundfile).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/audio"
src=/usr/share/games/wesnoth/1.16/data/core/music/heroes_rite.ogg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# One 0.6 s stereo float master at 44.1 kHz; every fixture is derived from it.
sox "$src" -b 32 -e floating-point "$tmp/master.wav" trim 30 0.6

sox "$tmp/master.wav" -b 16 -e signed-integer -r 8000 -c 1 "$out/wav_s16_mono_8k.wav" rate -v
sox "$tmp/master.wav" -b 24 -e signed-integer "$out/wav_s24_stereo_44k.wav"
sox "$tmp/master.wav" -b 32 -e signed-integer -r 48000 -c 1 "$out/wav_s32_mono_48k.wav" rate -v
sox "$tmp/master.wav" -b 32 -e floating-point -r 22050 "$out/wav_f32_stereo_22k.wav" rate -v
sox "$tmp/master.wav" -b 16 "$out/flac_s16_stereo_44k.flac"
# 5.1 (FL FR FC LFE BL BR): distinct mixes of the stereo master so that a wrong downmix shows.
sox "$tmp/master.wav" -b 16 -r 48000 "$out/flac_s16_6ch_48k.flac" \
    remix 1 2 1v0.5,2v0.5 1v0.25,2v0.25 1v0.7 2v0.7 rate -v
sox "$tmp/master.wav" -b 16 -e signed-integer -r 96000 -c 1 "$out/aiff_s16_mono_96k.aiff" rate -v
sox "$tmp/master.wav" -C 3 "$out/vorbis_stereo_44k.ogg"
sox "$tmp/master.wav" -b 16 -e signed-integer "$tmp/master16.wav"
lame --quiet -b 128 "$tmp/master16.wav" "$out/mp3_stereo_44k.mp3"
opusenc --quiet --bitrate 64 "$tmp/master16.wav" "$out/opus_stereo_48k.opus"
ls -l "$out"
