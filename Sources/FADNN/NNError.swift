/// The error of FADNN: a weights file that cannot be used, with the file and the reason.
public struct NNError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong; each malformed-file case has its own kind so callers and tests can tell them apart.
    public enum Kind: String, Sendable, Equatable {
        case unreadable          // the file cannot be opened or mapped
        case truncated           // shorter than its 8-byte header length + header
        case headerTooLarge      // header length beyond the sane bound or the file size
        case invalidHeader       // header is not a JSON object of well-formed entries
        case unsupportedDType    // dtype other than F64, F32, F16, BF16
        case sizeMismatch        // shape x dtype size != byte range
        case offsetOutOfRange    // byte range outside the data section
        case overlappingRanges   // two tensors share bytes
        case missingTensor       // a tensor the model needs is absent
        case shapeMismatch       // a tensor has another shape than the model needs
        case writeFailed
    }

    /// The file; for a layer built from tensors (`Conv1D`, `LSTM`...), the offending tensor's name.
    public var path: String
    public var kind: Kind
    public var reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path; self.kind = kind; self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
