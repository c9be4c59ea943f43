#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Which cores each side of a one-machine run may use (Linux `sched_setaffinity(2)`): the
/// driver on some cores, the server and its store on the others, so that neither takes the
/// other's CPU and a capacity search on one machine can end with an answer instead of
/// "generator-bound".
package enum CPUAffinity {
    /// `int sched_{get,set}affinity(pid_t, size_t, cpu_set_t *)`: glibc exports them, Swift's
    /// Glibc module does not declare them (they are GNU extensions).
    typealias Call = @convention(c) (pid_t, Int, UnsafeMutableRawPointer?) -> Int32
    nonisolated(unsafe) private static let process = dlopen(nil, RTLD_NOW)
    private static let setAffinity: Call? = dlsym(process, "sched_setaffinity").map { unsafeBitCast($0, to: Call.self) }

    /// CPUs this machine has configured (`sysconf(_SC_NPROCESSORS_CONF)`).
    package static var configured: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_CONF))) }

    /// A CPU list as `taskset -c` and `/proc/PID/status` write it, `0-1,3`, read into sorted
    /// CPU numbers; `nil` when malformed or naming a CPU this machine does not have.
    package static func parse(_ text: String) -> [Int]? {
        var cpus = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), bounds.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isASCII) }),
                  let low = Int(bounds[0]), let high = Int(bounds.last!), low >= 0, low <= high, high < configured else { return nil }
            cpus.formUnion(low...high)
        }
        return cpus.isEmpty ? nil : cpus.sorted()
    }

    /// The CPUs a process may run on (`Cpus_allowed_list` of `/proc/PID/status`; `self` for
    /// this one), or `nil` when there is no such process.
    package static func allowed(_ pid: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
    }

    /// Pins every thread of `pid` (`self` for this process) — and with `descendants`, of every
    /// process below it — to `cpus`. Threads started later inherit it from the thread that
    /// starts them.
    /// - Returns: how many threads were pinned, or why not (naming the thread).
    package static func pin(_ pid: String, cpus: [Int], descendants: Bool) -> Result<Int, AffinityFailure> {
        guard let setAffinity else { return .failure(AffinityFailure(reason: "sched_setaffinity is not available")) }
        var mask = [UInt64](repeating: 0, count: 16) // 1,024 CPUs, glibc's cpu_set_t
        for cpu in cpus where cpu < 1024 { mask[cpu / 64] |= 1 << UInt64(cpu % 64) }
        let tree = descendants ? Int32(pid).map { ProcessCPU.tree($0).map { String($0.pid) } } : nil
        if tree?.isEmpty == true { return .failure(AffinityFailure(reason: "no process \(pid) in /proc")) }
        let processes = tree ?? [pid]
        var pinned = 0
        for process in processes {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process)/task")) ?? []
            if tasks.isEmpty, process == pid { return .failure(AffinityFailure(reason: "no process \(pid) in /proc")) }
            for task in tasks.compactMap({ Int32($0) }) {
                let status = mask.withUnsafeMutableBytes { setAffinity(task, $0.count, $0.baseAddress) }
                if status != 0 {
                    // A thread that ended between the listing and the call is no failure.
                    if errno == ESRCH { continue }
                    return .failure(AffinityFailure(reason: "thread \(task) of process \(process): \(String(cString: strerror(errno)))"))
                }
                pinned += 1
            }
        }
        return .success(pinned)
    }
}

/// Why a process could not be pinned.
package struct AffinityFailure: Error, Sendable, Hashable {
    package var reason: String
}
