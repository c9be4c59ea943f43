#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// CPU time of a process, or of a process and its descendants, from `/proc` (Linux).
package enum ProcessCPU {
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
    static let ticksPerSecond = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))

    /// One `/proc/PID/stat` (proc(5)): its parent, its CPU ticks (utime, stime, and the cutime
    /// and cstime of children it has waited for), its threads and when it started (ticks after
    /// boot).
    struct Stat {
        var parent: Int32
        var ticks: Double
        var threads: Int
        var startTicks: Double
    }

    /// Reads `/proc/PID/stat` (`self` for this process), or `nil` when there is no such process.
    static func stat(_ pid: String) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After the command name in parentheses: field 3 (state) is fields[0], field N is fields[N − 3].
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let parent = Int32(fields[1]) else { return nil }
        var ticks = 0.0
        for i in 11...14 { ticks += Double(fields[i]) ?? 0 } // utime, stime, cutime, cstime
        return Stat(parent: parent, ticks: ticks, threads: Int(fields[17]) ?? 0, startTicks: Double(fields[19]) ?? 0)
    }

    static func stat(_ pid: Int32) -> Stat? { stat(String(pid)) }

    /// Threads of this process (`/proc/self/stat`, field 20).
    package static func ownThreads() -> Int? { stat("self")?.threads }

    /// When this process started, Unix seconds: `/proc/self/stat`'s starttime after `/proc/stat`'s
    /// `btime` (the boot time); `nil` where there is no `/proc`.
    package static func ownStartTime() -> Double? {
        guard let start = stat("self")?.startTicks,
              let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) else { return nil }
        return boot + start / ticksPerSecond
    }

    /// Whether a process of this id exists.
    package static func exists(_ pid: Int32) -> Bool { pid > 0 && stat(pid) != nil }

    /// CPU seconds so far of `pid` (with `descendants`, of it and every process below it), and
    /// how many processes that was; `nil` when `pid` is gone. A child that ended and was waited
    /// for moved its time to its parent's cutime and cstime, so nothing is counted twice.
    package static func seconds(_ pid: Int32, descendants: Bool) -> (seconds: Double, processes: Int)? {
        guard let root = stat(pid) else { return nil }
        guard descendants else { return (root.ticks / ticksPerSecond, 1) }
        let tree = self.tree(pid)
        return (tree.reduce(0) { $0 + $1.stat.ticks } / ticksPerSecond, tree.count)
    }

    /// `pid` and every process below it, with their `/proc/PID/stat`; empty when `pid` is gone.
    static func tree(_ pid: Int32) -> [(pid: Int32, stat: Stat)] {
        guard let root = stat(pid) else { return [] }
        var children: [Int32: [(pid: Int32, stat: Stat)]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let id = Int32(name), id != pid, let s = stat(id) else { continue }
            children[s.parent, default: []].append((id, s))
        }
        var out = [(pid: pid, stat: root)]
        var queue = children[pid] ?? []
        while let next = queue.popLast() {
            out.append(next)
            queue += children[next.pid] ?? []
        }
        return out
    }

    /// This process's CPU seconds so far.
    package static func own() -> Double {
        (stat("self")?.ticks ?? 0) / ticksPerSecond
    }
}
