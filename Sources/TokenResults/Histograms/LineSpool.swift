import Foundation

/// Lines of text written to a temporary file as a run goes instead of kept in memory: what a
/// run records every second (`latency.hlog`'s intervals, the timeline of `result.json`) grows
/// with its length, and in memory that growth would show as the driver's own drift in a soak
/// (the timeline alone is about 1.4 KB a second: 2.5 MB in 30 minutes). The file is removed
/// when the spool is released.
///
/// Written by one writer (the interval collector), read after the run.
public final class LineSpool: @unchecked Sendable {
    // @unchecked: one writer, then one reader after the run (the run's task group orders them).
    public let path: String
    private let handle: FileHandle
    /// Lines written.
    public private(set) var count = 0

    /// Creates an empty file `tokenbench-NAME-UUID.part` in `directory`.
    /// - Throws: `CocoaError` when the file cannot be created.
    public init(name: String, directory: String = NSTemporaryDirectory()) throws {
        path = (directory as NSString).appendingPathComponent("tokenbench-\(name)-\(UUID().uuidString).part")
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Appends `line`, which ends with its own newline and holds no other.
    public func append(_ line: String) {
        handle.write(Data(line.utf8))
        count += 1
    }

    /// Every line written so far, as one text.
    public func contents() -> String {
        try? handle.synchronize()
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
