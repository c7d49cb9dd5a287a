import FADNN
import FADTorch

/// The error of FADModels: a model that cannot be found, loaded or run, naming the file (or model)
/// and the reason.
public struct ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable, Equatable {
        case unknownModel, unknownLayer, weightsNotFound, invalidWeights, invalidInput
        /// A checkpoint given to import cannot be read or is not what it should be.
        case invalidCheckpoint
        /// Imported weights cannot be written.
        case writeFailed
    }

    public var path: String
    public var kind: Kind
    public var reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path; self.kind = kind; self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    /// A weights-file error from FADNN, re-labelled.
    init(_ error: NNError) {
        self.init(path: error.path, kind: error.kind == .writeFailed ? .writeFailed : .invalidWeights, reason: error.reason)
    }

    /// A checkpoint-reading error from FADTorch: the one place its kinds map onto fad's.
    init(_ error: TorchError) {
        self.init(path: error.path, kind: error.kind == .unreadable ? .weightsNotFound : .invalidWeights, reason: error.reason)
    }
}
