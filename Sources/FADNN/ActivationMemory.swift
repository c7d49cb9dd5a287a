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
    /// to 512 MiB of freed memory stays mapped between batches.
    ///
    /// It also keeps every thread on the main arena (`M_ARENA_MAX` 1): the thresholds govern that
    /// arena only. A worker thread's own arena grows in heaps of at most 64 MiB and serves
    /// anything that does not fit with a fresh mapping, unmapped again on free, so with a file
    /// per worker EnCodec's tens-of-MiB activations were faulted in on every chunk again
    /// (`fad-bench encodec --clips 4`: 528,000 page faults and 1.3 s of system time against 78,000
    /// and 0.2 s on one arena; 15.2 -> 16.3-16.7 audio-s per CPU-second). Allocations are few and large
    /// (whole tensors), so the one arena's lock is not contended.
    ///
    /// Call once at start-up, from an executable (a library should not change the process's
    /// allocator), before other threads start; a no-op off glibc. Returns whether every setting
    /// was accepted.
    @discardableResult
    public static func retainFreedBlocks() -> Bool {
        #if canImport(Glibc)
        // <malloc.h> is not part of Swift's Glibc module: look the function up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
        let arenaMax: Int32 = -8  // M_ARENA_MAX
        return mallopt(mmapThreshold, 256 << 20) == 1 && mallopt(trimThreshold, 512 << 20) == 1 && mallopt(arenaMax, 1) == 1
        #else
        return false
        #endif
    }
}
