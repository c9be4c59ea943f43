import ExtrasBase64
import Foundation
import Testing
@testable import TokenAuth

/// Differential tests of ``JOSEReader`` against the decoding it replaced: Foundation's
/// `JSONDecoder` with the `Decodable` header struct and ``AccessTokenClaims`` (what jwt-kit
/// decodes with). The rule: where the reader accepts, `JSONDecoder` accepts with the same
/// values; on strict RFC 8259 input they decide the same; the reader refuses only the
/// documented leniencies of `JSONDecoder` (duplicate names, trailing commas, BOM, invalid
/// members it does not read, non-integer NumericDates).
@Suite("JOSE header and claims reader: decides as jwt-kit's JSONDecoder")
struct JOSEReaderTests {
    /// The header struct the verification decoded with before.
    struct ReferenceHeader: Decodable, Equatable {
        var alg: String?
        var kid: String?
        var typ: String?
        var crit: [String]?
    }

    /// How the reader's decision relates to `JSONDecoder`'s on one reading (as a header, as a
    /// claims set): the same, or refused by the reader where `JSONDecoder` accepts.
    enum Relation { case same, stricter }

    /// Both readings.
    struct Relations {
        var header: Relation
        var claims: Relation
        static let same = Relations(header: .same, claims: .same)
        static let stricter = Relations(header: .stricter, claims: .stricter)
        /// `JSONDecoder` never looks at claims members when decoding a header: an invalid one
        /// passes its header reading only.
        static let stricterAsHeader = Relations(header: .stricter, claims: .same)
        static let stricterAsClaims = Relations(header: .same, claims: .stricter)
    }

    func reference(header bytes: [UInt8]) -> JOSEReader.Header? {
        guard let h = try? JSONDecoder().decode(ReferenceHeader.self, from: Data(bytes)) else { return nil }
        return JOSEReader.Header(alg: h.alg, kid: h.kid, typ: h.typ, crit: h.crit)
    }

    func reference(claims bytes: [UInt8]) -> AccessTokenClaims? {
        try? JSONDecoder().decode(AccessTokenClaims.self, from: Data(bytes))
    }

    func ours(header bytes: [UInt8]) -> JOSEReader.Header? {
        try? bytes.withUnsafeBytes { raw throws(JOSEReader.Refused) in try JOSEReader.header(raw) }
    }

    func ours(claims bytes: [UInt8]) -> AccessTokenClaims? {
        try? bytes.withUnsafeBytes { raw throws(JOSEReader.Refused) in try JOSEReader.claims(raw) }
    }

    /// Checks the relations on one input, read as a header and as a claims set.
    func check(_ bytes: [UInt8], _ relations: Relations, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let (rh, oh) = (reference(header: bytes), ours(header: bytes))
        let (rc, oc) = (reference(claims: bytes), ours(claims: bytes))
        // Never accept what the reference refuses, never read other values.
        if let oh { #expect(rh == oh, "header: \(label)", sourceLocation: sourceLocation) }
        if let oc { #expect(rc == oc, "claims: \(label)", sourceLocation: sourceLocation) }
        func relate(_ what: String, _ relation: Relation, referenceAccepts: Bool, oursAccepts: Bool) {
            switch relation {
            case .same:
                #expect(referenceAccepts == oursAccepts, "\(what): \(label): JSONDecoder \(referenceAccepts ? "accepts" : "refuses")",
                        sourceLocation: sourceLocation)
            case .stricter:
                #expect(referenceAccepts && !oursAccepts, "\(what): \(label): expected JSONDecoder to accept (it does: \(referenceAccepts)) and the reader to refuse (it does: \(!oursAccepts))",
                        sourceLocation: sourceLocation)
            }
        }
        relate("header", relations.header, referenceAccepts: rh != nil, oursAccepts: oh != nil)
        relate("claims", relations.claims, referenceAccepts: rc != nil, oursAccepts: oc != nil)
    }

    static let base = #""iss":"tokenbench","sub":"user1","aud":"tokenbench-api","exp":1800000000,"iat":1700000000,"jti":"j.1","sid":"s""#

