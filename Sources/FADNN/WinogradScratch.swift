/// Memory helpers shared by the Winograd kernels (`Winograd3x3`, `Winograd7Rows`).

/// Floats from the start of one transform plane of a chunk's scratch to the next, for planes of
/// `floats` floats: rounded up to 4 KiB, plus 64 bytes. The transforms read and write one element
/// of every plane at a time; planes a multiple of 4 KiB apart would map all those streams to the
/// same L1 sets (measured: 0.64x instead of 1.3x on CNN14's first block).
@inline(__always)
func winogradPlaneStride(_ floats: Int) -> Int {
    (floats + 1023) / 1024 * 1024 + 16
}

/// Four floats from `p + offset`, any alignment.
@inline(__always)
func load4(_ p: UnsafePointer<Float>, _ offset: Int) -> SIMD4<Float> {
    UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD4<Float>.self)
}

/// Four floats to `p + offset`, any alignment.
@inline(__always)
func store4(_ value: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>, _ offset: Int) {
    UnsafeMutableRawPointer(p + offset).storeBytes(of: value, as: SIMD4<Float>.self)
}
