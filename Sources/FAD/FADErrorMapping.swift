import Foundation

extension FADError {
    /// The choke point of fad's error model: any error of any module, as a ``FADError`` whose
    /// kind says what the caller did or met. 74 (io) for every failure to write, 66 (input) for
    /// an input that cannot be read or is corrupt, 69 (unavailable) for missing weights, 64
    /// (usage) for bad requests, 65 (data) for the rest.
    public init(_ error: any Error) {
        switch error {
        case let e as FADError:
            self = e
        case let e as PipelineError:
            let kind: Kind
            switch e {
            case .inputMissing, .inputUnreadable: kind = .input
            case .cacheUnwritable: kind = .io
            case .invalidShard, .emptyShard: kind = .usage
            default: kind = .data
            }
            self.init(kind, "\(e)")
        case let e as FileFailure:
            self.init(.input, "\(e)")
        case let e as ModelError:
            let kind: Kind
            switch e.kind {
            case .unknownModel, .unknownLayer: kind = .usage
            case .invalidInput: kind = .data
            case .invalidCheckpoint: kind = .input
            case .writeFailed: kind = .io
            case .weightsNotFound, .invalidWeights: kind = .unavailable
            }
            self.init(kind, "\(e)")
        case let e as StatisticsError:
            let kind: Kind
            switch e.kind {
            case .unreadable: kind = .input
            case .writeFailed: kind = .io
            case .invalid: kind = .data
            }
            self.init(kind, "\(e)")
        case let e as MetricsError:
            self.init(.data, e.message)
        case let e as NPYError:
            self.init(e.isWriteFailure ? .io : .input, "\(e)")
        case let e as NNError:
            self.init(e.kind == .writeFailed ? .io : .unavailable, "\(e)")
        case let e as RegularFile.Failure:
            self.init(.input, "\(e)")
        case let e as AudioFileError:
            self.init(.input, "\(e)")
        case let e as FeatureError:
            self.init(.data, "\(e)")
        case let e as CocoaError:
            // Foundation's file errors: 256..<512 reading, 512..<1024 writing (NSFileWrite*);
            // they describe themselves as dictionaries, so the message is built here.
            let writing = (512..<1024).contains(e.code.rawValue)
            let reading = (256..<512).contains(e.code.rawValue)
            let path = (e.userInfo[NSFilePathErrorKey] as? String) ?? e.url?.path ?? "<file>"
            var reason = e.localizedDescription
            if let underlying = e.userInfo[NSUnderlyingErrorKey] as? any Error {
                let ns = underlying as NSError
                if ns.domain == NSPOSIXErrorDomain { reason = String(cString: strerror(Int32(ns.code))) }
            }
            self.init(writing ? .io : reading ? .input : .data, "\(path): \(writing ? "cannot write" : "cannot read") (\(reason))")
        default:
            self.init(.data, String(describing: error))
        }
    }
}

extension MetricsError {
    /// The reason alone, without the "<metrics>: " subject that metrics over whole sets carry.
    public var message: String {
        let text = description
        return text.hasPrefix("<metrics>: ") ? String(text.dropFirst("<metrics>: ".count)) : text
    }
}
