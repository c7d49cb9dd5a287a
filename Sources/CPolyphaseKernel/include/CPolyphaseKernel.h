#ifndef CPOLYPHASEKERNEL_H
#define CPOLYPHASEKERNEL_H

#include <stddef.h>

/// Whether `CPolyphaseKernel_run` may be called: an x86-64 CPU with AVX2 (checked at run time,
/// since release builds target baseline x86-64 and take no -m flags).
int CPolyphaseKernel_available(void);

/// `count` outputs of one polyphase phase: `y[j * yStride] = dot(coefficients, x + j * xStep)`
/// over `taps` coefficients (a multiple of 8), each summed exactly as FADAudio's
/// `PolyphaseResampler.dot` sums it: two 8-lane accumulators over alternate blocks of 8 taps
/// (a last block of 8 into the first), added lane by lane, then the lanes in order from -0.
/// Separate multiplies and adds (no FMA), so the bits do not depend on the instruction set.
/// Only after `CPolyphaseKernel_available()` returned non-zero.
void CPolyphaseKernel_run(const float *coefficients, ptrdiff_t taps, const float *x, ptrdiff_t xStep,
                          ptrdiff_t count, float *y, ptrdiff_t yStride);

#endif
