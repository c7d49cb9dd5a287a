// FADFeatures: Signal front ends: framing, windows, STFT (FFTW), mel filterbanks, log-mel configurations for each model.
