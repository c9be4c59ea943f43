// libFuzzer targets for every parser of untrusted input. One binary, the target
// chosen by TOKENBENCH_FUZZ_TARGET; built and run by script/fuzz with
// `swift build --sanitize=fuzzer --sanitize=address` (Package.swift adds this target only when
// TOKENBENCH_FUZZ=1). Each target feeds the input to a parser and, where a second reading
// exists, checks an oracle: a value the parser accepts must be the value the reference reads
// (jwt-kit's JSONDecoder, Hummingbird's form decoder), a round trip must give back its input.
// A broken oracle is a crash: libFuzzer saves the input, script/fuzz fails.
import ExtrasBase64
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
@testable import TokenAuth
@testable import TokenAuthServer
@testable import TokenBenchCLI
@testable import TokenLoad
@testable import TokenProbe
@testable import TokenHTTPClient
@testable import TokenReport
@testable import TokenResults

/// The targets, by name (script/fuzz and Tests/Fuzz/Corpus/NAME use the same names).
enum FuzzTarget: String, CaseIterable {
    /// ``RefreshTokenCodec/parse(_:)``; minted tokens round-trip, a changed character is refused.
    case refreshToken = "refresh-token"
    /// ``SigningKeyRing/verify(_:now:policy:)`` on raw bytes, on tokens signed with the ring's
    /// own key over a fuzzed header and claims, and ``JOSEReader`` against `JSONDecoder`.
    case accessToken = "access-token"
    /// ``TokenRequestBody/form(_:)`` against Hummingbird's `URLEncodedFormDecoder`.
    case formBody = "form-body"
    /// ``TokenRequestBody/json(_:)`` and the content-type reader.
    case jsonBody = "json-body"
    /// ``BearerToken/read(_:)`` on one or more `Authorization` values (RFC 6750 §2.1).
    case authorization
    /// ``Scenario/parse(_:name:path:environment:)`` (with ``StrictJSON``), then each value
    /// through its flag's parser (faults, SLOs, stages, shards, durations) and `--profile` expansion.
    case scenario
    /// A `result.json` as `report`, `merge` and `compare` read it, then rendered as HTML.
    case result
    /// `latency.hlog` (``HistogramLog/parse(_:checkHistograms:)``) and the V2 histogram
    /// codec, whose decode → encode → decode must give the same histogram.
    case histogram
    /// A server's answer as the HTTP target reads it (``HTTPTarget/implausible(_:)``,
    /// ``HTTPTarget/tokens(from:presented:)``, the error label and message, `Set-Cookie`, a
    /// JWT's claims) under four profiles, and as a discovery document
    /// (``Discovery/metadata(from:issuer:targetURL:)``) and as a metrics endpoint's text
    /// (``PrometheusText/sum(of:in:)``): what any server may send.
    case answer
}

nonisolated(unsafe) var selected: FuzzTarget = .refreshToken

/// Fixed inputs: a codec and a key ring with known secrets, one instant.
enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    static let policy = AccessTokenPolicy(issuer: "tokenbench", audience: "tokenbench-api", leeway: 30)
    static let codec = try! RefreshTokenCodec(secret: Array(repeating: UInt8(7), count: 32))
    nonisolated(unsafe) static var ring: SigningKeyRing!
    nonisolated(unsafe) static var key: SigningKey!

    static func makeRing() {
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let key = try! await SigningKey.hs256(secret: Array(repeating: UInt8(9), count: 32), kid: "k1")
            Fixture.key = key
            Fixture.ring = SigningKeyRing(current: key, retirementPeriod: 60)
            done.signal()
        }
        done.wait()
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> CInt {
    let name = ProcessInfo.processInfo.environment["TOKENBENCH_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("TOKENBENCH_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    selected = target
    Fixture.makeRing()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    switch selected {
    case .refreshToken: refreshToken(bytes)
    case .accessToken: accessToken(bytes)
    case .formBody: formBody(bytes)
    case .jsonBody: jsonBody(bytes)
    case .authorization: authorization(bytes)
    case .scenario: scenario(bytes)
    case .result: result(bytes)
    case .histogram: histogram(bytes)
    case .answer: answer(bytes)
    }
    return 0
}

#if TOKENBENCH_FUZZ_ENTRY
// The entry point SwiftPM links `main` to when only TokenBench's modules are instrumented
// (TOKENBENCH_FUZZ=1): it hands over to libFuzzer's driver (`LLVMFuzzerRunDriver`, libFuzzer's
// API for programs with their own main), which calls LLVMFuzzerInitialize as usual.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("tokenbench_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv = argv
    return runDriver(&argc, &argv) { data, size in fuzz(data, size) }
}
#endif

