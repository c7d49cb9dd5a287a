#if canImport(Glibc)
import Glibc
#endif

/// How freed activation memory goes back to the allocator, process-wide.
///
/// glibc serves blocks over its mmap threshold (128 KiB, adapting up to 32 MiB) with fresh
/// mappings and unmaps them on free, so every batch's large tensors (musicnn-VGG's first pooled
/// map is 36 MiB for 16 windows) cost a page fault and a kernel zero fill per 4 KiB, every batch:
/// measured 70,000 faults and ~8 % of musicnn-VGG's CPU time in a 16-window benchmark.
public enum ActivationMemory {
    /// Raises glibc's mmap threshold to 256 MiB and its trim threshold to 512 MiB, so that freed
    /// tensors are reused by the next batch instead of unmapped and faulted in again. The peak
    /// resident size is unchanged (the same blocks are live at the peak); what changes is that up
    /// to 512 MiB of freed memory stays mapped between batches. Call once at start-up, from an
    /// executable (a library should not change the process's allocator); a no-op off glibc.
    /// Returns whether both settings were accepted.
    @discardableResult
    public static func retainFreedBlocks() -> Bool {
        #if canImport(Glibc)
        // <malloc.h> is not part of Swift's Glibc module: look the function up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
        return mallopt(mmapThreshold, 256 << 20) == 1 && mallopt(trimThreshold, 512 << 20) == 1
        #else
        return false
        #endif
    }
}
