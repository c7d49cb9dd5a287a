"""The study that chose fad's default FAD embedding (model, layer, window hop).

For each candidate embedding it measures, with the `fad` command itself:
1. Monotonicity: FAD of a same-style evaluation set against the reference as the evaluation set
   is degraded step by step (white noise at falling SNR, low-pass at falling cutoff, MP3 at
   falling bitrate). A trustworthy embedding's FAD grows at every step.
2. Separation: FAD of a different-genre set against the same reference, relative to the clean
   same-style set (higher is better).
3. Per-song outlier recall: 20 clean same-style files plus 5 injected outliers (2 other-genre
   tracks, low-pass 1 kHz, MP3 8 kbps, noise at 10 dB SNR); how many of the 5 land among the 5
   worst per-song FADs.

Data (Debian packages, not committed): Battle for Wesnoth's soundtrack (wesnoth-1.16-music,
GPL-2+) as the same-style music; Warzone 2100 (warzone2100-music, GPL-2+) and Singularity
(singularity-music, CC-BY-SA-3.0) as the other genre. Needs ffmpeg, sox and lame.

Run: python3 Examples/study/default_embedding.py [--fad .build/release/fad] [--work /tmp/fad-study]
Prints a Markdown table (the README quotes it).
"""
import argparse
import glob
import json
import os
import subprocess
import sys

WESNOTH = "/usr/share/games/wesnoth/1.16/data/core/music"
OTHER = sorted(glob.glob("/usr/share/games/warzone2100/music/albums/*/*.opus"))[:12] + \
    sorted(glob.glob("/usr/share/games/singularity/music/*.ogg"))[:12]
REF_TRACKS = ["battle", "breaking_the_chains", "elvish-theme", "frantic", "heroes_rite", "into_the_shadows",
              "journeys_end", "knolls", "loyalists", "northerners", "the_city_falls", "wanderer",
              "casualties_of_war", "the_dangerous_symphony", "vengeful", "suspense", "siege_of_laurelmor",
              "weight_of_revenge", "return_to_wesnoth", "nunc_dimittis"]
NOISE_SNR = [30, 20, 10, 0]
LOWPASS = [6000, 3000, 1500, 750]
MP3_KBPS = [64, 32, 16, 8]
CANDIDATES = [(m, l, None) for m in ["msd-musicnn", "mtt-musicnn"] for l in ["max_pool", "mean_pool", "penultimate", "logits"]]


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def excerpt(src, dst, start, seconds=10):
    # ffmpeg rather than sox: Debian's sox cannot read Opus.
    sh("ffmpeg", "-v", "error", "-y", "-ss", str(start), "-t", str(seconds), "-i", src, "-ar", "44100", "-ac", "2", "-sample_fmt", "s16", dst)


def noise(src, dst, snr):
    rms = float(subprocess.run(["sox", src, "-n", "stat"], capture_output=True, text=True).stderr.split("RMS     amplitude:")[1].split()[0])
    sh("sox", "-n", "-r", "44100", "-c", "2", "-b", "16", dst + ".noise.wav", "synth", "10", "whitenoise", "vol", str(rms * 10 ** (-snr / 20) * 3 ** 0.5))
    sh("sox", "-m", src, dst + ".noise.wav", dst)
    os.remove(dst + ".noise.wav")


def lowpass(src, dst, hz):
    sh("sox", src, dst, "lowpass", str(hz), "lowpass", str(hz))


def mp3(src, dst, kbps):
    sh("lame", "--silent", "-b", str(kbps), src, dst + ".mp3")
    sh("sox", dst + ".mp3", "-r", "44100", "-c", "2", "-b", "16", dst)
    os.remove(dst + ".mp3")