/// Stops the campaign with a message: libFuzzer saves the input that broke the oracle.
func broken(_ what: String) -> Never {
    FileHandle.standardError.write(Data("oracle broken: \(what)\n".utf8))
    abort()
}

func refreshToken(_ bytes: UnsafeBufferPointer<UInt8>) {
    let codec = Fixture.codec
    // Any text: accepted only if it is the token the codec mints for its handle.
    let text = String(decoding: bytes, as: UTF8.self)
    if let handle = codec.parse(text) {
        let minted = codec.mint(family: handle.family, generation: handle.generation)
        guard minted.token == text, minted.digest == handle.digest else { broken("accepted a token the codec does not mint") }
    }
    // A minted token round-trips; one changed character is refused.
    guard bytes.count >= 25 else { return }
    var family: UInt128 = 0
    for b in bytes[0..<16] { family = family << 8 | UInt128(b) }
    var generation: UInt64 = 0
    for b in bytes[16..<24] { generation = generation << 8 | UInt64(b) }
    let minted = codec.mint(family: FamilyID(rawValue: family), generation: generation)
    guard let back = codec.parse(minted.token), back.family.rawValue == family, back.generation == generation,
          back.digest == minted.digest else { broken("a minted token did not round-trip") }
    var chars = Array(minted.token.utf8)
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    let at = Int(bytes[24]) % chars.count
    let replacement = alphabet[(alphabet.firstIndex(of: chars[at])! + 1 + Int(bytes.count) % 63) % 64]
    chars[at] = replacement
    if codec.parse(String(decoding: chars, as: UTF8.self)) != nil { broken("a token with one character changed was accepted") }
}

