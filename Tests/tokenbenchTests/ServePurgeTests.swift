import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TokenAuthTesting

/// `serve --purge-interval`: families past their absolute lifetime leave a durable store.
@Suite("serve sweeps expired families out of its store", .serialized)
struct ServePurgeTests {
    let cli = CLITests()

    @Test("SQLite on disk, families of 2 s, a sweep every 500 ms: every login's family is deleted once it expired, and counted")
    func purges() async throws {
        let dir = cli.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try BackgroundProcess(CLITests.binary.path, [
            "serve", "--port", "0", "--users", "10", "--store", "sqlite:\(dir)/families.db", "--refresh-ttl", "2s", "--access-ttl", "1s",
            "--purge-interval", "500ms", "--password-hash", "bcrypt", "--password-hash-cost", "4",
        ], ready: "tokenbench serve: listening on", timeout: 60)
        defer { server.stop() }
        let url = try #require(server.readyLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            for n in 0..<6 {
                var request = HTTPClientRequest(url: url + "/oauth/token")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: "grant_type=password&username=user\(n)&password=pw-\(n)"))
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 16)
                #expect(response.status.code == 200, "login \(n)")
            }
            // Before they expire, nothing is purged.
            #expect(try await purged(client, url) == 0)
            // 2 s of lifetime and at most 500 ms to the next sweep (3.5 s: with a second to spare).
            try await Task.sleep(nanoseconds: 3_500_000_000)
            #expect(try await purged(client, url) == 6)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// `tokenauth_purged_families_total` of `/metrics`.
    func purged(_ client: HTTPClient, _ url: String) async throws -> Double {
        let response = try await client.execute(HTTPClientRequest(url: url + "/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("tokenauth_purged_families_total ") }, "\(text.prefix(500))")
        return try #require(Double(line.split(separator: " ")[1]))
    }

    @Test("a bad --purge-interval: one line naming it, exit 64")
    func badInterval() throws {
        for value in ["soon", "-1s", "2d"] {
            let r = try cli.run(["serve", "--port", "0", "--purge-interval", value])
            #expect(r.status == 64 && r.stderr.contains("--purge-interval"), "\(value): \(r.stderr)")
        }
    }
}
