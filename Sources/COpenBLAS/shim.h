// Thin shim: exposes the system header of openblas to Swift unchanged.
#include <cblas.h>
