/// The seeded generator behind every random choice of the metrics (FAD-inf subsets, bootstrap
/// resamples, IS shuffles, KID subsets): xoshiro256** 1.0 (Blackman & Vigna,
/// https://prng.di.unimi.it/xoshiro256starstar.c), its 256-bit state filled from the 64-bit seed
/// with SplitMix64 as its authors recommend.
///
/// Integers in `0..<n` use Lemire's multiply-and-reject method ("Fast random integer generation
/// in an interval", 2019), so they are exactly uniform and the same on every platform: a seed
/// names one reproducible run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform integer in `0..<bound` (Lemire).
    public mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "SeededGenerator: empty range")
        let s = UInt64(bound)
        var m = next().multipliedFullWidth(by: s)
        if m.low < s {
            let threshold = (0 &- s) % s
            while m.low < threshold { m = next().multipliedFullWidth(by: s) }
        }
        return Int(m.high)
    }

    /// Uniform double in [0, 1) with 53 random bits.
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// `count` distinct indices of `0..<population`, in random order (partial Fisher–Yates).
    public mutating func sampleWithoutReplacement(_ count: Int, from population: Int) -> [Int] {
        precondition(count >= 0 && count <= population, "SeededGenerator: cannot draw \(count) of \(population)")
        var pool = Array(0..<population)
        for i in 0..<count {
            let j = i + uniform(below: population - i)
            pool.swapAt(i, j)
        }
        return Array(pool[0..<count])
    }

    /// `count` indices of `0..<population`, each drawn independently (with replacement).
    public mutating func sampleWithReplacement(_ count: Int, from population: Int) -> [Int] {
        (0..<count).map { _ in uniform(below: population) }
    }

    /// A uniformly random permutation of `0..<count`.
    public mutating func permutation(_ count: Int) -> [Int] {
        sampleWithoutReplacement(count, from: count)
    }
}
