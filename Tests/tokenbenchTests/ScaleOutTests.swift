import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TokenAuthTesting

/// Two `tokenbench serve` processes on one durable store, sharing their signing keys and
/// refresh-token secret from files, act as one service.
@Suite("Servers that scale out on one store", .serialized)
struct ScaleOutTests {
    let cli = CLITests()

    static var stores: [(String, String?)] {
        let env = ProcessInfo.processInfo.environment
        return [("postgres", env["TOKENBENCH_POSTGRES_URL"]), ("redis", env["TOKENBENCH_REDIS_URL"])]
    }
    static var enabled: Bool {
        stores.allSatisfy { $0.1 != nil } || ProcessInfo.processInfo.environment["TOKENBENCH_REQUIRE_STORES"] == "1"
    }

    /// A key directory (an ES256 key that signs, an Ed25519 one and an HS256 secret that only
    /// verify) and a refresh-token secret, made with openssl and the system's random source.
    func keys(_ root: String) throws -> (dir: String, secret: String) {
        let dir = "\(root)/keys"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out '\(dir)/2026-12-es256.pem' && openssl genpkey -algorithm ed25519 -out '\(dir)/2026-11-ed25519.pem'"]
        try sh.run()
        sh.waitUntilExit()
        #expect(sh.terminationStatus == 0, "openssl")
        var rng = SystemRandomNumberGenerator()
        try Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: "\(dir)/old.hs256"))
        let secret = "\(root)/refresh-secret"
        try Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: secret))
        return (dir, secret)
    }

    /// `tokenbench serve` on a free port; its base URL.
    func serve(store: String, keys: (dir: String, secret: String)?) throws -> (BackgroundProcess, String) {
        var arguments = ["serve", "--port", "0", "--store", store, "--users", "200", "--alg", "ES256", "--access-ttl", "3s",
                         "--grace", "10s", "--leeway", "0s", "--password-hash-cost", "8"]
        if let keys { arguments += ["--keys", keys.dir, "--refresh-secret-file", keys.secret] }
        let p = try BackgroundProcess(CLITests.binary.path, arguments, ready: "tokenbench serve: listening on", timeout: 60)
        let url = try #require(p.readyLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        return (p, url)
    }

    func get(_ client: HTTPClient, _ url: String, bearer: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    func post(_ client: HTTPClient, _ url: String, _ form: String) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:])
    }

    /// `tokenauth_events_total{event="NAME"}` of a server's /metrics.
    func events(_ client: HTTPClient, _ base: String, _ name: String) async throws -> Int {
        let (_, text) = try await get(client, "\(base)/metrics")
        let line = text.split(separator: "\n").first { $0.hasPrefix("tokenauth_events_total") && $0.contains("event=\"\(name)\"") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    @Test("two servers on one store: one's tokens are the other's, one JWKS; the hostile mix over both breaks no invariant, one rotation per two-tab herd",
          .enabled(if: ScaleOutTests.enabled, "skipped: no PostgreSQL and Redis (run script/test)"),
          arguments: ["postgres", "redis"])
    func twoServers(_ backend: String) async throws {
        let store = try #require(Self.stores.first { $0.0 == backend }?.1, "TOKENBENCH_\(backend.uppercased())_URL is not set: run script/test")
        let root = cli.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let keys = try keys(root)
        let (a, urlA) = try serve(store: store, keys: keys)
        let (b, urlB) = try serve(store: store, keys: keys)
        defer { a.stop(); b.stop() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)

        // A token of one is the other's.
        let (loginStatus, tokens) = try await post(client, "\(urlA)/oauth/token", "grant_type=password&username=user7&password=pw-7")
        #expect(loginStatus == 200)
        let access = try #require(tokens["access_token"] as? String)
        let refresh = try #require(tokens["refresh_token"] as? String)
        #expect(try await get(client, "\(urlB)/me", bearer: access).0 == 200, "B accepts A's access token")
        let (refreshStatus, rotated) = try await post(client, "\(urlB)/oauth/token", "grant_type=refresh_token&refresh_token=\(refresh)")
        #expect(refreshStatus == 200, "B rotates A's refresh token")
        let next = try #require(rotated["refresh_token"] as? String)
        // A sees B's rotation: the spent token inside the grace window gets B's successor.
        let (graceStatus, replay) = try await post(client, "\(urlA)/oauth/token", "grant_type=refresh_token&refresh_token=\(refresh)")
        #expect(graceStatus == 200)
        #expect(replay["refresh_token"] as? String == next, "one rotation: A hands out B's successor")
        let jwksA = try await get(client, "\(urlA)/.well-known/jwks.json").1, jwksB = try await get(client, "\(urlB)/.well-known/jwks.json").1
        #expect(jwksA == jwksB)
        #expect(jwksA.contains("\"kid\":\"2026-12-es256\"") && jwksA.contains("\"kid\":\"2026-11-ed25519\""))
        #expect(!jwksA.contains("old"), "HS256 keys are secret: never in the JWKS")

        let before = try await (events(client, urlA, "refresh_reuse_tolerated"), events(client, urlB, "refresh_reuse_tolerated"))
        let out = "\(root)/run"
        let run = try cli.run([
            "run", "--target", "\(urlA),\(urlB)", "--profile", "native", "--grace", "10s", "--leeway", "0s", "--refresh-ttl", "1h",
            "--users", "150", "--rate", "150", "--duration", "8s", "--refresh-lead", "500ms", "--session-length", "6s",
            "--concurrent-refresh-ratio", "0.5", "--replay-ratio", "0.1", "--forged-access-ratio", "0.05", "--expired-access-ratio", "0.02",
            "--quiet", "--out", out])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/result.json"))) as? [String: Any])
        let invariants = try #require(result["invariants"] as? [String: Any])
        #expect(invariants["violations"] as? Int == 0, "\(invariants)")
        #expect((invariants["checked"] as? Int ?? 0) > 100)
        let hostile = try #require((result["hostile"] as? [String: Any])?["by_kind"] as? [String: [String: Int]])
        let herds = hostile["concurrent_refresh"]?["sent"] ?? 0
        #expect(herds > 20, "two-tab refreshes: \(herds)")
        #expect(hostile["concurrent_refresh"]?["refused"] == 0, "with a grace window both tabs get the successor")
        #expect(hostile["replay"]?["sent"] ?? 0 > 0 && hostile["replay"]?["sent"] == hostile["replay"]?["refused"])
        // Each herd is one rotation and one tolerated duplicate, and the duplicates were
        // answered by both servers: the tabs went to different servers.
        let after = try await (events(client, urlA, "refresh_reuse_tolerated"), events(client, urlB, "refresh_reuse_tolerated"))
        let tolerated = (after.0 - before.0, after.1 - before.1)
        #expect(tolerated.0 + tolerated.1 == herds, "tolerated duplicates \(tolerated) for \(herds) herds")
        #expect(tolerated.0 > 0 && tolerated.1 > 0, "tolerated on A \(tolerated.0), on B \(tolerated.1)")
        print("scale-out \(backend): \(invariants["checked"] ?? 0) answers checked, \(invariants["violations"] ?? 0) violations; \(herds) two-tab herds, "
              + "duplicates tolerated on A \(tolerated.0) and on B \(tolerated.1); replays \(hostile["replay"] ?? [:]); forged \(hostile["forged_access"] ?? [:]); "
              + "expired \(hostile["expired_access"] ?? [:])")
        try await client.shutdown()
    }

    @Test("the control: two servers with their own keys are not one service, and the preflight says so (exit 69)",
          .enabled(if: ScaleOutTests.enabled, "skipped: no PostgreSQL (run script/test)"))
    func withoutSharedKeys() throws {
        let store = try #require(Self.stores.first?.1, "TOKENBENCH_POSTGRES_URL is not set: run script/test")
        let (a, urlA) = try serve(store: store, keys: nil)
        let (b, urlB) = try serve(store: store, keys: nil)
        defer { a.stop(); b.stop() }
        let run = try cli.run(["run", "--target", "\(urlA),\(urlB)", "--profile", "native", "--grace", "10s", "--leeway", "0s",
                               "--users", "10", "--rate", "20", "--duration", "2s", "--quiet"])
        #expect(run.status == 69, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains("preflight"), "\(run.stderr)")
    }
}
