import Foundation
import Testing

/// The reports in a real browser: Debian's Chromium, headless, opening the file from disk with
/// networking off (every request goes to a proxy that is not there, every host name resolves to
/// nothing). It must render the page (a screenshot that is not blank) and the DOM must hold the
/// expected SVG charts.
///
/// - `TOKENBENCH_CHROMIUM`: the browser (default `/usr/bin/chromium`);
/// - `TOKENBENCH_REQUIRE_BROWSER=1` (set by `script/test`): a missing browser fails the run
///   instead of skipping;
/// - `TOKENBENCH_SCREENSHOT_DIR`: keep the screenshots there, to look at.
@Suite("HTML reports in headless Chromium, networking off", .serialized)
struct BrowserReportTests {
    let cli = CLITests()

    static var chromium: String {
        ProcessInfo.processInfo.environment["TOKENBENCH_CHROMIUM"] ?? "/usr/bin/chromium"
    }
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) || ProcessInfo.processInfo.environment["TOKENBENCH_REQUIRE_BROWSER"] == "1"
    }
    /// `Tests/Browser/png_stats.py`, from this file's place in the repository.
    static var pngStats: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/png_stats.py").path
    }

    /// Runs Chromium on `file` with networking off; returns its standard output.
    func chromium(_ arguments: [String], file: String, profile: String) throws -> String {
        #expect(FileManager.default.isExecutableFile(atPath: Self.chromium), "\(Self.chromium) is not installed: script/bootstrap --test installs it")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
            // Networking off: a proxy on a port nothing listens on, and no host name resolves.
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
            "--hide-scrollbars",
        ] + arguments + ["file://\(file)"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Read while it runs: the DOM is larger than a pipe holds.
        let box = DataBox()
        let reading = DispatchGroup()
        reading.enter()
        DispatchQueue.global().async {
            box.data = out.fileHandleForReading.readDataToEndOfFile()
            reading.leave()
        }
        let deadline = DispatchTime.now() + .seconds(90)
        while process.isRunning, DispatchTime.now() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        reading.wait()
        return String(decoding: box.data, as: UTF8.self)
    }

    final class DataBox: @unchecked Sendable { var data = Data() }

    struct PNGStats: Decodable { var width: Int; var height: Int; var ink: Double; var colours: Int }

    func stats(_ png: String) throws -> PNGStats {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.pngStats, png]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(PNGStats.self, from: data)
    }

    /// Opens `report`: the DOM holds `charts`, the screenshot is a rendered page.
    func check(_ report: String, charts: [String], name: String) throws {
        let scratch = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let dom = try chromium(["--dump-dom"], file: report, profile: scratch + "/profile-dom")
        #expect(dom.contains("<svg"), "the browser rendered no SVG: \(dom.prefix(300))")
        for chart in charts { #expect(dom.contains("data-chart=\"\(chart)\""), "\(name): chart \(chart) missing from the DOM") }
        #expect(dom.contains("id=\"verdict\""))
        let png = scratch + "/\(name).png"
        _ = try chromium(["--screenshot=\(png)", "--window-size=1280,2000"], file: report, profile: scratch + "/profile-shot")
        #expect(FileManager.default.fileExists(atPath: png), "no screenshot")
        let s = try stats(png)
        #expect(s.width == 1280 && s.height == 2000)
        #expect(s.ink > 0.03, "\(name): the page is blank (\(s.ink * 100) % ink)")
        #expect(s.colours > 20, "\(name): \(s.colours) colours: no chart drawn")
        if let keep = ProcessInfo.processInfo.environment["TOKENBENCH_SCREENSHOT_DIR"] {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: keep + "/\(name).png")
            try FileManager.default.copyItem(atPath: png, toPath: keep + "/\(name).png")
        }
    }

    @Test("a run's report renders, with its spectra and per-second charts", .enabled(if: available))
    func runReport() throws {
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--users", "60", "--duration", "3s", "--think-time", "50ms", "--access-ttl", "1s",
                             "--refresh-lead", "300ms", "--session-length", "1500ms", "--replay-ratio", "0.1",
                             "--password-hash-cost", "8", "--slo", "refresh.p99<20ms", "--quiet", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        try check(out + "/report.html", charts: ["spectrum-login", "spectrum-access", "spectrum-refresh", "throughput-refresh",
                                                 "latency-refresh", "spectrum-phases"], name: "run-report")
    }

    @Test("a capacity report renders, with its rates and p99 per step", .enabled(if: available))
    func capacityReport() throws {
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["capacity", "--target", "simulated:4x10ms", "--slo", "access.p99<30ms", "--start-rate", "200",
                             "--max-rate", "1000", "--precision", "20%", "--confirm", "1", "--step-duration", "1s",
                             "--step-warmup", "500ms", "--users", "100", "--out", out] + CapacityCLITests.simulated)
        #expect([0, 3].contains(r.status), "\(r.stdout)\(r.stderr)")
        try check(out + "/report.html", charts: ["capacity-rates", "capacity-p99"], name: "capacity-report")
    }
}
