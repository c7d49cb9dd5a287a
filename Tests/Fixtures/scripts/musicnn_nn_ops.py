"""TensorFlow reference outputs of the FADNN primitives (convolution padding/stride semantics,
pooling), written to Tests/Fixtures/nn/ops.npz-like .npy files.

    /tmp/ref/bin/python Tests/Fixtures/scripts/musicnn_nn_ops.py
"""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(__file__), "..", "nn")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
x = rng.standard_normal((2, 9, 8, 3)).astype(np.float32)
np.save(os.path.join(OUT, "x.npy"), x.reshape(2, -1))

# name: (kernel HWIO shape, strides, padding)
cases = {
    "same_even": ((4, 3, 3, 5), (1, 1), "SAME"),
    "same_stride": ((3, 2, 3, 5), (2, 3), "SAME"),
    "valid_stride": ((3, 3, 3, 5), (2, 2), "VALID"),
    "explicit": ((3, 3, 3, 5), (1, 2), [[0, 0], [1, 2], [0, 1], [0, 0]]),
    "pointwise": ((1, 1, 3, 5), (1, 1), "VALID"),
    "tall_same": ((8, 1, 3, 5), (1, 1), "SAME"),
}
for name, (shape, strides, padding) in cases.items():
    k = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape[3]).astype(np.float32)
    y = tf.nn.conv2d(x, k, strides=[1, strides[0], strides[1], 1], padding=padding).numpy() + b
    np.save(os.path.join(OUT, "conv_%s.kernel.npy" % name), k.reshape(-1, shape[3]))
    np.save(os.path.join(OUT, "conv_%s.bias.npy" % name), b)
    np.save(os.path.join(OUT, "conv_%s.out.npy" % name), y.reshape(2, -1))
    np.save(os.path.join(OUT, "conv_%s.shape.npy" % name), np.array(y.shape, dtype=np.float64))

y = tf.nn.max_pool2d(x, ksize=[4, 1], strides=[2, 2], padding="VALID").numpy()
np.save(os.path.join(OUT, "maxpool_4x1_s2.npy"), y.reshape(2, -1))
np.save(os.path.join(OUT, "maxpool_4x1_s2.shape.npy"), np.array(y.shape, dtype=np.float64))
y = tf.nn.avg_pool2d(x, ksize=[2, 2], strides=[2, 2], padding="VALID").numpy()
np.save(os.path.join(OUT, "avgpool_2x2.npy"), y.reshape(2, -1))
np.save(os.path.join(OUT, "avgpool_2x2.shape.npy"), np.array(y.shape, dtype=np.float64))
print("ok")
