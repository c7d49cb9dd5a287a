#ifndef CEMBEDDEDMODELS_H
#define CEMBEDDEDMODELS_H

#include <stddef.h>

/// One file of the repository's Models/ folder, compiled into the binary.
typedef struct {
    /// Its path relative to Models/, e.g. "musicnn/MSD_musicnn.safetensors".
    const char *name;
    /// Its bytes, in the binary's read-only data: valid for the life of the process.
    const unsigned char *bytes;
    size_t size;
} CEmbeddedModels_File;

/// How many files are embedded.
size_t CEmbeddedModels_count(void);

/// The embedded file at `index` (0 ..< count), or NULL past the end.
const CEmbeddedModels_File *CEmbeddedModels_file(size_t index);

#endif
