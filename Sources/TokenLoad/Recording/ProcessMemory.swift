#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TokenResults

/// The allocator this process runs on, and its memory, sampled.
///
/// The allocator is chosen when `tokenbench` is built (docs/crypto-and-allocators.md, "Allocators"): the
/// `tokenbench` product uses glibc's malloc, `tokenbench-jemalloc` is linked with Debian's
/// jemalloc (`libjemalloc-dev`). It is detected, not configured: jemalloc exports `mallctl`,
/// glibc does not, so the same code reads the right statistics whichever binary (or an
/// `LD_PRELOAD` of jemalloc) is running.
public enum ProcessMemory {
    /// `int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)`.
    package typealias Mallctl = @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?,
                                        UnsafeMutableRawPointer?, Int) -> Int32

    nonisolated(unsafe) private static let process = dlopen(nil, RTLD_NOW)

    /// jemalloc's `mallctl`, when the process runs on jemalloc.
    package static let mallctl: Mallctl? = {
        guard let symbol = dlsym(process, "mallctl") else { return nil }
        return unsafeBitCast(symbol, to: Mallctl.self)
    }()

    /// The allocator, for `result.json`'s `environment.allocator`.
    public static var allocator: AllocatorEnvironment {
        if mallctl != nil {
            return AllocatorEnvironment(name: "jemalloc", version: jemallocVersion ?? "unknown")
        }
        typealias Version = @convention(c) () -> UnsafePointer<CChar>?
        if let symbol = dlsym(process, "gnu_get_libc_version"),
           let text = unsafeBitCast(symbol, to: Version.self)() {
            return AllocatorEnvironment(name: "glibc", version: String(cString: text))
        }
        return AllocatorEnvironment(name: "system", version: "unknown")
    }

    package static var jemallocVersion: String? {
        guard let mallctl else { return nil }
        var pointer: UnsafePointer<CChar>? = nil
        var length = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &pointer, &length, nil, 0) == 0, let pointer else { return nil }
        return String(cString: pointer)
    }

    /// Resident set size, bytes (`/proc/self/statm`, field 2 × the page size), or `nil` where
    /// there is no `/proc`.
    public static func residentBytes() -> Int? { statm(field: 1) }

    /// Virtual memory size, bytes (`/proc/self/statm`, field 1 × the page size), or `nil`
    /// where there is no `/proc`.
    package static func virtualBytes() -> Int? { statm(field: 0) }

    private static func statm(field: Int) -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        let fields = buffer[..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > field, let pages = Int(String(decoding: fields[field], as: UTF8.self)) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// jemalloc's `stats.allocated`, `stats.active` and `stats.resident` (bytes), after
    /// advancing its `epoch` so they are current; `nil` on another allocator.
    public static func jemallocStatistics() -> (allocated: Int, active: Int, resident: Int)? {
        guard let mallctl else { return nil }
        // Writing any value to `epoch` refreshes the statistics; the old value is not needed.
        var epoch: UInt64 = 1
        guard mallctl("epoch", nil, nil, &epoch, MemoryLayout<UInt64>.size) == 0 else { return nil }
        func read(_ name: String) -> Int? {
            var value = 0
            var length = MemoryLayout<Int>.size
            return mallctl(name, &value, &length, nil, 0) == 0 ? value : nil
        }
        guard let allocated = read("stats.allocated"), let active = read("stats.active"), let resident = read("stats.resident")
        else { return nil }
        return (allocated, active, resident)
    }

    /// One sample for the timeline.
    public static func sample() -> MemorySample? {
        guard let resident = residentBytes() else { return nil }
        var sample = MemorySample(residentBytes: resident)
        if let j = jemallocStatistics() {
            sample.allocatedBytes = j.allocated
            sample.activeBytes = j.active
            sample.allocatorResidentBytes = j.resident
        }
        return sample
    }

    /// The resident size before the run built anything (``markBaseline()``), bytes.
    nonisolated(unsafe) public private(set) static var baselineResidentBytes: Int?

    /// Records the resident size now as the run's baseline: call before assembling the target
    /// and the virtual users, so that memory per user counts what they added.
    public static func markBaseline() {
        baselineResidentBytes = residentBytes()
    }
}
