import Foundation

/// Analysis windows.
public enum WindowFunction: String, Codable, Hashable, Sendable {
    /// Periodic ("DFT-even") Hann, `0.5 - 0.5 cos(2 pi n / N)`, n = 0..<N: scipy's
    /// `get_window('hann', N, fftbins=True)` (librosa, torchlibrosa) and VGGish's `periodic_hann`.
    case hannPeriodic
    /// Symmetric Hann, `0.5 - 0.5 cos(2 pi n / (N - 1))`.
    case hannSymmetric
    /// No window.
    case rectangular

    /// The window's `length` coefficients, computed in Double.
    public func coefficients(length: Int) -> [Double] {
        switch self {
        case .rectangular:
            return [Double](repeating: 1, count: length)
        case .hannPeriodic:
            return (0 ..< length).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(length)) }
        case .hannSymmetric:
            guard length > 1 else { return [Double](repeating: 1, count: length) }
            return (0 ..< length).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(length - 1)) }
        }
    }
}