func accessToken(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let mode = bytes.first else { return }
    let rest = UnsafeBufferPointer(rebasing: bytes[1...])
    switch mode % 3 {
    case 0:
        // Raw bytes as a compact JWS: accepted only if the signature is the key's MAC of the
        // signing input and the header and claims pass every rule.
        guard let verified = try? Fixture.ring.verify(rest, now: Fixture.now, policy: Fixture.policy) else { return }
        let parts = Array(rest).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3,
              let header = try? Base64.decode(bytes: parts[0], options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              let claims = try? Base64.decode(bytes: parts[1], options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              let signature = try? Base64.decode(bytes: parts[2], options: [.base64UrlAlphabet, .omitPaddingCharacter])
        else { broken("verify accepted a token that is not three base64url segments") }
        let signingInput = Array(rest[rest.startIndex..<(rest.startIndex + parts[0].count + 1 + parts[1].count)])
        let expected = try! signingInput.withUnsafeBytes { try Fixture.key.jwsPrimitive.sign($0) }
        guard expected == signature else { broken("verify accepted a signature that is not the key's MAC") }
        checkAccepted(header: header, claims: claims, verified: verified)
    case 1:
        // The reader against JSONDecoder, as a header and as a claims set.
        let raw = UnsafeRawBufferPointer(rest)
        let data = Data(rest)
        if let ours = try? JOSEReader.header(raw) {
            guard let ref = try? JSONDecoder().decode(ReferenceHeader.self, from: data),
                  JOSEReader.Header(alg: ref.alg, kid: ref.kid, typ: ref.typ, crit: ref.crit) == ours
            else { broken("the JOSE reader accepted a header JSONDecoder reads otherwise") }
        }
        if let ours = try? JOSEReader.claims(raw) {
            guard let ref = try? JSONDecoder().decode(AccessTokenClaims.self, from: data), ref == ours
            else { broken("the JOSE reader accepted claims JSONDecoder reads otherwise") }
        }
    default:
        // A header and claims (split at the first 0x00), signed with the ring's own key: the
        // signature holds, so every later check is reached. Accepted only when the header and
        // claims pass every rule.
        let split = rest.firstIndex(of: 0) ?? rest.endIndex
        let header = Array(rest[rest.startIndex..<split])
        let claims = split < rest.endIndex ? Array(rest[(split + 1)...]) : []
        let options: Base64.EncodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]
        var token = Base64.encodeToBytes(bytes: header, options: options)
        token.append(UInt8(ascii: "."))
        token.append(contentsOf: Base64.encodeToBytes(bytes: claims, options: options))
        let signature = try! token.withUnsafeBytes { try Fixture.key.jwsPrimitive.sign($0) }
        token.append(UInt8(ascii: "."))
        token.append(contentsOf: Base64.encodeToBytes(bytes: signature, options: options))
        guard let verified = token.withUnsafeBufferPointer({ try? Fixture.ring.verify($0, now: Fixture.now, policy: Fixture.policy) })
        else { return }
        checkAccepted(header: header, claims: claims, verified: verified)
    }
}

/// What an accepted token must be: a header jwt-kit's decoding reads as this ring's key
/// (RFC 8725 §3.1, §3.10; RFC 9068 §4 `typ`), claims it reads as the verified ones, inside the
/// policy (RFC 9068 §4: `iss`, `aud`, `exp`, `nbf`, `iat` with the leeway).
func checkAccepted(header: [UInt8], claims: [UInt8], verified: AccessTokenClaims) {
    guard let h = try? JSONDecoder().decode(ReferenceHeader.self, from: Data(header)),
          h.alg == "HS256", h.kid == "k1", h.typ?.lowercased().hasSuffix("at+jwt") == true, h.crit == nil
    else { broken("verify accepted a header that breaks RFC 8725 §3.1/§3.10 or RFC 9068 §4") }
    guard let c = try? JSONDecoder().decode(AccessTokenClaims.self, from: Data(claims)), c == verified else {
        broken("verify returned claims JSONDecoder reads otherwise")
    }
    let now = Int64(Fixture.now.timeIntervalSince1970), leeway = Int64(Fixture.policy.leeway)
    guard c.iss == Fixture.policy.issuer, c.aud.contains(Fixture.policy.audience), c.exp >= now - leeway,
          c.iat <= now + leeway, (c.nbf ?? now) <= now + leeway
    else { broken("verify accepted claims outside the policy (RFC 9068 §4)") }
}

/// The header as jwt-kit's `Decodable` struct reads it (the JOSE reader's reference).
struct ReferenceHeader: Decodable {
    var alg: String?
    var kid: String?
    var typ: String?
    var crit: [String]?
}

func sameBody(_ a: TokenRequestBody, _ b: TokenRequestBody) -> Bool {
    a.grantType == b.grantType && a.username == b.username && a.password == b.password && a.refreshToken == b.refreshToken
        && a.clientID == b.clientID && a.scope == b.scope && a.token == b.token && a.tokenTypeHint == b.tokenTypeHint
}

func formBody(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let ours = try? TokenRequestBody.form(UnsafeRawBufferPointer(bytes)) else { return }
    // Accepted bodies are UTF-8 (the reader checks): where Hummingbird's decoder also
    // accepts, it reads the same values. One documented difference: a pair without `=` is a
    // name with an empty value for the reader (WHATWG URL §5.1) and is dropped by Hummingbird's
    // decoder (found by this target): such bodies are not compared.
    // A second: the decoder splits a String by Character, so a combining mark (any non-ASCII
    // scalar that extends a grapheme) right after `&` or `=` hides the separator from it; the
    // reader splits bytes, as WHATWG URL §5.1 does. Bodies with a non-ASCII byte right after a
    // separator are not compared either.
    let text = String(decoding: bytes, as: UTF8.self)
    if text.split(separator: "&").contains(where: { !$0.contains("=") }) { return }
    for i in bytes.indices.dropLast() where (bytes[i] == UInt8(ascii: "&") || bytes[i] == UInt8(ascii: "=")) && bytes[i + 1] >= 0x80 { return }
    if let reference = try? URLEncodedFormDecoder().decode(TokenRequestBody.self, from: text), !sameBody(ours, reference) {
        broken("the form reader and URLEncodedFormDecoder read different values")
    }
}

func jsonBody(_ bytes: UnsafeBufferPointer<UInt8>) {
    // The first line is the Content-Type header, the rest the body.
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let contentType = String(decoding: bytes[bytes.startIndex..<newline], as: UTF8.self)
    let body = newline < bytes.endIndex ? Data(bytes[(newline + 1)...]) : Data()
    guard let kind = try? TokenRequestBody.contentKind(contentType) else { return }
    switch kind {
    case .json: _ = try? TokenRequestBody.json(body)
    case .form: _ = body.withUnsafeBytes { try? TokenRequestBody.form($0) }
    }
}

func authorization(_ bytes: UnsafeBufferPointer<UInt8>) {
    // Each line is one Authorization field value, as the HTTP/1 parser hands it over.
    var fields = HTTPFields()
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(4) {
        fields.append(HTTPField(name: .authorization, lenientValue: Array(line)))
    }
    guard let token = try? BearerToken.read(fields) else { return }
    guard !token.isEmpty, BearerToken.isB64Token(Substring(token).utf8) else { broken("a bearer token outside b64token was returned") }
}

func scenario(_ bytes: UnsafeBufferPointer<UInt8>) {
    let data = Data(bytes)
    guard let scenario = try? Scenario.parse(data, name: "fuzz", path: "/nonexistent/fuzz.json",
                                             environment: ["TOKENBENCH_FUZZ_VALUE": "1"]) else { return }
    // Every value through the parser of its flag (ours; the flags themselves then go through
    // ArgumentParser, which cost 22 ms an execution here: 44 a second).
    let arguments = scenario.arguments
    for (i, argument) in arguments.enumerated() where argument.hasPrefix("--") && i + 1 < arguments.count {
        let value = arguments[i + 1]
        switch argument {
        case "--fault": _ = try? Fault(parsing: value)
        case "--slo": _ = try? SLO(parsing: value)
        case "--stages": _ = try? LoadStage.parse(value)
        case "--shard": _ = try? LoadConfiguration.Shard(parsing: value, index: "0")
        case "--start-at": _ = StartInstant.parse(value)
        default:
            // A duration read back from its text is the same duration (DurationValue.text).
            if let s = DurationValue.seconds(value), s < 1e12, let again = DurationValue.seconds(DurationValue.text(s)),
               abs(again - s) > s * 1e-5 { broken("duration \(value) printed as \(DurationValue.text(s)) reads back as \(again) s") }
        }
    }
    _ = try? ProfileArguments.expand(["run"] + arguments)
}

func result(_ bytes: UnsafeBufferPointer<UInt8>) {
    let data = Data(bytes)
    if let decoded = try? ReportInput.decode(data, path: "fuzz.json") {
        switch decoded {
        case .run(let r): _ = HTMLReport.run(r)
        case .capacity(let c): _ = HTMLReport.capacity(c)
        case .storeComparison(let c):
            _ = HTMLReport.storeComparison(c)
            _ = CapacityConsole.storeComparison(c)
        }
    }
    _ = try? Comparison.decode(data, path: "fuzz.json")
}

func histogram(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let mode = bytes.first else { return }
    let rest = Array(bytes[1...])
    switch mode % 3 {
    case 0:
        if let log = try? HistogramLog.parse(String(decoding: rest, as: UTF8.self)) {
            _ = log.intervals.count
        }
    default:
        let decoded = mode % 3 == 1 ? try? HdrHistogramCodec.decodeCompressed(rest) : try? HdrHistogramCodec.decodeUncompressed(rest)
        guard let decoded else { return }
        // What decodes, re-encodes to a histogram that decodes the same.
        let again: HdrHistogramCodec.Decoded
        do {
            again = try HdrHistogramCodec.decode(HdrHistogramCodec.encode(decoded))
        } catch {
            broken("a decoded histogram did not decode after encoding: \(error)")
        }
        guard again == decoded else { broken("decode → encode → decode changed the histogram") }
        _ = decoded.valueAtPercentile(99)
    }
}

/// The profiles the answers are read under: tokens in the JSON body; refresh token as Bearer
/// with a nested pointer; tokens in cookies with double-submit CSRF; `--rotation always`.
enum AnswerFixture {
    static let targets: [HTTPTarget] = {
        var body = HTTPProfile.oauth2
        body.clientID = "c"
        var nested = HTTPProfile(name: "custom")
        nested.refreshTokenIn = .bearer
        nested.accessTokenPointer = "/data/tokens/0"
        nested.expiresInPointer = "/data/ttl"
        var cookies = HTTPProfile(name: "custom")
        cookies.accessTokenIn = .cookie("at")
        cookies.refreshTokenIn = .cookie("rt")
        cookies.csrfCookie = "csrf"
        cookies.csrfHeader = "X-CSRF-TOKEN"
        var always = HTTPProfile.oauth2
        always.rotation = .always
        return [body, nested, cookies, always].map { try! HTTPTarget(url: "http://127.0.0.1:9", profile: $0, connections: 1) }
    }()
}

/// Input: one byte (profile, status, whether a refresh token was presented), then header lines
/// `Name: value` up to an empty line, then the body. The body is parsed exactly as
/// ``HTTPTarget/send(_:endpoint:readJSON:)`` parses it.
func answer(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let mode = bytes.first else { return }
    let rest = Array(bytes[1...])
    var headers = HTTPHeaders()
    var bodyStart = rest.startIndex
    var lineStart = rest.startIndex
    while lineStart < rest.endIndex, headers.count < 32 {
        let lineEnd = rest[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
        let line = rest[lineStart..<lineEnd]
        bodyStart = min(lineEnd + 1, rest.endIndex)
        if line.isEmpty { break }
        // Only what NIO's HTTP parser hands over: a token name (NIO refuses others, and
        // `HTTPHeaders.add` traps on a name that is not ASCII).
        if let colon = line.firstIndex(of: UInt8(ascii: ":")), HTTPProfile.isToken(String(decoding: line[line.startIndex..<colon], as: UTF8.self)) {
            headers.add(name: String(decoding: line[line.startIndex..<colon], as: UTF8.self),
                        value: String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces))
        }
        lineStart = bodyStart
    }
    let body = rest[bodyStart...]
    var json: Any? = nil
    if let first = body.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
        json = try? JSONSerialization.jsonObject(with: Data(body))
    }
    let target = AnswerFixture.targets[Int(mode) % AnswerFixture.targets.count]
    let status = [200, 400, 401, 422, 429, 503][Int(mode / 4) % 6]
    let answer = HTTPTarget.Answer(status: status, headers: headers, json: json)
    if let code = answer.error, code.utf8.count > 64 { broken("an error label over 64 bytes") }
    if let message = answer.message, message.count > 120 { broken("a message over 120 characters") }
    let presented: String? = mode & 0x80 != 0 ? HTTPTarget.hold("presented", csrf: "c1") : nil
    let problem = target.implausible(answer)
    switch target.tokens(from: answer, presented: presented) {
    case .success(let tokens):
        guard !tokens.accessToken.isEmpty, !tokens.refreshToken.isEmpty else { broken("an empty token was taken") }
        guard tokens.expiresIn.isFinite, tokens.expiresIn > 0 else { broken("a lifetime that is not a positive number") }
        if problem == nil {
            // What passes the bounds is within them.
            guard tokens.accessToken.utf8.count <= HTTPTarget.maxTokenBytes,
                  HTTPTarget.unpack(tokens.refreshToken).token.utf8.count <= HTTPTarget.maxTokenBytes,
                  tokens.expiresIn <= HTTPTarget.maxLifetimeSeconds else { broken("an answer within bounds gave a token or lifetime beyond them") }
        }
        _ = JWSClaims.lifetime(of: tokens.accessToken)
        if let lifetime = JWSClaims.lifetime(of: HTTPTarget.unpack(tokens.refreshToken).token) {
            guard lifetime > 0, lifetime <= HTTPTarget.maxLifetimeSeconds else { broken("a JWT lifetime beyond the bounds") }
        }
    case .failure(let missing):
        guard !missing.message.isEmpty else { broken("a failure without a message") }
    }
    if let object = json as? [String: Any] {
        switch Discovery.metadata(from: [("http://127.0.0.1:9/.well-known/openid-configuration", object)],
                                  issuer: "http://127.0.0.1:9", targetURL: "http://127.0.0.1:9") {
        case .success(let metadata):
            for path in [metadata.tokenPath, metadata.revocationPath, metadata.userinfoPath, metadata.jwksPath].compactMap({ $0 }) {
                guard path.hasPrefix("/"), !path.contains(where: { $0.isWhitespace }) else { broken("a discovered path that is not a path: \(path)") }
            }
        case .failure(let failure):
            guard !failure.message.contains("\n") else { broken("a discovery failure of more than one line") }
        }
    }
    // The body as a metrics endpoint's Prometheus text (`--target-metrics`).
    if let seconds = PrometheusText.sum(of: "process_cpu_seconds_total", in: body) {
        guard seconds.isFinite, seconds >= 0 else { broken("a CPU time that is not a finite number ≥ 0: \(seconds)") }
    }
}
