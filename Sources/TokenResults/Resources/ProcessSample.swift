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
}
