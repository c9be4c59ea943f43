import Foundation
import Testing
import TokenAuthTesting

/// Throw-away certificates made by `openssl req -x509` for one test (never committed): a CA,
/// a server certificate it signs for `localhost` and 127.0.0.1, and one naming only another host.
struct TestCertificates {
    let folder: String
    var ca: String { folder + "/ca.pem" }
    var cert: String { folder + "/server.pem" }
    var key: String { folder + "/server-key.pem" }
    /// Signed by the same CA, for `elsewhere.example` only.
    var otherCert: String { folder + "/other.pem" }
    var otherKey: String { folder + "/other-key.pem" }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                          "-subj", "/CN=TokenBench test CA", "-keyout", folder + "/ca-key.pem", "-out", ca], in: folder)
        for (name, san) in [("server", "DNS:localhost,IP:127.0.0.1"), ("other", "DNS:elsewhere.example")] {
            try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=\(name)",
                              "-keyout", "\(folder)/\(name)-key.pem", "-out", "\(folder)/\(name).csr"], in: folder)
            try Data("subjectAltName=\(san)\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/\(name).ext"))
            try Self.openssl(["x509", "-req", "-in", "\(folder)/\(name).csr", "-CA", ca, "-CAkey", folder + "/ca-key.pem",
                              "-CAcreateserial", "-days", "2", "-extfile", "\(folder)/\(name).ext", "-out", "\(folder)/\(name).pem"], in: folder)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    static func openssl(_ arguments: [String], in folder: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl"] + arguments
        p.currentDirectoryURL = URL(fileURLWithPath: folder)
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BackgroundProcessError(message: "openssl \(arguments.first ?? "") failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}

/// HTTPS end to end: `tokenbench serve --tls-cert --tls-key` (Hummingbird's TLS, swift-nio-ssl)
/// with a certificate the test makes, and `run` and `probe` over `https://` with curl's
/// `--cacert` and `--insecure`; certificate problems are one line and exit 64.
@Suite("HTTPS: serve with TLS, run and probe over https://", .serialized)
struct TLSTests {
    let cli = CLITests()

    func serve(_ certificates: TestCertificates, cert: String? = nil, key: String? = nil, extra: [String] = []) throws -> (BackgroundProcess, Int) {
        let port = try RedisServerProcess.freePort()
        let server = try BackgroundProcess(
            CLITests.binary.path,
            ["serve", "--port", String(port), "--users", "50", "--password-hash", "bcrypt", "--access-ttl", "2s", "--leeway", "0s",
             "--grace", "2s", "--tls-cert", cert ?? certificates.cert, "--tls-key", key ?? certificates.key] + extra,
            ready: "listening on https://", timeout: 60)
        return (server, port)
    }

    @Test("the whole flow over TLS: run with --cacert passes, times the handshake apart, and records the trust settings")
    func runOverTLS() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let (server, port) = try serve(certificates)
        defer { server.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        for host in ["127.0.0.1", "localhost"] { // an IP SAN, and SNI with a DNS name
            let r = try cli.run(["run", "--target", "https://\(host):\(port)", "--cacert", certificates.ca, "--users", "20",
                                 "--duration", "6s", "--think-time", "50ms", "--session-length", "8s", "--grace", "2s", "--leeway", "0s",
                                 "--refresh-ttl", "1h", "--refresh-lead", "500ms", "--replay-ratio", "0.2", "--concurrent-refresh-ratio", "0.2",
                                 "--quiet", "--out", out])
            #expect(r.status == 0, "\(host): \(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("TLS handshake p50"), "\(r.stdout)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
            let connections = try #require(json["connections"] as? [String: Any])
            #expect((connections["opened"] as? Int ?? 0) > 0)
            #expect(connections["failed"] as? Int == 0)
            let handshake = try #require(connections["tls_handshake_us"] as? [String: Double])
            #expect((handshake["p50"] ?? 0) > 0, "the handshake is timed: \(handshake)")
            let http = try #require((json["config"] as? [String: Any])?["http"] as? [String: Any])
            #expect(http["cacert"] as? String == certificates.ca)
            #expect(http["insecure"] as? Bool == false)
            #expect(http["urls"] as? [String] == ["https://\(host):\(port)"])
            let invariants = try #require(json["invariants"] as? [String: Any])
            #expect(invariants["violations"] as? Int == 0)
            #expect((invariants["checked"] as? Int ?? 0) > 0)
        }
    }

    @Test("probe over TLS: every case our server has passes")
    func probeOverTLS() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let (server, port) = try serve(certificates)
        defer { server.stop() }
        let r = try cli.run(["probe", "https://localhost:\(port)", "--cacert", certificates.ca, "--grace", "2s", "--leeway", "0s"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains(" 0 failed"), "\(r.stdout)")
    }

    @Test("certificates that do not verify: one line naming the problem, exit 64, no result directory; --insecure connects")
    func untrusted() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let (server, port) = try serve(certificates)
        defer { server.stop() }
        let out = cli.temporaryDirectory()
        // The system roots do not know the test CA.
        let plain = try cli.run(["run", "--target", "https://127.0.0.1:\(port)", "--duration", "2s", "--out", out])
        #expect(plain.status == 64)
        #expect(plain.stderr == "tokenbench: preflight: login POST https://127.0.0.1:\(port)/oauth/token: TLS: the server's certificate is not trusted (give --cacert with the CA that signed it, or --insecure)\n")
        #expect(!FileManager.default.fileExists(atPath: out))
        // A CA file that did not sign it: the server's own certificate of another name is not a CA.
        let wrongCA = try cli.run(["probe", "https://127.0.0.1:\(port)", "--cacert", certificates.otherCert])
        #expect(wrongCA.status == 64, "\(wrongCA.stderr)")
        #expect(wrongCA.stderr.contains("not trusted"))
        // --insecure: no verification, the run goes ahead.
        let insecure = try cli.run(["run", "--target", "https://127.0.0.1:\(port)", "--insecure", "--users", "5", "--duration", "3s",
                                    "--access-ttl", "2s", "--refresh-lead", "500ms", "--session-length", "1h", "--quiet"])
        #expect(insecure.status == 0, "\(insecure.stdout)\(insecure.stderr)")
    }

    @Test("a certificate for another host name: refused, one line, exit 64")
    func wrongName() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let (server, port) = try serve(certificates, cert: certificates.otherCert, key: certificates.otherKey)
        defer { server.stop() }
        for host in ["localhost", "127.0.0.1"] {
            let r = try cli.run(["run", "--target", "https://\(host):\(port)", "--cacert", certificates.ca, "--duration", "2s"])
            #expect(r.status == 64, "\(host): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains("TLS"), "\(r.stderr)")
        }
    }

    @Test("bad TLS input: one line naming the flag, exit 64",
          arguments: [
            (["run", "--target", "https://127.0.0.1:1", "--cacert", "/nonexistent/ca.pem"], "--cacert"),
            (["run", "--target", "http://127.0.0.1:1", "--cacert", "/etc/hostname"], "--cacert"),
            (["probe", "https://127.0.0.1:1", "--cacert", "/etc/hostname"], "--cacert"),
            (["serve", "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"], "--tls-cert"),
            (["serve", "--tls-cert", "/etc/hostname"], "--tls-cert"),
            (["serve", "--tls-key", "/etc/hostname"], "--tls-key"),
          ])
    func badInput(_ arguments: [String], _ flag: String) throws {
        let r = try cli.run(arguments + (arguments[0] == "run" ? ["--duration", "1s"] : []))
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(r.stderr.contains(flag), "\(r.stderr)")
    }

    @Test("serve refuses a key that does not match its certificate")
    func mismatchedKey() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let r = try cli.run(["serve", "--port", "0", "--tls-cert", certificates.cert, "--tls-key", certificates.otherKey])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--tls-key"), "\(r.stderr)")
    }
}
