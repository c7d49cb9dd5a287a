// FADNN: A small CNN inference core over OpenBLAS: tensors, im2col + SGEMM convolution, pooling, dense layers, safetensors weights.
