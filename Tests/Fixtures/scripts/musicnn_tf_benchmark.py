"""TensorFlow side of `fad-bench models`: musicnn's own graph code on the same log-mel input,
and (optionally) the musicnn package's extractor end to end. Prints one JSON object.

    TF_USE_LEGACY_KERAS=1 /tmp/ref/bin/python Tests/Fixtures/scripts/musicnn_tf_benchmark.py \
        --input LOGMEL.npy --windows 32 --repeats 5 --threads 1,2 [--extractor-file AUDIO]

Graph path ("TF at its best"): define_model built once per model and thread setting, checkpoint
restored once, windows fed in batches of --batch; the median over --repeats of the time to run
all windows. Extractor path: musicnn.extractor.extractor(file, model) as a user calls it
(rebuilds the graph, restores, librosa load + resample + front end, batch size 1), median of
--extractor-repeats. numpy float32 2048^3 matmul GFLOP/s (its OpenBLAS, default threads) is
reported as the machine's SGEMM anchor.
"""
import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np

N_FRAMES = 187


def sgemm_gflops(repeats=5):
    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    b = a.copy()
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * 2048 ** 3 / statistics.median(times) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--windows", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--models", default="MSD_musicnn,MTT_musicnn,MSD_vgg,MTT_vgg")
    parser.add_argument("--extractor-file")
    parser.add_argument("--extractor-repeats", type=int, default=3)
    parser.add_argument("--extractor-models", default="MSD_musicnn")
    args = parser.parse_args()

    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    import musicnn
    from musicnn import models

    log_mel = np.load(args.input).astype(np.float32)
    starts = [i * N_FRAMES for i in range(args.windows)]
    assert starts[-1] + N_FRAMES <= log_mel.shape[0], "input too short for --windows"
    batch = np.stack([log_mel[s:s + N_FRAMES] for s in starts])
    result = {"numpy_sgemm_2048_gflops": sgemm_gflops(), "graph": {}, "graph_cpu": {}, "extractor": {}}
    for model in args.models.split(","):
        result["graph"][model] = {}
        result["graph_cpu"][model] = {}
        for threads in [int(t) for t in args.threads.split(",")]:
            graph = tf.Graph()
            with graph.as_default():
                x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, 96])
                is_training = tf.compat.v1.placeholder(tf.bool)
                with tf.name_scope("model"):
                    out = models.define_model(x, is_training, model, 50)
                probabilities = tf.nn.sigmoid(out[0])
                fetch = [probabilities] + ([out[7], out[8]] if "musicnn" in model else [out[5]])
                saver = tf.compat.v1.train.Saver()
            config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)
            with tf.compat.v1.Session(graph=graph, config=config) as sess:
                saver.restore(sess, os.path.join(os.path.dirname(musicnn.__file__), model) + "/")
                def run():
                    for i in range(0, len(batch), args.batch):
                        sess.run(fetch, feed_dict={x: batch[i:i + args.batch], is_training: False})
                run()  # warm-up
                times = []
                cpu_start = time.process_time()
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - start)
                cpu = time.process_time() - cpu_start
            result["graph"][model][str(threads)] = len(batch) / statistics.median(times)
            # Windows per CPU-second of the process (all threads): robust to other processes' load.
            result["graph_cpu"][model][str(threads)] = len(batch) * args.repeats / cpu
            print(model, threads, result["graph"][model][str(threads)], file=sys.stderr)
    if args.extractor_file:
        from musicnn.extractor import extractor
        import librosa
        duration = librosa.get_duration(path=args.extractor_file)
        for model in args.extractor_models.split(","):
            times = []
            for _ in range(args.extractor_repeats):
                start = time.perf_counter()
                extractor(args.extractor_file, model=model, extract_features=True)
                times.append(time.perf_counter() - start)
            result["extractor"][model] = {"audio_seconds": duration, "seconds": statistics.median(times),
                                          "audio_seconds_per_second": duration / statistics.median(times)}
            print(model, "extractor", result["extractor"][model], file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
