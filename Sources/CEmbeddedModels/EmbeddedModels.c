// The shipped musicnn weights and labels (Models/musicnn) and the AudioSet class names that the
// imported PANNs models use (Models/audioset/labels.txt), compiled into every binary that links
// FADModels, so that the default models run from a `fad` copied anywhere, with nothing beside it.
//
// C23 `#embed` rather than an assembler `.incbin`: its quoted path resolves against this file's
// folder (so it builds from any working directory and as a package dependency, with no search
// path), clang records the embedded files in the dependency file (so a changed weights file
// rebuilds this object; `.incbin` is invisible to `-MD` and would leave a stale binary), and it
// needs no per-platform section syntax. clang implements it as a byte copy, not a token list:
// the ~11 MB compile in about a second.
#include "CEmbeddedModels.h"

#if !defined(__has_embed)
#error "fad compiles its default model weights in with C23 #embed: build with a Swift toolchain whose clang is 19 or newer (Swift 6.1+)"
#endif

#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char msd_musicnn[] = {
#embed "../../Models/musicnn/MSD_musicnn.safetensors"
};
static const unsigned char msd_musicnn_labels[] = {
#embed "../../Models/musicnn/MSD_musicnn.labels.txt"
};
static const unsigned char mtt_musicnn[] = {
#embed "../../Models/musicnn/MTT_musicnn.safetensors"
};
static const unsigned char mtt_musicnn_labels[] = {
#embed "../../Models/musicnn/MTT_musicnn.labels.txt"
};
static const unsigned char msd_vgg[] = {
#embed "../../Models/musicnn/MSD_vgg.safetensors"
};
static const unsigned char msd_vgg_labels[] = {
#embed "../../Models/musicnn/MSD_vgg.labels.txt"
};
static const unsigned char mtt_vgg[] = {
#embed "../../Models/musicnn/MTT_vgg.safetensors"
};
static const unsigned char mtt_vgg_labels[] = {
#embed "../../Models/musicnn/MTT_vgg.labels.txt"
};
static const unsigned char audioset_labels[] = {
#embed "../../Models/audioset/labels.txt"
};
// The weights' licence (ISC) asks for its notice in every copy; the binary is one.
static const unsigned char musicnn_license[] = {
#embed "../../Models/musicnn/LICENSE"
};

#define FILE_ENTRY(name, array) { name, array, sizeof array }

static const CEmbeddedModels_File files[] = {
    FILE_ENTRY("musicnn/MSD_musicnn.safetensors", msd_musicnn),
    FILE_ENTRY("musicnn/MSD_musicnn.labels.txt", msd_musicnn_labels),
    FILE_ENTRY("musicnn/MTT_musicnn.safetensors", mtt_musicnn),
    FILE_ENTRY("musicnn/MTT_musicnn.labels.txt", mtt_musicnn_labels),
    FILE_ENTRY("musicnn/MSD_vgg.safetensors", msd_vgg),
    FILE_ENTRY("musicnn/MSD_vgg.labels.txt", msd_vgg_labels),
    FILE_ENTRY("musicnn/MTT_vgg.safetensors", mtt_vgg),
    FILE_ENTRY("musicnn/MTT_vgg.labels.txt", mtt_vgg_labels),
    FILE_ENTRY("musicnn/LICENSE", musicnn_license),
    FILE_ENTRY("audioset/labels.txt", audioset_labels),
};

size_t CEmbeddedModels_count(void) {
    return sizeof files / sizeof files[0];
}

const CEmbeddedModels_File *CEmbeddedModels_file(size_t index) {
    return index < CEmbeddedModels_count() ? &files[index] : NULL;
}