def build(work):
    if os.path.exists(os.path.join(work, "done")):
        return
    sets = ["reference", "clean", "genre", "songs"] + [f"noise{s}" for s in NOISE_SNR] + [f"lowpass{h}" for h in LOWPASS] + [f"mp3_{k}" for k in MP3_KBPS]
    for s in sets:
        os.makedirs(os.path.join(work, s), exist_ok=True)
    for t in REF_TRACKS:
        src = f"{WESNOTH}/{t}.ogg"
        for start in (30, 60):
            excerpt(src, f"{work}/reference/{t}_{start}.wav", start)
        for start in (90, 120):
            clean = f"{work}/clean/{t}_{start}.wav"
            excerpt(src, clean, start)
            for snr in NOISE_SNR:
                noise(clean, f"{work}/noise{snr}/{t}_{start}.wav", snr)
            for hz in LOWPASS:
                lowpass(clean, f"{work}/lowpass{hz}/{t}_{start}.wav", hz)
            for k in MP3_KBPS:
                mp3(clean, f"{work}/mp3_{k}/{t}_{start}.wav", k)
    for i, src in enumerate(OTHER):
        for start in (30, 60):
            excerpt(src, f"{work}/genre/other{i:02d}_{start}.wav", start)
    # Per-song set: 20 clean files plus 5 outliers.
    for t in REF_TRACKS:
        os.link(f"{work}/clean/{t}_90.wav", f"{work}/songs/{t}_90.wav")
    os.link(f"{work}/genre/other00_30.wav", f"{work}/songs/outlier_genre_a.wav")
    os.link(f"{work}/genre/other13_30.wav", f"{work}/songs/outlier_genre_b.wav")
    lowpass(f"{work}/clean/{REF_TRACKS[0]}_120.wav", f"{work}/songs/outlier_lowpass1k.wav", 1000)
    mp3(f"{work}/clean/{REF_TRACKS[1]}_120.wav", f"{work}/songs/outlier_mp3_8k.wav", 8)
    noise(f"{work}/clean/{REF_TRACKS[2]}_120.wav", f"{work}/songs/outlier_noise10.wav", 10)
    open(os.path.join(work, "done"), "w").write("ok")


def fad_json(fad, work, args):
    out = subprocess.run([fad] + args + ["--json", "--quiet", "--cache-dir", os.path.join(work, "cache")],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fad", default=".build/release/fad")
    p.add_argument("--work", default="/tmp/fad-study")
    p.add_argument("--candidates", default=None, help="model:layer[:hop],... (default: all)")
    a = p.parse_args()
    build(a.work)
    cands = CANDIDATES
    if a.candidates:
        cands = [tuple(c.split(":") + [None] * (3 - len(c.split(":"))))[:3] for c in a.candidates.split(",")]
    ladders = {"noise": [f"noise{s}" for s in NOISE_SNR], "lowpass": [f"lowpass{h}" for h in LOWPASS], "mp3": [f"mp3_{k}" for k in MP3_KBPS]}
    rows = []
    for model, layer, hop in cands:
        extra = ["--model", model, "--layer", layer] + (["--hop", str(hop)] if hop else [])
        sets = ["clean", "genre"] + [s for l in ladders.values() for s in l]
        r = fad_json(a.fad, a.work, [f"{a.work}/reference"] + [f"{a.work}/{s}" for s in sets] + ["--metrics", "fad"] + extra)
        fad = {os.path.basename(s["set"]["path"]): s["fad"]["value"] for s in r["sets"]}
        mono = {k: all(x < y for x, y in zip([fad["clean"]] + [fad[s] for s in v], [fad[s] for s in v])) for k, v in ladders.items()}
        subprocess.run([a.fad, "per-song", f"{a.work}/reference", f"{a.work}/songs", "--csv", f"{a.work}/persong.csv", "--quiet",
                        "--cache-dir", os.path.join(a.work, "cache")] + extra, check=True)
        worst = [line.split(",")[0] for line in open(f"{a.work}/persong.csv").read().splitlines()[1:6]]
        recall = sum("outlier_" in os.path.basename(w) for w in worst)
        rows.append((model, layer, hop or "187", fad, mono, recall))
        print(f"{model} {layer}: clean {fad['clean']:.3g} genre {fad['genre']:.3g} mono {mono} recall {recall}/5", file=sys.stderr)
    print("| model | layer | hop | clean | genre / clean | noise 30→0 dB | low-pass 6k→750 Hz | MP3 64→8 kbps | monotonic | outliers in worst 5 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model, layer, hop, fad, mono, recall in rows:
        lad = lambda k: " → ".join(f"{fad[s]:.3g}" for s in ladders[k])
        print(f"| {model} | {layer} | {hop} | {fad['clean']:.3g} | {fad['genre'] / fad['clean']:.1f}x | {lad('noise')} | {lad('lowpass')} | {lad('mp3')} | "
              f"{'all' if all(mono.values()) else ', '.join(k for k, v in mono.items() if not v) + ' not'} | {recall}/5 |")


if __name__ == "__main__":
    main()
