// FADAudio: Audio input: decoding with libsndfile, downmixing, resampling with libsamplerate.
