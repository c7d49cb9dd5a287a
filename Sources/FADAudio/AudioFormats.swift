/// The file types `fad` treats as audio when it scans a directory.
public enum AudioFormats {
    /// Lower-case extensions (no dot) of the containers libsndfile 1.2 reads: WAV and its
    /// relatives, AIFF, FLAC, Ogg (Vorbis, Opus, FLAC), MP3, AU, CAF and friends.
    /// Decoding does not depend on the extension (libsndfile sniffs the header); this set only
    /// decides which files a directory scan picks up.
    public static let fileExtensions: Set<String> = [
        "wav", "wave", "bwf", "rf64", "w64",
        "aiff", "aif", "aifc",
        "flac",
        "ogg", "oga", "opus",
        "mp3", "mp2", "mpga",
        "au", "snd", "caf", "voc", "sf", "ircam", "paf", "svx", "nist", "sph", "wve", "xi", "htk",
        "avr", "mat", "mat4", "mat5", "pvf", "sd2",
    ]

    /// Whether a file name has one of `fileExtensions` (case-insensitive).
    public static func isAudioFileName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return fileExtensions.contains(name[name.index(after: dot)...].lowercased())
    }
}
