/// Whether no sample is NaN or infinite. A branch-free OR over the exponent bits, which the
/// compiler vectorises: `allSatisfy(\.isFinite)` tests and branches sample by sample, and the
/// pipeline checks every file's samples twice (after decoding, before the front end).
public func allFinite(_ samples: [Float]) -> Bool {
    samples.withUnsafeBufferPointer { values in
        var special: UInt32 = 0
        for x in values { special |= (x.bitPattern & 0x7F80_0000) &+ 0x0080_0000 }
        // An all-ones exponent (NaN, infinity) carries into bit 31; no finite exponent does.
        return special & 0x8000_0000 == 0
    }
}