    static let cases: [(String, String, Relations)] = [
        ("ours", "{\(base)}", .same),
        ("header", #"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#, .same),
        ("aud array", #"{"iss":"i","sub":"s","aud":["a","b"],"exp":1,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("aud empty array", #"{"iss":"i","sub":"s","aud":[],"exp":1,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("aud mixed", #"{"iss":"i","sub":"s","aud":["a",1],"exp":1,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("aud null", #"{"iss":"i","sub":"s","aud":null,"exp":1,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("optional nulls", "{\(base),\"nbf\":null,\"client_id\":null}", .same),
        ("nbf and client", "{\(base),\"nbf\":1700000000,\"client_id\":\"web\"}", .same),
        ("required null", #"{"iss":null,"sub":"s","aud":"a","exp":1,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("missing sid", #"{"iss":"i","sub":"s","aud":"a","exp":1,"iat":1,"jti":"j"}"#, .same),
        ("exp string", #"{"iss":"i","sub":"s","aud":"a","exp":"1","iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp bool", #"{"iss":"i","sub":"s","aud":"a","exp":true,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp Int64.max", #"{"iss":"i","sub":"s","aud":"a","exp":9223372036854775807,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp Int64.min", #"{"iss":"i","sub":"s","aud":"a","exp":-9223372036854775808,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp Int64.max+1", #"{"iss":"i","sub":"s","aud":"a","exp":9223372036854775808,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp 20 digits", #"{"iss":"i","sub":"s","aud":"a","exp":99999999999999999999,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp 1e400", #"{"iss":"i","sub":"s","aud":"a","exp":1e400,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp 1.5", #"{"iss":"i","sub":"s","aud":"a","exp":1.5,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp -0", #"{"iss":"i","sub":"s","aud":"a","exp":-0,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp leading zero", #"{"iss":"i","sub":"s","aud":"a","exp":01,"iat":1,"jti":"j","sid":"s"}"#, .stricterAsHeader),
        ("exp plus", #"{"iss":"i","sub":"s","aud":"a","exp":+1,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("exp 1.0", #"{"iss":"i","sub":"s","aud":"a","exp":1.0,"iat":1,"jti":"j","sid":"s"}"#, .stricterAsClaims),
        ("exp 1e3", #"{"iss":"i","sub":"s","aud":"a","exp":1e3,"iat":1,"jti":"j","sid":"s"}"#, .stricterAsClaims),
        ("whitespace", "{ \t\n\r\"iss\" :\t\"i\" ,\n\"sub\":\"s\",\"aud\" : [ \"a\" , \"b\" ] ,\"exp\":1,\"iat\":1,\"jti\":\"j\",\"sid\":\"s\" }\r\n", .same),
        ("vertical tab", "{\u{0B}\(base)}", .same),
        ("form feed", "{\u{0C}\(base)}", .same),
        ("no-break space", "{\u{A0}\(base)}", .same),
        ("escaped names and values", #"{"\u0069ss":"a\u0041\n\/\"","sub":"\ud83d\ude00","aud":"a","exp":1,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("lone surrogate", #"{"iss":"\ud800","sub":"s","aud":"a","exp":1,"iat":1,"jti":"j","sid":"s"}"#, .stricterAsHeader),
        ("bad escape", #"{"iss":"\x","sub":"s","aud":"a","exp":1,"iat":1,"jti":"j","sid":"s"}"#, .stricterAsHeader),
        ("control character", "{\"iss\":\"a\u{01}\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":1,\"iat\":1,\"jti\":\"j\",\"sid\":\"s\"}", .stricterAsHeader),
        ("DEL", "{\"iss\":\"a\u{7F}\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":1,\"iat\":1,\"jti\":\"j\",\"sid\":\"s\"}", .same),
        ("unicode", #"{"iss":"é€😀","sub":"s","aud":"a","exp":1,"iat":1,"jti":"j","sid":"s"}"#, .same),
        ("top-level array", "[{\(base)}]", .same),
        ("bytes after", "{\(base)} x", .same),
        ("two objects", "{\(base)}{}", .same),
        ("unterminated", "{\(base)", .same),
        ("comment", "{\(base) /* c */}", .same),
        ("single quotes", "{'iss':'i'}", .same),
        ("NaN", "{\(base),\"x\":NaN}", .same),
        ("empty", "", .same),
        ("empty object", "{}", .same),
        ("unknown members", "{\(base),\"x\":{\"a\":[1,2.5e-3,true,false,null,\"s\"]},\"\":0}", .same),
        ("nesting 512", "{\(base),\"x\":" + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}", .same),
        ("nesting 513", "{\(base),\"x\":" + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "}", .same),
        ("nesting 10000", "{\(base),\"x\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}", .same),
        ("duplicate exp", "{\(base),\"exp\":1}", .stricter),
        ("duplicate alg", #"{"alg":"none","alg":"HS256","kid":"k"}"#, .stricterAsHeader),
        ("duplicate escaped", "{\(base),\"\\u0065xp\":1}", .stricter),
        ("duplicate unknown", "{\(base),\"x\":1,\"x\":2}", .stricter),
        ("trailing comma", "{\(base),}", .stricter),
        ("byte-order mark", "\u{FEFF}{\(base)}", .stricter),
        ("invalid unused number", "{\(base),\"x\":01}", .stricter),
        ("invalid unused literal", "{\(base),\"x\":-}", .stricter),
        ("crit", #"{"alg":"HS256","kid":"k","crit":["exp"]}"#, .same),
        ("crit null", #"{"alg":"HS256","kid":"k","crit":null}"#, .same),
        ("crit string", #"{"alg":"HS256","kid":"k","crit":"exp"}"#, .same),
        ("alg number", #"{"alg":1,"kid":"k"}"#, .same),
    ]

    @Test("crafted inputs: valid, hostile (duplicates, huge numbers, whitespace, nesting) and JSONDecoder's leniencies",
          arguments: cases.indices)
    func crafted(_ i: Int) {
        let (label, text, relation) = Self.cases[i]
        check(Array(text.utf8), relation, label)
    }

    @Test("invalid UTF-8 inside a string: both refuse it where it is read; JSONDecoder lets it pass in a member it skips")
    func invalidUTF8() {
        for bad: [UInt8] in [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]] {
            let bytes = Array(#"{"iss":""#.utf8) + bad + Array(#"","sub":"s","aud":"a","exp":1,"iat":1,"jti":"j","sid":"s"}"#.utf8)
            check(bytes, .stricterAsHeader, "bytes \(bad)")
        }
    }

    /// Random strict JSON claims: random member order, whitespace, escapes, unknown members.
    func randomClaims(_ rng: inout SystemRandomNumberGenerator) -> [UInt8] {
        func ws() -> String { ["", " ", "\n", "\t", "\r\n  "][Int.random(in: 0..<5, using: &rng)] }
        func string() -> String {
            let alphabet = Array("abcXYZ019 -_.:/\"\\\u{01}\u{1F}é€😀")
            let s = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            // JSONSerialization writes a valid JSON string for any Swift string.
            let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        func number() -> String { String(Int64.random(in: Int64.min...Int64.max, using: &rng) >> Int.random(in: 0...63, using: &rng)) }
        var members = [
            "\"iss\":\(ws())\(string())", "\"sub\":\(string())", "\"jti\":\(string())", "\"sid\":\(string())",
            "\"exp\":\(ws())\(number())", "\"iat\":\(number())",
            Bool.random(using: &rng) ? "\"aud\":\(string())" : "\"aud\":[\(ws())\((0..<Int.random(in: 0...3, using: &rng)).map { _ in string() }.joined(separator: ",\(ws())"))]",
        ]
        if Bool.random(using: &rng) { members.append("\"nbf\":\(Bool.random(using: &rng) ? number() : "null")") }
        if Bool.random(using: &rng) { members.append("\"client_id\":\(Bool.random(using: &rng) ? string() : "null")") }
        if Bool.random(using: &rng) { members.append("\"ext\":{\"a\":[1.5e3,-0.25,true,null,\(string())],\"b\":{}}") }
        if Bool.random(using: &rng) { members.append("\"\\u0078\(Int.random(in: 0...9, using: &rng))\":\(number())") }
        members.shuffle(using: &rng)
        return Array("\(ws()){\(ws())\(members.joined(separator: "\(ws()),\(ws())"))\(ws())}\(ws())".utf8)
    }

    @Test("10,000 random strict claims sets: both accept, with the same values")
    func randomStrict() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let bytes = randomClaims(&rng)
            let (r, o) = (reference(claims: bytes), ours(claims: bytes))
            #expect(r != nil && r == o, "\(String(decoding: bytes, as: UTF8.self))")
            if r == nil || r != o { return }
        }
    }

    @Test("20,000 random mutations (bytes flipped, inserted, deleted): the reader never accepts what JSONDecoder refuses, never reads other values")
    func randomMutations() {
        var rng = SystemRandomNumberGenerator()
        let specials = Array("{}[]\",:\\ 0123456789eE.-+ntfu".utf8) + [0x00, 0x80, 0xFF, 0xC3]
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = randomClaims(&rng)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = specials.randomElement(using: &rng)!
                case 1: bytes.insert(specials.randomElement(using: &rng)!, at: i)
                default: if bytes.count > 1 { bytes.remove(at: i) }
                }
            }
            if let o = ours(claims: bytes) {
                accepted += 1
                let r = reference(claims: bytes)
                #expect(r == o, "\(String(decoding: bytes, as: UTF8.self))")
                if r != o { return }
            }
            if let o = ours(header: bytes) {
                #expect(reference(header: bytes) == o)
            }
        }
        #expect(accepted > 100, "mutations that stay valid exercise the acceptance side too")
    }

    // MARK: Through verification: signed hostile tokens decide as before.

    /// Signs arbitrary header and payload bytes with the ring's key (the JWS a hostile client
    /// holding the key, or a buggy issuer, could produce).
    func token(header: [UInt8], payload: [UInt8], key: SigningKey, headerText: String? = nil) throws -> String {
        let h = headerText ?? Base64.encodeToString(bytes: header, options: [.base64UrlAlphabet, .omitPaddingCharacter])
        let input = h + "." + Base64.encodeToString(bytes: payload, options: [.base64UrlAlphabet, .omitPaddingCharacter])
        let signature = try Array(input.utf8).withUnsafeBytes { try key.jwsPrimitive.sign($0) }
        return input + "." + Base64.encodeToString(bytes: signature, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    @Test("signed tokens with hostile headers and claims: the verdict is the reference's, reason included")
    func verification() async throws {
        let key = try await SigningKey.generate(.hs256, kid: "k1")
        let ring = SigningKeyRing(current: key, retirementPeriod: 60)
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        let policy = AccessTokenPolicy(issuer: "tokenbench", audience: "tokenbench-api", leeway: 30)
        let header = Array(#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#.utf8)
        let good = Array("{\(Self.base)}".utf8)
        let cases: [(String, [UInt8], [UInt8], AuthError.Reason?)] = [
            ("valid", header, good, nil),
            ("header with whitespace", Array("{ \"alg\" : \"HS256\",\n\"kid\":\"k1\", \"typ\":\"at+jwt\" }".utf8), good, nil),
            ("duplicate alg in header", Array(#"{"alg":"HS256","alg":"none","kid":"k1","typ":"at+jwt"}"#.utf8), good, .malformedToken),
            ("duplicate exp", header, Array("{\(Self.base),\"exp\":1}".utf8), .malformedToken),
            ("huge exp", header, Array(#"{"iss":"tokenbench","sub":"u","aud":"tokenbench-api","exp":99999999999999999999,"iat":1,"jti":"j","sid":"s"}"#.utf8), .malformedToken),
            ("deep nesting", header, Array("{\(Self.base),\"x\":\(String(repeating: "[", count: 600))\(String(repeating: "]", count: 600))}".utf8), .malformedToken),
            ("alg none", Array(#"{"alg":"none","kid":"k1","typ":"at+jwt"}"#.utf8), good, .unsecuredAlgorithm),
            ("unknown kid", Array(#"{"alg":"HS256","kid":"k2","typ":"at+jwt"}"#.utf8), good, .unknownKey),
            ("crit", Array(#"{"alg":"HS256","kid":"k1","typ":"at+jwt","crit":["exp"]}"#.utf8), good, .malformedToken),
            ("no typ", Array(#"{"alg":"HS256","kid":"k1"}"#.utf8), good, .wrongTokenType),
            ("wrong issuer", header, Array(#"{"iss":"x","sub":"u","aud":"tokenbench-api","exp":1800000000,"iat":1,"jti":"j","sid":"s"}"#.utf8), .wrongIssuer),
            ("expired", header, Array(#"{"iss":"tokenbench","sub":"u","aud":"tokenbench-api","exp":1,"iat":1,"jti":"j","sid":"s"}"#.utf8), .tokenExpired),
            ("empty sub", header, Array(#"{"iss":"tokenbench","sub":"","aud":"tokenbench-api","exp":1800000000,"iat":1,"jti":"j","sid":"s"}"#.utf8), .missingClaim),
            ("not JSON", header, Array("not json".utf8), .malformedToken),
        ]
        for (label, h, p, expected) in cases {
            let t = try token(header: h, payload: p, key: key)
            switch await outcome(ring, t, now, policy) {
            case .success(let claims):
                #expect(expected == nil, "\(label): accepted")
                #expect(claims == reference(claims: p), "\(label)")
            case .failure(let error):
                #expect(error.reason == expected, "\(label): \(error)")
            }
        }
        // Non-canonical base64url of the header (unused trailing bits set): the header is 42
        // bytes, 56 characters, the last carrying 4 unused bits. Both readings of the header
        // share the decoder, so the decision follows what it decodes to.
        let canonical = Array(Base64.encodeToString(bytes: header, options: [.base64UrlAlphabet, .omitPaddingCharacter]).utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var text = canonical
        text[text.count - 1] = alphabet[alphabet.firstIndex(of: text[text.count - 1])! | 1]
        #expect(text != canonical)
        let nonCanonical = String(decoding: text, as: UTF8.self)
        let t = try token(header: header, payload: good, key: key, headerText: nonCanonical)
        let decoded = try? Base64.decode(string: nonCanonical, options: [.base64UrlAlphabet, .omitPaddingCharacter])
        switch await outcome(ring, t, now, policy) {
        case .success: #expect(decoded == header, "accepted only if it decodes to the header")
        case .failure(let error): #expect(decoded != header && error.reason == .malformedToken, "\(error)")
        }
    }

    func outcome(_ ring: SigningKeyRing, _ token: String, _ now: Date, _ policy: AccessTokenPolicy) async -> Result<AccessTokenClaims, AuthError> {
        do throws(AuthError) {
            return .success(try await ring.verify(token, now: now, policy: policy))
        } catch {
            return .failure(error)
        }
    }
}
