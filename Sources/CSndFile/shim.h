// Thin shim: exposes the system header of sndfile to Swift unchanged.
#include <sndfile.h>
