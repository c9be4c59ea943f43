#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// CPU time of a process, or of a process and its descendants, from `/proc` (Linux).
package enum ProcessCPU {
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
    static let ticksPerSecond = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))

    /// One `/proc/PID/stat`: its parent and its CPU ticks (utime, stime, and the cutime and
    /// cstime of children it has waited for).
    struct Stat {
        var parent: Int32
        var ticks: Double
    }

    /// Reads `/proc/PID/stat`, or `nil` when there is no such process.
    static func stat(_ pid: Int32) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After the command name in parentheses: field 3 (state) is fields[0].
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 14, let parent = Int32(fields[1]) else { return nil }
        var ticks = 0.0
        for i in 11...14 { ticks += Double(fields[i]) ?? 0 } // utime, stime, cutime, cstime
        return Stat(parent: parent, ticks: ticks)
    }

    /// Whether a process of this id exists.
    package static func exists(_ pid: Int32) -> Bool { pid > 0 && stat(pid) != nil }

    /// CPU seconds so far of `pid` (with `descendants`, of it and every process below it), and
    /// how many processes that was; `nil` when `pid` is gone. A child that ended and was waited
    /// for moved its time to its parent's cutime and cstime, so nothing is counted twice.
    package static func seconds(_ pid: Int32, descendants: Bool) -> (seconds: Double, processes: Int)? {
        guard let root = stat(pid) else { return nil }
        guard descendants else { return (root.ticks / ticksPerSecond, 1) }
        var children: [Int32: [Int32]] = [:]
        var stats: [Int32: Stat] = [pid: root]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let id = Int32(name), id != pid, let s = stat(id) else { continue }
            stats[id] = s
            children[s.parent, default: []].append(id)
        }
        var total = 0.0, count = 0
        var queue = [pid]
        while let next = queue.popLast() {
            guard let s = stats[next] else { continue }
            total += s.ticks
            count += 1
            queue += children[next] ?? []
        }
        return (total / ticksPerSecond, count)
    }

    /// This process's CPU seconds so far.
    package static func own() -> Double {
        seconds(getpid(), descendants: false)?.seconds ?? 0
    }
}
