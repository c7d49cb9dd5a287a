import CPolyphaseKernel
import Foundation

/// A rational-ratio polyphase FIR resampler: a Kaiser-windowed sinc, evaluated only at the
/// output instants, in Float with SIMD dot products. libsamplerate's sinc converters
/// interpolate their filter table for every tap in double precision, which makes the best one
/// ~10x real time for 44.1 -> 16 kHz; this one computes the same kind of filter once per phase.
///
/// Filter (as soxr/resampy-style designs): passband to 90 % of the lower Nyquist frequency,
/// stopband from 100 % of it, 100 dB stopband attenuation (Kaiser beta 10.06), cutoff in the
/// middle of the transition, zero delay (centred), unit DC gain per phase.
/// The ratio `out/in` is reduced to `up/down`; when the phase table would exceed
/// `maximumTableSize` floats (odd rates such as 11127 Hz), `init` returns nil and the caller
/// falls back to libsamplerate.
final class PolyphaseResampler {
    static let maximumTableSize = 8 << 20
    static let attenuation = 100.0
    static let passband = 0.90

    let up: Int
    let down: Int
    /// Taps per phase (a multiple of 8).
    let taps: Int
    /// Offset of the filter centre, in samples of the upsampled rate.
    private let center: Int
    /// `up` phases of `taps` coefficients; phase p, tap m multiplies input `iMax - taps + 1 + m`.
    private let table: [Float]
    /// Input samples from absolute index `base` on (negative indices are the zero history).
    private var buffer: [Float]
    private var base: Int
    private var inputCount = 0
    private var nextOutput = 0
    private var output: [Float] = []

    init?(inputRate: Int, outputRate: Int) {
        guard let design = Self.designs.design(inputRate: inputRate, outputRate: outputRate) else { return nil }
        up = design.up
        down = design.down
        taps = design.taps
        center = design.center
        table = design.table
        buffer = [Float](repeating: 0, count: taps)
        base = -taps
    }

    /// The filter of one rate pair: what `init` used to compute for every file (the Kaiser
    /// window's Bessel series and a sine per coefficient, ~1.5 ms for 44.1 -> 16 kHz: 2 % of a
    /// musicnn run's CPU time), now once per pair and process.
    struct Design: Sendable {
        let up: Int, down: Int, taps: Int, center: Int
        let table: [Float]
    }

    /// Designs by rate pair, shared by every file and thread. Bounded: a set of files at many
    /// odd rates (each table up to `maximumTableSize` floats) stops adding entries past
    /// `maximumCachedFloats` and designs the rest per file, as before.
    static let designs = DesignCache()
    static let maximumCachedFloats = 16 << 20

    final class DesignCache: @unchecked Sendable {
        // @unchecked: `designs` and `cachedFloats` are only touched under `lock`.
        private let lock = NSLock()
        private var designs: [[Int]: Design?] = [:]
        private var cachedFloats = 0

        func design(inputRate: Int, outputRate: Int) -> Design? {
            let key = [inputRate, outputRate]
            lock.lock()
            let known = designs[key]
            lock.unlock()
            if let known { return known }
            let design = PolyphaseResampler.design(inputRate: inputRate, outputRate: outputRate)
            let size = design?.table.count ?? 0
            lock.lock()
            if designs[key] == nil && cachedFloats + size <= PolyphaseResampler.maximumCachedFloats {
                designs[key] = .some(design)
                cachedFloats += size
            }
            lock.unlock()
            return design
        }
    }

