import Foundation
import Testing
@testable import TokenAuth

@Suite("A key directory shared by several servers")
struct KeyDirectoryTests {
    func directory(_ files: [String: [UInt8]]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/\(name)")) }
        return dir
    }

    let secretA = [UInt8](repeating: 0xA5, count: 32), secretB = [UInt8](repeating: 0x5A, count: 40)

    @Test("the last key of the algorithm signs, every key verifies, HS256 keys stay out of the JWKS")
    func loads() async throws {
        let dir = try directory(["2026-11.hs256": secretA, "2026-12.hs256": secretB, "README.txt": Array("notes".utf8), ".hidden.pem": [1]])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ring = try await KeyDirectory.load(dir, signing: .hs256, retirementPeriod: 60)
        #expect(ring.currentKey.kid == "2026-12")
        #expect(ring.key(kid: "2026-11", at: Date().addingTimeInterval(86_400 * 365)) != nil, "verify-only keys do not retire")
        #expect(ring.key(kid: "README", at: Date()) == nil)
        #expect(ring.jwks(at: Date()).keys.isEmpty)
        // Two rings from the same files accept each other's tokens.
        let other = try await KeyDirectory.load(dir, signing: .hs256, retirementPeriod: 60)
        let now = Int64(Date().timeIntervalSince1970)
        let claims = AccessTokenClaims(iss: "tb", sub: "u", aud: ["api"], exp: now + 60, iat: now, jti: "t", sid: "s")
        let token = try ring.sign(claims)
        #expect(try other.sign(claims) == token, "the same key, the same signature (HS256 is deterministic)")
    }

    @Test("bad key directories are refused naming the file, before anything is served",
          arguments: [(["short.hs256": [UInt8](repeating: 1, count: 31)], "at least 32 bytes"),
                      (["bad.pem": Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8)], "bad.pem"),
                      (["sp ace.hs256": [UInt8](repeating: 1, count: 32)], "KID"),
                      (["other.hs256": [UInt8](repeating: 1, count: 32)], "ES256")])
    func refuses(_ files: [String: [UInt8]], _ expected: String) async throws {
        let dir = try directory(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try await KeyDirectory.load(dir, signing: .es256, retirementPeriod: 60)
            Issue.record("loaded")
        } catch {
            #expect("\(error.setting) \(error.accepted)".contains(expected), "\(error.accepted)")
        }
    }

    @Test("a refresh-token secret file: its bytes, at least 32; a missing or short one refused")
    func refreshSecret() async throws {
        let dir = try directory(["ok": secretA, "short": [1, 2, 3]])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try KeyDirectory.refreshSecret(file: "\(dir)/ok") == secretA)
        #expect(throws: ConfigurationError.self) { try KeyDirectory.refreshSecret(file: "\(dir)/short") }
        #expect(throws: ConfigurationError.self) { try KeyDirectory.refreshSecret(file: "\(dir)/missing") }
        await #expect(throws: ConfigurationError.self) { try await KeyDirectory.load("\(dir)/none", signing: .hs256, retirementPeriod: 1) }
    }
}
