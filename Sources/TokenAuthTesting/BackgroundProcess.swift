import TokenAuth
import Foundation

/// A server a test starts as a real process (`tokenbench serve`, a third-party server), waits
/// for until it prints the line that says it listens, and stops (SIGTERM, then SIGKILL) when the
/// test is done. Its output is kept, so a failing test can show it.
public final class BackgroundProcess: Sendable {
    private let process: Process
    private let output = OutputBuffer()
    /// The line that said the server is ready.
    public let readyLine: String
    /// Its process id.
    public var pid: Int32 { process.processIdentifier }

    /// Starts `executable` and waits until a line of its standard output contains `ready`.
    /// - Parameters:
    ///   - environment: variables added to this process's environment.
    ///   - timeout: seconds to wait for the line.
    /// - Throws: ``BackgroundProcessError`` when it cannot start, exits, or never prints the line
    ///   (with what it printed).
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                currentDirectory: String? = nil, ready: String, timeout: Double = 60) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if !chunk.isEmpty { output.data.withLock { $0.append(chunk) } }
        }
        process = p
        do { try p.run() } catch { throw BackgroundProcessError(message: "\(executable) did not start: \(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let text = output.data.withLock { String(decoding: $0, as: UTF8.self) }
            if let line = text.split(separator: "\n").first(where: { $0.contains(ready) }) {
                readyLine = String(line)
                return
            }
            if !p.isRunning || Date() > deadline {
                if p.isRunning { p.terminate() }
                throw BackgroundProcessError(message: "\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.joined(separator: " ")) "
                    + "\(p.isRunning ? "did not print '\(ready)' within \(Int(timeout)) s" : "exited"):\n\(text.suffix(4000))")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Everything it printed so far.
    public var printed: String { output.data.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Stops it: SIGTERM, and SIGKILL after 5 s.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// What a background process printed, appended to from the pipe's reader thread.
final class OutputBuffer: Sendable {
    let data = Locked(Data())
}

/// A background server that could not be started.
public struct BackgroundProcessError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