    /// The polyphase filter for a rate pair, or nil when its table would pass `maximumTableSize`.
    static func design(inputRate: Int, outputRate: Int) -> Design? {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = gcd(inputRate, outputRate)
        let up = outputRate / g
        let down = inputRate / g
        let upRate = Double(inputRate) * Double(up)
        let nyquist = Double(min(inputRate, outputRate)) / 2
        let transition = (1 - Self.passband) * nyquist
        let cutoff = (1 + Self.passband) / 2 * nyquist / upRate  // cycles per upsampled sample
        let beta = 0.1102 * (Self.attenuation - 8.7)
        var length = Int(((Self.attenuation - 8) / (2.285 * 2 * Double.pi * transition / upRate)).rounded(.up)) + 1
        if length % 2 == 0 { length += 1 }
        let perPhase = (length + up - 1) / up
        let taps = (perPhase + 7) / 8 * 8
        guard up * taps <= Self.maximumTableSize else { return nil }
        let center = (length - 1) / 2

        func besselI0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0, k = 1.0
            while term > sum * 1e-17 {
                term *= (x / (2 * k)) * (x / (2 * k))
                sum += term
                k += 1
            }
            return sum
        }
        let i0Beta = besselI0(beta)
        let half = Double(length - 1) / 2
        let h: [Double] = (0 ..< length).map { n in
            let t = Double(n) - half
            let x = 2 * cutoff * t
            let sinc = t == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
            let r = t / half
            return 2 * cutoff * sinc * besselI0(beta * (max(0, 1 - r * r)).squareRoot()) / i0Beta
        }
        var table = [Float](repeating: 0, count: up * taps)
        for p in 0 ..< up {
            // Tap m of phase p meets input iMax - (taps - 1 - m), i.e. coefficient p + up * (taps - 1 - m).
            var phase = [Double](repeating: 0, count: taps)
            for m in 0 ..< taps {
                let n = p + up * (taps - 1 - m)
                if n < length { phase[m] = h[n] }
            }
            let sum = phase.reduce(0, +)
            for m in 0 ..< taps { table[p * taps + m] = Float(sum != 0 ? phase[m] / sum : 0) }
        }
        return Design(up: up, down: down, taps: taps, center: center, table: table)
    }

    func process(_ input: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        buffer.append(contentsOf: input)
        inputCount += input.count
        try produce(until: nil, emit: emit)
    }

    /// Emits the remaining outputs, up to `ceil(inputCount * up / down)` in all.
    func finish(emit: (UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        let total = (inputCount * up + down - 1) / down
        if total > nextOutput {
            let lastNeeded = ((total - 1) * down + center) / up
            let have = base + buffer.count
            if lastNeeded >= have { buffer.append(contentsOf: repeatElement(0, count: lastNeeded - have + 1)) }
        }
        try produce(until: total, emit: emit)
    }

    private func produce(until limit: Int?, emit: (UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        // How many outputs the buffered input (or the limit) allows.
        let available = base + buffer.count
        var count: Int
        if let limit {
            count = max(0, limit - nextOutput)
        } else {
            // Largest j with floor((j * down + center) / up) < available.
            let lastJ = available * up - 1 - center
            count = lastJ < 0 ? 0 : max(0, lastJ / down + 1 - nextOutput)
        }
        output.removeAll(keepingCapacity: true)
        output.append(contentsOf: repeatElement(0, count: count))
        // Outputs j and j + up use the same phase: visit them phase by phase so each phase's
        // coefficients stay in L1 while they are used (the whole table is up * taps floats,
        // 230 KB for 44.1 -> 16 kHz). Every output is computed exactly as in output order.
        let first = nextOutput
        buffer.withUnsafeBufferPointer { x in
            table.withUnsafeBufferPointer { coefficients in
                output.withUnsafeMutableBufferPointer { y in
                    if Self.vectorKernel {
                        // In tiles of `perPhase` outputs of every phase, so that the input a tile
                        // reads (perPhase * down + taps samples, ~15 KB for 44.1 -> 16 kHz) stays
                        // in L1 while all phases pass over it; a phase's outputs across the whole
                        // block streamed the block's input from L2 once per phase (1.25x slower).
                        let perPhase = max(4, 4096 / down / 4 * 4)
                        var start = 0
                        while start < count {
                            let n = min(up * perPhase, count - start)
                            for r in 0 ..< min(up, n) {
                                let v0 = (first + start + r) * down + center
                                // Outputs start + r, start + r + up, ...: input windows `down` apart.
                                CPolyphaseKernel_run(coefficients.baseAddress! + (v0 % up) * taps, taps,
                                                     x.baseAddress! + (v0 / up - taps + 1 - base), down,
                                                     (n - r + up - 1) / up, y.baseAddress! + start + r, up)
                            }
                            start += n
                        }
                        return
                    }
                    for r in 0 ..< min(up, count) {
                        let v0 = (first + r) * down + center
                        let p = v0 % up
                        let phase = coefficients.baseAddress! + p * taps
                        var k = r
                        var iMax = v0 / up
                        // Two outputs of the phase at once: twice the independent additions in
                        // flight (one dot product is bound by its accumulators' latency), and
                        // each coefficient load serves both. Each output's sum is unchanged.
                        while k + up < count {
                            let x0 = x.baseAddress! + (iMax - taps + 1 - base)
                            (y[k], y[k + up]) = Self.dot2(phase, x0, x0 + down, count: taps)
                            k += 2 * up
                            iMax += 2 * down
                        }
                        if k < count {
                            y[k] = Self.dot(phase, x.baseAddress! + (iMax - taps + 1 - base), count: taps)
                        }
                    }
                }
            }
        }
        nextOutput += count
        // Drop input no future output reaches (in large steps, to keep removal cheap).
        let firstNeeded = (nextOutput * down + center) / up - taps + 1
        if firstNeeded - base > 1 << 16 {
            buffer.removeFirst(firstNeeded - base)
            base = firstNeeded
        }
        if !output.isEmpty { try output.withUnsafeBufferPointer { try emit($0) } }
    }

    /// Whether `produce` uses `CPolyphaseKernel_run` (x86-64 with AVX2), which sums every
    /// output exactly as `dot` does, in half the instructions of SIMD8 on baseline SSE.
    static let vectorKernel = CPolyphaseKernel_available() != 0

    /// `(dot(a, b, count), dot(a, c, count))`, each summed exactly as `dot` sums it.
    @inline(__always)
    static func dot2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                             count: Int) -> (Float, Float) {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), t0 = SIMD8<Float>(), t1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), rc = UnsafeRawPointer(c)
        var i = 0
        while i + 16 <= count {
            let a0 = ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let a1 = ra.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            s0 += a0 * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            t0 += a0 * rc.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            s1 += a1 * rb.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            t1 += a1 * rc.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            i += 16
        }
        if i < count {
            let a0 = ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            s0 += a0 * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            t0 += a0 * rc.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
        }
        return ((s0 + s1).sum(), (t0 + t1).sum())
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 16 <= count {
            s0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            i += 16
        }
        if i < count {
            s0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
        }
        return (s0 + s1).sum()
    }
}
