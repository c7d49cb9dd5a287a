// The resampler's inner product with 256-bit vectors. Swift's SIMD8<Float> compiles to pairs
// of 128-bit SSE operations on baseline x86-64 (SwiftPM packages cannot pass -mavx2 without
// unsafeFlags), which doubles the instructions of the hottest front-end loop; this file
// compiles one function for AVX2 through a target attribute and picks it at run time.
//
// Bits: every output is the same sequence of IEEE multiplies and adds as the Swift `dot`
// (lane l of accumulator s0 sums taps 16i + l, of s1 taps 16i + 8 + l), so AVX2 and SSE give
// identical results. FP contraction is off so the compiler cannot fuse them into FMAs.
#include "CPolyphaseKernel.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int CPolyphaseKernel_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
}

__attribute__((target("avx2"))) static inline float reduce(__m256 s0, __m256 s1) {
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_add_ps(s0, s1));
    float sum = -0.0f;  // as Swift's SIMD.sum(): -0 + lane 0 + lane 1 + ...
    for (int l = 0; l < 8; l++) sum += lanes[l];
    return sum;
}

#define MAC(acc, a, p) acc = _mm256_add_ps(acc, _mm256_mul_ps(a, _mm256_loadu_ps(p)))

__attribute__((target("avx2")))
void CPolyphaseKernel_run(const float *coefficients, ptrdiff_t taps, const float *x, ptrdiff_t xStep,
                          ptrdiff_t count, float *y, ptrdiff_t yStride) {
    ptrdiff_t j = 0;
    // Four outputs at once: each coefficient load serves four products, and eight independent
    // accumulators hide the adds' latency.
    for (; j + 4 <= count; j += 4) {
        const float *b0 = x + j * xStep, *b1 = b0 + xStep, *b2 = b1 + xStep, *b3 = b2 + xStep;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
        ptrdiff_t i = 0;
        for (; i + 16 <= taps; i += 16) {
            __m256 a0 = _mm256_loadu_ps(coefficients + i), a1 = _mm256_loadu_ps(coefficients + i + 8);
            MAC(s0, a0, b0 + i); MAC(s1, a1, b0 + i + 8);
            MAC(t0, a0, b1 + i); MAC(t1, a1, b1 + i + 8);
            MAC(u0, a0, b2 + i); MAC(u1, a1, b2 + i + 8);
            MAC(v0, a0, b3 + i); MAC(v1, a1, b3 + i + 8);
        }
        if (i < taps) {
            __m256 a0 = _mm256_loadu_ps(coefficients + i);
            MAC(s0, a0, b0 + i); MAC(t0, a0, b1 + i); MAC(u0, a0, b2 + i); MAC(v0, a0, b3 + i);
        }
        y[j * yStride] = reduce(s0, s1);
        y[(j + 1) * yStride] = reduce(t0, t1);
        y[(j + 2) * yStride] = reduce(u0, u1);
        y[(j + 3) * yStride] = reduce(v0, v1);
    }
    for (; j < count; j++) {
        const float *b0 = x + j * xStep;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0;
        ptrdiff_t i = 0;
        for (; i + 16 <= taps; i += 16) {
            MAC(s0, _mm256_loadu_ps(coefficients + i), b0 + i);
            MAC(s1, _mm256_loadu_ps(coefficients + i + 8), b0 + i + 8);
        }
        if (i < taps) MAC(s0, _mm256_loadu_ps(coefficients + i), b0 + i);
        y[j * yStride] = reduce(s0, s1);
    }
}

#else

int CPolyphaseKernel_available(void) { return 0; }

void CPolyphaseKernel_run(const float *coefficients, ptrdiff_t taps, const float *x, ptrdiff_t xStep,
                          ptrdiff_t count, float *y, ptrdiff_t yStride) {
    (void)coefficients; (void)taps; (void)x; (void)xStep; (void)count; (void)y; (void)yStride;
    __builtin_trap();  // never called: CPolyphaseKernel_available() is 0 here
}

#endif
