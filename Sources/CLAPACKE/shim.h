// Thin shim: exposes the system header of lapacke to Swift unchanged.
#include <lapacke.h>
