import Foundation
import CEmbeddedModels

/// The files of the repository's Models/ folder that are compiled into fad (the C target
/// `CEmbeddedModels`), by their path relative to Models/.
enum EmbeddedModelFiles {
    /// Every embedded file, by relative path.
    static let names: [String] = (0..<CEmbeddedModels_count()).compactMap { index in
        CEmbeddedModels_file(index).map { String(cString: $0.pointee.name) }
    }

    /// The bytes of an embedded file, in place: the `Data` wraps the binary's read-only data (no
    /// copy; it outlives every reader, being part of the process image), so the safetensors reader
    /// parses the weights where they lie, as it does a memory-mapped file.
    static func data(_ name: String) -> Data? {
        for index in 0..<CEmbeddedModels_count() {
            guard let file = CEmbeddedModels_file(index)?.pointee, String(cString: file.name) == name else { continue }
            return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: file.bytes), count: file.size, deallocator: .none)
        }
        return nil
    }
}
