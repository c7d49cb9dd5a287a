/// What the Winograd kernels (`Winograd3x3`, `Winograd7Rows`) share: scratch layout, SIMD4
/// access, and which output rows a chunk of tile rows covers.

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

/// The output rows [first, end) (indexing the n * oh rows of the batch) that a chunk of tile rows
/// covers, each tile row being 2 output rows of one item (the last of an odd-height item: 1).
/// The rows are consecutive: a chunk that crosses items ends one item and starts the next.
@inline(__always)
func winogradOutputRows(of chunk: Range<Int>, tilesHigh: Int, outputHeight oh: Int) -> (first: Int, end: Int) {
    let lastTile = chunk.upperBound - 1
    return (chunk.lowerBound / tilesHigh * oh + 2 * (chunk.lowerBound % tilesHigh),
            lastTile / tilesHigh * oh + min(oh, 2 * (lastTile % tilesHigh) + 2))
}
