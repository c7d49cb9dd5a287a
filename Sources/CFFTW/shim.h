// Thin shim: exposes the system header of fftw3f to Swift unchanged.
#include <fftw3.h>
