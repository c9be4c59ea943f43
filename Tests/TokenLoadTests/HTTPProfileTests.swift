import Foundation
import NIOHTTP1
import Testing
@testable import TokenLoad
@testable import TokenResults
@testable import TokenReport
@testable import TokenHTTPClient
@testable import TokenProbe

@Suite("HTTP profiles: pointers, credentials, encodings")
struct HTTPProfileTests {
    @Test("JSON pointers resolve per RFC 6901 §5")
    func pointers() throws {
        let document = try JSONSerialization.jsonObject(with: Data(#"""
            {"foo": ["bar", "baz"], "": 0, "a/b": 1, "m~n": 8, "data": {"tokens": {"access": "A"}}}
            """#.utf8))
        #expect(JSONPointer("/foo/0")?.resolve(in: document) as? String == "bar")
        #expect(JSONPointer("/foo/1")?.resolve(in: document) as? String == "baz")
        #expect(JSONPointer("/")?.resolve(in: document) as? Int == 0)
        #expect(JSONPointer("/a~1b")?.resolve(in: document) as? Int == 1)
        #expect(JSONPointer("/m~0n")?.resolve(in: document) as? Int == 8)
        #expect(JSONPointer("/data/tokens/access")?.resolve(in: document) as? String == "A")
        #expect(JSONPointer("/foo/2")?.resolve(in: document) == nil)
        #expect(JSONPointer("/foo/01")?.resolve(in: document) == nil, "no leading zeros")
        #expect(JSONPointer("/missing")?.resolve(in: document) == nil)
        #expect(JSONPointer("access_token") == nil, "a pointer starts with /")
        #expect(JSONPointer("")?.resolve(in: document) is [String: Any])
    }

    @Test("credentials: patterns and CSV rows (user n takes row n mod rows)")
    func credentials() throws {
        let pattern = Credentials(usernamePattern: "u-{n}@example.com", passwordPattern: "secret{n}{n}")
        #expect(pattern.credentials(7) == ("u-7@example.com", "secret77"))
        #expect(Credentials().credentials(12) == ("user12", "pw-12"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString).csv")
        try Data("username,password\nalice,\"a,b\"\nbob,hunter2\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let csv = try Credentials(csvFile: file.path)
        #expect(csv.credentials(0) == ("alice", "a,b"))
        #expect(csv.credentials(1) == ("bob", "hunter2"))
        #expect(csv.credentials(2) == ("alice", "a,b"))

        try Data("username,password\n".utf8).write(to: file)
        #expect(throws: (any Error).self) { try Credentials(csvFile: file.path) }
        #expect(throws: (any Error).self) { try Credentials(csvFile: "/nonexistent.csv") }
    }

    @Test("a JWT's lifetime is exp − iat in whole seconds, rounded down (authx writes a fractional exp); anything else is no lifetime")
    func jwsLifetime() {
        func jws(_ claims: String) -> String {
            func part(_ text: String) -> String {
                Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                    .replacingOccurrences(of: "=", with: "")
            }
            return part(#"{"alg":"HS256","typ":"JWT"}"#) + "." + part(claims) + ".c2ln"
        }
        #expect(JWSClaims.lifetime(of: jws(#"{"iat":1796669744,"exp":1796669747.918906}"#)) == 3)
        #expect(JWSClaims.lifetime(of: jws(#"{"iat":1796669744,"exp":1796669774}"#)) == 30)
        #expect(JWSClaims.lifetime(of: jws(#"{"iat":1796669744,"exp":1796669744.5}"#)) == 0.5)
        #expect(JWSClaims.lifetime(of: jws(#"{"iat":1796669744,"exp":1796669744}"#)) == nil)
        #expect(JWSClaims.lifetime(of: jws(#"{"iat":1,"exp":1e300}"#)) == nil, "over 400 days is no lifetime")
        #expect(JWSClaims.lifetime(of: jws(#"{"exp":1796669747}"#)) == nil)
        #expect(JWSClaims.lifetime(of: "opaque-token") == nil)
    }

    @Test("the error label: --error-pointer first, then RFC 6749's error, then DRF's code; a label is a short token")
    func errorLabel() throws {
        let json = try JSONSerialization.jsonObject(with: Data(#"{"error": "invalid_grant", "code": "c", "problem": {"code": "token_rejected"}, "msg": "Token has expired"}"#.utf8))
        var answer = HTTPTarget.Answer(status: 401, headers: [:], json: json)
        #expect(answer.error == "invalid_grant")
        answer.errorPointer = JSONPointer("/problem/code")
        #expect(answer.error == "token_rejected")
        answer.errorPointer = JSONPointer("/msg")
        #expect(answer.error == "invalid_grant", "a sentence is a message, never a label")
        #expect(answer.message == "Token has expired")
    }

    @Test("a token answer that lacks what the profile reads names the keys and cookies it had: a CSRF cookie that never arrives fails the login")
    func missingCookies() throws {
        var p = HTTPProfile(name: "custom")
        p.accessTokenIn = .cookie("at")
        p.refreshTokenIn = .cookie("rt")
        p.csrfCookie = "csrf"
        p.csrfHeader = "X-CSRF-TOKEN"
        let target = try HTTPTarget(url: "http://127.0.0.1:9", profile: p, connections: 1)
        let headers: HTTPHeadersForTest = [("Set-Cookie", "at=A; HttpOnly"), ("Set-Cookie", "rt=R; HttpOnly")]
        let login = HTTPTarget.Answer(status: 200, headers: headers.nio, json: ["message": "Logged in"])
        guard case .failure(let missing) = target.tokens(from: login, presented: nil) else {
            Issue.record("a login without its CSRF cookie was taken")
            return
        }
        #expect(missing.message == "the answer lacks the CSRF cookie csrf; its keys: message; its cookies: at, rt (set --access-token-pointer, --refresh-token-pointer, --access-token-in, --refresh-token-in or --csrf-cookie)")
        // A refresh answer may leave the CSRF cookie out: the presented token keeps its own.
        let refresh = HTTPTarget.Answer(status: 200, headers: ([("Set-Cookie", "at=A2")] as HTTPHeadersForTest).nio, json: nil)
        guard case .success(let kept) = target.tokens(from: refresh, presented: HTTPTarget.hold("R", csrf: "C")) else {
            Issue.record("a refresh answer that keeps the refresh token was refused")
            return
        }
        #expect(kept.accessToken == "A2" && HTTPTarget.unpack(kept.refreshToken) == ("R", "C"))
    }

    @Test("refresh-token transport, form escaping, cookies, answer classification")
    func pieces() {
        #expect(HTTPProfile.TokenTransport("body") == .body)
        #expect(HTTPProfile.TokenTransport("bearer") == .bearer)
        #expect(HTTPProfile.TokenTransport("cookie:rt") == .cookie("rt"))
        #expect(HTTPProfile.TokenTransport("cookie:") == nil)
        #expect(HTTPProfile.TokenTransport("header") == nil)

        #expect(FormURLEncoding.escape("a b&c=d/é~") == "a+b%26c%3Dd%2F%C3%A9%7E")
        #expect(FormURLEncoding.escape("AZaz09-._*") == "AZaz09-._*")

        let headers: HTTPHeadersForTest = [("Set-Cookie", "sid=1; Path=/"), ("Set-Cookie", "rt=abc.def==; HttpOnly; Secure")]
        #expect(HTTPTarget.cookie("rt", in: headers.nio) == "abc.def==")
        #expect(HTTPTarget.cookie("none", in: headers.nio) == nil)

        #expect(HTTPTarget.rejection(400, "invalid_grant") == .invalidGrant)
        #expect(HTTPTarget.rejection(400, "invalid_request") == .invalidRequest)
        #expect(HTTPTarget.rejection(401, nil, tokenEndpoint: true) == .invalidGrant)
        #expect(HTTPTarget.rejection(401, nil) == .invalidToken)
        #expect(HTTPTarget.rejection(429, nil) == .rateLimited)
        #expect(HTTPTarget.failure(503, nil) == .storeUnavailable)
        #expect(HTTPTarget.failure(500, nil) == .serverError)
        #expect(HTTPTarget.failure(302, nil) == .badResponse)
    }

    @Test("target URLs: http or https with an optional path prefix; anything else refused")
    func urls() throws {
        #expect(try HTTPTarget(url: "http://127.0.0.1:8080", profile: .native, connections: 1).basePath == "")
        #expect(try HTTPTarget(url: "http://127.0.0.1:8080/auth/", profile: .native, connections: 1).basePath == "/auth")
        let https = try HTTPTarget(url: "https://auth.example.com/base", profile: .native, connections: 1)
        #expect(https.url(of: .refresh) == "https://auth.example.com/base/oauth/token")
        #expect(try HTTPTarget(url: "http://[::1]:8080", profile: .native, connections: 1).url(of: .resource) == "http://[::1]:8080/me")
        for bad in ["ftp://x", "http://", "127.0.0.1:8080", "http://u:p@host:1", "http://h:1/?q=1", "https://h/#frag"] {
            #expect(throws: HTTPTargetError.self, "\(bad)") { try HTTPTarget(url: bad, profile: .native, connections: 1) }
        }
        var profile = HTTPProfile.native
        profile.accessTokenPointer = "access_token"
        #expect(throws: HTTPTargetError.self) { try HTTPTarget(url: "http://127.0.0.1:1", profile: profile, connections: 1) }
    }
}

typealias HTTPHeadersForTest = [(String, String)]
extension Array where Element == (String, String) {
    var nio: NIOHTTP1.HTTPHeaders { NIOHTTP1.HTTPHeaders(self) }
}

@Suite("CPU time from /proc")
struct ProcessCPUTests {
    @Test("a process and its descendants: two busy children are counted with their parent, and their CPU with it", .timeLimit(.minutes(1)))
    func descendants() throws {
        // A parent and two children that spin until the test removes the `go` file; the parent
        // waits for them with waitpid (a shell's `wait` needs SIGCHLD, which the test runner's
        // signal mask blocks). How long Python takes to start them depends on the machine's
        // load, so the test waits for the tree to appear instead of sleeping a fixed time.
        let go = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-cpu-\(UUID().uuidString)")
        try Data().write(to: go)
        defer { try? FileManager.default.removeItem(at: go) }
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        shell.arguments = ["python3", "-c", """
            import subprocess, sys
            spin = "import os, sys\\nwhile os.path.exists(sys.argv[1]): pass"
            children = [subprocess.Popen([sys.executable, "-c", spin, sys.argv[1]]) for _ in range(2)]
            for c in children: c.wait()
            """, go.path]
        try shell.run()
        let deadline = Date().addingTimeInterval(30)
        var running = ProcessCPU.seconds(shell.processIdentifier, descendants: true)
        var alone = ProcessCPU.seconds(shell.processIdentifier, descendants: false)
        while Date() < deadline, !(running?.processes == 3 && (running?.seconds ?? 0) > (alone?.seconds ?? 0) + 0.05) {
            Thread.sleep(forTimeInterval: 0.1)
            alone = ProcessCPU.seconds(shell.processIdentifier, descendants: false)
            running = ProcessCPU.seconds(shell.processIdentifier, descendants: true)
        }
        #expect(running?.processes == 3, "the parent and its two children: \(String(describing: running))")
        #expect(alone?.processes == 1 && (alone?.seconds ?? 0) < (running?.seconds ?? 0), "\(String(describing: alone)) \(String(describing: running))")
        // --store-cpus pins the same tree: every process of it, as /proc then says.
        let tree = ProcessCPU.tree(shell.processIdentifier)
        #expect(tree.count == 3)
        guard case .success(let threads) = CPUAffinity.pin(String(shell.processIdentifier), cpus: [0], descendants: true) else {
            Issue.record("pinning the tree failed")
            try? FileManager.default.removeItem(at: go)
            shell.waitUntilExit()
            return
        }
        #expect(threads >= 3)
        for member in tree {
            let status = (try? String(contentsOfFile: "/proc/\(member.pid)/status", encoding: .utf8)) ?? ""
            #expect(status.contains("Cpus_allowed_list:\t0\n"), "pid \(member.pid)")
        }
        try FileManager.default.removeItem(at: go)
        shell.waitUntilExit()
        #expect(ProcessCPU.seconds(shell.processIdentifier, descendants: true) == nil, "gone")
        #expect(!ProcessCPU.exists(shell.processIdentifier))
        #expect(ProcessCPU.own() > 0)
    }
}

@Suite("Recording at the warm-up boundary")
struct WarmupBoundaryTests {
    @Test("an operation counts when it starts at or after the measurement start, whatever lane recorded it")
    func boundary() {
        let recorder = WorkerRecorder(measureStart: 1_000)
        recorder.record(.access, from: 999, to: 5_000, error: nil)        // warm-up, finished late
        recorder.record(.access, from: 1_000, to: 1_500, error: nil)      // measured
        recorder.record(.refresh, from: 2_000, to: 2_700, error: "invalid_grant")
        #expect(recorder.operations[Operation.access.index].totalCount == 1)
        #expect(recorder.operations[Operation.access.index].max >= 500)
        #expect(recorder.operations[Operation.access.index].max < 600)
        #expect(recorder.errors[Operation.refresh.index] == ["invalid_grant": 1])
        recorder.recordLag(due: 999, now: 3_000)
        #expect(recorder.lag.totalCount == 0)
        recorder.recordLag(due: 1_000, now: 1_200)
        #expect(recorder.lag.totalCount == 1)
    }
}
