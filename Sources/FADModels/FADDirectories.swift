import Foundation

/// Where fad keeps files between runs, after the XDG Base Directory specification, read from the
/// environment so that shared clusters, CI and tests can redirect them.
///
/// The home folder is `$HOME` when it is set to an absolute path, else the account's home from the
/// user database; an `XDG_*` variable that is unset, empty or relative is ignored, as the
/// specification says.
public enum FADDirectories {
    /// Where `fad models import` writes and where imported models are found first:
    /// `$FAD_MODEL_DIR`, else `$XDG_DATA_HOME/fad/models`, else `$HOME/.local/share/fad/models`.
    public static func models(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["FAD_MODEL_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return userModels(environment: environment)
    }

    /// `$XDG_DATA_HOME/fad/models`, else `$HOME/.local/share/fad/models` (`$FAD_MODEL_DIR` aside).
    public static func userModels(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        base("XDG_DATA_HOME", default: ".local/share", environment: environment)
            .appendingPathComponent("fad/models", isDirectory: true)
    }

    /// The embedding cache: `$FAD_CACHE_DIR`, else `$XDG_CACHE_HOME/fad`, else `$HOME/.cache/fad`.
    public static func cache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["FAD_CACHE_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return base("XDG_CACHE_HOME", default: ".cache", environment: environment)
            .appendingPathComponent("fad", isDirectory: true)
    }

    /// `$HOME` if absolute, else the user database's home (`FileManager` reads the passwd entry,
    /// which is what issue 11 found ignoring a redirected `$HOME`).
    public static func home(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let home = environment["HOME"], home.hasPrefix("/") { return URL(fileURLWithPath: home, isDirectory: true) }
        return FileManager.default.homeDirectoryForCurrentUser
    }

    private static func base(_ variable: String, default relative: String, environment: [String: String]) -> URL {
        if let dir = environment[variable], dir.hasPrefix("/") { return URL(fileURLWithPath: dir, isDirectory: true) }
        return home(environment: environment).appendingPathComponent(relative, isDirectory: true)
    }
}
