// Thin shim: exposes the system header of samplerate to Swift unchanged.
#include <samplerate.h>
