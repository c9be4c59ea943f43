#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TokenResults

extension ProcessSample {
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
        return ProcessSample(openDescriptors: descriptors, sockets: sockets, threads: ProcessCPU.ownThreads() ?? 0)
    }
}
