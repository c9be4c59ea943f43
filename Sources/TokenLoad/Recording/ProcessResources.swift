#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The process's descriptors, sockets and threads, sampled each second for the timeline: a
/// soak shows a leak of any of them as a rising curve (`/proc/self`, Linux).
public struct ProcessSample: Codable, Sendable, Hashable {
    /// Open file descriptors (entries of `/proc/self/fd`).
    public var openDescriptors: Int
    /// Of those, sockets: the driver's HTTP connections, the store's connections, listeners.
    public var sockets: Int
    /// Threads of the process (`/proc/self/stat`, field 20).
    public var threads: Int

    public init(openDescriptors: Int, sockets: Int, threads: Int) {
        self.openDescriptors = openDescriptors
        self.sockets = sockets
        self.threads = threads
    }

    enum CodingKeys: String, CodingKey {
        case openDescriptors = "open_descriptors"
        case sockets, threads
    }

    /// A sample of this process now, or `nil` where there is no `/proc`.
    public static func now() -> ProcessSample? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        let own = dirfd(dir)
        var descriptors = 0, sockets = 0
        var link = [CChar](repeating: 0, count: 64)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard let fd = Int32(name), fd != own else { continue }
            descriptors += 1
            let n = readlink("/proc/self/fd/\(fd)", &link, link.count - 1)
            if n >= 7, link.withUnsafeBufferPointer({ memcmp($0.baseAddress!, "socket:", 7) == 0 }) { sockets += 1 }
        }
        return ProcessSample(openDescriptors: descriptors, sockets: sockets, threads: threadCount() ?? 0)
    }

    /// `num_threads` of `/proc/self/stat` (after the parenthesised command name, field 20).
    static func threadCount() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): field 20 is fields[17].
        return fields.count > 17 ? Int(fields[17]) : nil
    }
}

/// `stability` of `result.json`: did memory, descriptors and sockets stay flat over the
/// measured seconds (the timeline, after warm-up)? What a soak is judged on.
public struct StabilitySummary: Codable, Sendable, Hashable {
    /// Measured seconds with a sample.
    public var seconds: Int
    /// The reference resident size: the median of the first tenth of the samples (at least
    /// 1, at most 60), bytes.
    public var residentReferenceBytes: Int
    public var residentMinBytes: Int
    public var residentMaxBytes: Int
    /// The largest deviation from the reference, percent (+ above, − below; the one of
    /// greater magnitude).
    public var residentDriftPercent: Double
    /// The resident size's least-squares slope over the samples, bytes per hour: a leak shows
    /// as a steady positive slope even when the drift is still small.
    public var residentSlopeBytesPerHour: Double
    public var descriptorsMin: Int?
    public var descriptorsMax: Int?
    /// Descriptors at the first and the last sample.
    public var descriptorsFirst: Int?
    public var descriptorsLast: Int?
    public var socketsMax: Int?
    public var threadsMax: Int?

    enum CodingKeys: String, CodingKey {
        case seconds
        case residentReferenceBytes = "resident_reference_bytes"
        case residentMinBytes = "resident_min_bytes"
        case residentMaxBytes = "resident_max_bytes"
        case residentDriftPercent = "resident_drift_percent"
        case residentSlopeBytesPerHour = "resident_slope_bytes_per_hour"
        case descriptorsMin = "descriptors_min"
        case descriptorsMax = "descriptors_max"
        case descriptorsFirst = "descriptors_first"
        case descriptorsLast = "descriptors_last"
        case socketsMax = "sockets_max"
        case threadsMax = "threads_max"
    }

    /// The summary of a timeline, or `nil` when it has no memory samples.
    public init?(timeline: [TimelineEntry]) {
        let resident = timeline.compactMap { $0.memory?.residentBytes }
        guard !resident.isEmpty else { return nil }
        seconds = resident.count
        let head = resident.prefix(min(60, max(1, resident.count / 10))).sorted()
        let reference = head[head.count / 2]
        residentReferenceBytes = reference
        residentMinBytes = resident.min()!
        residentMaxBytes = resident.max()!
        let up = Double(residentMaxBytes - reference), down = Double(residentMinBytes - reference)
        residentDriftPercent = (100 * (abs(up) >= abs(down) ? up : down) / Double(max(1, reference))).rounded(toPlaces: 2)
        // Least squares over (second, bytes).
        let n = Double(resident.count)
        let xs = resident.indices.map(Double.init)
        let mx = xs.reduce(0, +) / n, my = resident.reduce(0.0) { $0 + Double($1) } / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, resident) { sxy += (x - mx) * (Double(y) - my); sxx += (x - mx) * (x - mx) }
        residentSlopeBytesPerHour = sxx > 0 ? (sxy / sxx * 3600).rounded() : 0
        let process = timeline.compactMap(\.process)
        descriptorsMin = process.map(\.openDescriptors).min()
        descriptorsMax = process.map(\.openDescriptors).max()
        descriptorsFirst = process.first?.openDescriptors
        descriptorsLast = process.last?.openDescriptors
        socketsMax = process.map(\.sockets).max()
        threadsMax = process.map(\.threads).max()
    }
}
