#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the JOSE header (RFC 7515 §4) and the claims set (RFC 7519 §4, RFC 9068 §2.2) of an
/// access token directly from their decoded bytes: one pass, no `JSONDecoder`, no `Data`.
/// (Two Foundation `JSONDecoder` passes were most of a verification: 7.8× the MAC it contains.)
///
/// ## Strict JSON, and how it relates to jwt-kit's decoding
/// The input is RFC 8259 JSON, read strictly. Everything it accepts, Foundation's
/// `JSONDecoder` (what jwt-kit decodes with) accepts with the same values: the differential
/// tests check this on valid and hostile inputs. It refuses, where `JSONDecoder` is lenient:
/// - a member name given twice (RFC 7515 §4: reject, or take the *last*; `JSONDecoder` takes
///   the first, so the two would read different claims from one token);
/// - a trailing comma, a byte-order mark, and invalid values of members it does not use
///   (`JSONDecoder` never looks at them: a bad escape, bytes that are not UTF-8, `01`);
/// - a NumericDate (`exp`, `iat`, `nbf`) written with a fraction or an exponent: integers
///   only, in Int64 (TokenBench writes whole seconds, RFC 7519 §2 allows fractions but
///   `JSONDecoder` refuses `1.5` as Int64 while taking `1.0` and `1e3`).
/// Nesting deeper than 512 levels is refused, as `JSONDecoder` refuses it.
///
/// Types follow `Decodable`'s rules for the two structs: a `null` optional member is absent, a
/// `null` required member or a value of another type fails.
enum JOSEReader {
    /// The header fields looked at before any key is chosen.
    struct Header: Equatable {
        var alg: String?
        var kid: String?
        var typ: String?
        var crit: [String]?
    }

    /// Why a header or a claims set was refused (all map to `malformed_token`).
    struct Refused: Error, Equatable {
        let offset: Int
        let reason: String
    }

    static let maximumDepth = 512

    static func header(_ bytes: UnsafeRawBufferPointer) throws(Refused) -> Header {
        var reader = Reader(bytes)
        var header = Header()
        var seen = MemberSet()
        try reader.object { r, name throws(Refused) in
            switch name {
            case .known(let k) where k == Names.alg: try seen.insert(k, r); header.alg = try r.optionalString()
            case .known(let k) where k == Names.kid: try seen.insert(k, r); header.kid = try r.optionalString()
            case .known(let k) where k == Names.typ: try seen.insert(k, r); header.typ = try r.optionalString()
            case .known(let k) where k == Names.crit: try seen.insert(k, r); header.crit = try r.optionalStringArray()
            case .known(let k): try seen.insert(k, r); try r.skipValue(depth: 1)
            case .other(let n): try seen.insert(other: n, r); try r.skipValue(depth: 1)
            }
        }
        return header
    }

    static func claims(_ bytes: UnsafeRawBufferPointer) throws(Refused) -> AccessTokenClaims {
        var reader = Reader(bytes)
        var iss: String?, sub: String?, aud: [String]?, exp: Int64?, iat: Int64?, nbf: Int64?, jti: String?, sid: String?
        var clientID: String?
        var seen = MemberSet()
        try reader.object { r, name throws(Refused) in
            switch name {
            case .known(let k):
                try seen.insert(k, r)
                switch k {
                case Names.iss: iss = try r.string()
                case Names.sub: sub = try r.string()
                case Names.aud: aud = try r.audience()
                case Names.exp: exp = try r.integer()
                case Names.iat: iat = try r.integer()
                case Names.nbf: nbf = try r.optionalInteger()
                case Names.jti: jti = try r.string()
                case Names.sid: sid = try r.string()
                case Names.clientID: clientID = try r.optionalString()
                default: try r.skipValue(depth: 1)
                }
            case .other(let n):
                try seen.insert(other: n, r)
                try r.skipValue(depth: 1)
            }
        }
        guard let iss, let sub, let aud, let exp, let iat, let jti, let sid else {
            throw Refused(offset: bytes.count, reason: "a required claim is missing")
        }
        return AccessTokenClaims(iss: iss, sub: sub, aud: aud, exp: exp, iat: iat, nbf: nbf, jti: jti, sid: sid, clientID: clientID)
    }

    /// Member names read without allocating: each known name is a small integer.
    enum Names {
        static let alg = 0, kid = 1, typ = 2, crit = 3
        static let iss = 4, sub = 5, aud = 6, exp = 7, iat = 8, nbf = 9, jti = 10, sid = 11, clientID = 12
        static let all: [[UInt8]] = ["alg", "kid", "typ", "crit", "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "client_id"]
            .map { Array($0.utf8) }
    }

    /// A member name: one of ``Names`` or another (its unescaped UTF-8 bytes).
    enum Name {
        case known(Int)
        case other([UInt8])
    }

    /// The names seen so far, to refuse a second occurrence.
    struct MemberSet {
        var known: UInt32 = 0
        var others: [[UInt8]] = []

        mutating func insert(_ k: Int, _ r: Reader) throws(Refused) {
            guard known & (1 << k) == 0 else { throw r.refused("duplicate member \(String(decoding: Names.all[k], as: UTF8.self))") }
            known |= 1 << k
        }

        mutating func insert(other name: [UInt8], _ r: Reader) throws(Refused) {
            guard !others.contains(name) else { throw r.refused("duplicate member") }
            others.append(name)
        }
    }

    /// A cursor over the bytes.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var i = 0

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        func refused(_ reason: String) -> Refused { Refused(offset: i, reason: reason) }

        /// RFC 8259 §2: space, tab, line feed, carriage return.
        mutating func skipWhitespace() {
            while i < bytes.count {
                let c = bytes[i]
                guard c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D else { return }
                i += 1
            }
        }

        mutating func expect(_ c: UInt8) throws(Refused) {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == c else { throw refused("expected '\(Character(Unicode.Scalar(c)))'") }
            i += 1
        }

        func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

        /// The top-level object: `{`, members, `}`, then only whitespace.
        mutating func object(_ member: (inout Reader, Name) throws(Refused) -> Void) throws(Refused) {
            try expect(UInt8(ascii: "{"))
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    skipWhitespace()
                    let name = try memberName()
                    try expect(UInt8(ascii: ":"))
                    skipWhitespace()
                    try member(&self, name)
                    skipWhitespace()
                    guard let c = peek() else { throw refused("unterminated object") }
                    i += 1
                    if c == UInt8(ascii: "}") { break }
                    guard c == UInt8(ascii: ",") else { throw refused("expected ',' or '}'") }
                }
            }
            skipWhitespace()
            guard i == bytes.count else { throw refused("bytes after the object") }
        }

        /// A member name; the known ones are matched in place, without allocating.
        mutating func memberName() throws(Refused) -> Name {
            if let plain = plainString() {
                let length = plain.upperBound - plain.lowerBound
                for (k, name) in Names.all.enumerated() where name.count == length {
                    if name.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress! + plain.lowerBound, length) == 0 }) {
                        return .known(k)
                    }
                }
                return .other(Array(bytes[plain]))
            }
            let raw = try stringBytes()
            if let k = Names.all.firstIndex(where: { $0.elementsEqual(raw) }) { return .known(k) }
            return .other(raw)
        }

        /// A string of printable ASCII without escapes at `i`: its contents' range, the cursor
        /// moved past its closing quote. `nil` (cursor unmoved) for anything else.
        mutating func plainString() -> Range<Int>? {
            guard peek() == UInt8(ascii: "\"") else { return nil }
            var j = i + 1
            while j < bytes.count {
                let c = bytes[j]
                if c == UInt8(ascii: "\"") {
                    let range = (i + 1)..<j
                    i = j + 1
                    return range
                }
                if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { return nil }
                j += 1
            }
            return nil
        }

        mutating func isNull() throws(Refused) -> Bool {
            guard peek() == UInt8(ascii: "n") else { return false }
            guard i + 4 <= bytes.count, bytes[i + 1] == UInt8(ascii: "u"), bytes[i + 2] == UInt8(ascii: "l"), bytes[i + 3] == UInt8(ascii: "l")
            else { throw refused("invalid literal") }
            i += 4
            return true
        }

        mutating func string() throws(Refused) -> String {
            guard peek() == UInt8(ascii: "\"") else { throw refused("expected a string") }
            if let plain = plainString() {
                return Self.makeString(UnsafeRawBufferPointer(rebasing: bytes[plain]))
            }
            return try stringBytes().withUnsafeBytes { Self.makeString($0) }
        }

        /// A String of UTF-8 the reader has checked, copied once. (`String(decoding:as:)` looks
        /// up a protocol conformance of its argument at run time on every call.)
        static func makeString(_ utf8: UnsafeRawBufferPointer) -> String {
            String(unsafeUninitializedCapacity: utf8.count) { buffer in
                guard let source = utf8.baseAddress, utf8.count > 0 else { return 0 }
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: source, byteCount: utf8.count)
                return utf8.count
            }
        }

        mutating func optionalString() throws(Refused) -> String? {
            try isNull() ? nil : try string()
        }

        mutating func stringArray() throws(Refused) -> [String] {
            guard peek() == UInt8(ascii: "[") else { throw refused("expected an array") }
            i += 1
            var out: [String] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { i += 1; return out }
            while true {
                skipWhitespace()
                out.append(try string())
                skipWhitespace()
                guard let c = peek() else { throw refused("unterminated array") }
                i += 1
                if c == UInt8(ascii: "]") { return out }
                guard c == UInt8(ascii: ",") else { throw refused("expected ',' or ']'") }
            }
        }

        mutating func optionalStringArray() throws(Refused) -> [String]? {
            try isNull() ? nil : try stringArray()
        }

        /// `aud`: one string, or an array of strings (RFC 7519 §4.1.3).
        mutating func audience() throws(Refused) -> [String] {
            peek() == UInt8(ascii: "\"") ? [try string()] : try stringArray()
        }

        /// An integer `-?(0|[1-9][0-9]*)` that fits Int64; no fraction, no exponent.
        mutating func integer() throws(Refused) -> Int64 {
            let negative = peek() == UInt8(ascii: "-")
            if negative { i += 1 }
            guard let first = peek(), first >= 0x30, first <= 0x39 else { throw refused("expected an integer") }
            var magnitude: UInt64 = 0
            if first == 0x30 {
                i += 1
            } else {
                while let c = peek(), c >= 0x30, c <= 0x39 {
                    let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
                    guard !o1, !o2 else { throw refused("integer out of range") }
                    magnitude = s
                    i += 1
                }
            }
            if let c = peek(), c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || (c >= 0x30 && c <= 0x39) {
                throw refused("a NumericDate must be a whole number of seconds")
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { throw refused("integer out of range") }
                return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { throw refused("integer out of range") }
            return Int64(magnitude)
        }

        mutating func optionalInteger() throws(Refused) -> Int64? {
            try isNull() ? nil : try integer()
        }

        /// A string's contents, unescaped, checked to be UTF-8 (RFC 8259 §7, §8.1).
        mutating func stringBytes() throws(Refused) -> [UInt8] {
            guard peek() == UInt8(ascii: "\"") else { throw refused("expected a string") }
            i += 1
            let start = i
            // Fast path: printable ASCII without escapes.
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") {
                    let out = Array(bytes[start..<i])
                    i += 1
                    return out
                }
                if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { break }
                i += 1
            }
            var out = Array(bytes[start..<i])
            while true {
                guard i < bytes.count else { throw refused("unterminated string") }
                let c = bytes[i]
                switch c {
                case UInt8(ascii: "\""):
                    i += 1
                    return out
                case UInt8(ascii: "\\"):
                    i += 1
                    guard let e = peek() else { throw refused("unterminated escape") }
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = UInt32(try hex4())
                        if scalar >= 0xD800 && scalar <= 0xDBFF {
                            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                                throw refused("unpaired surrogate")
                            }
                            i += 2
                            let low = UInt32(try hex4())
                            guard low >= 0xDC00 && low <= 0xDFFF else { throw refused("unpaired surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                            throw refused("unpaired surrogate")
                        }
                        out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                    default: throw refused("invalid escape")
                    }
                case 0..<0x20:
                    throw refused("control character in a string")
                case 0x80...:
                    let length = try utf8Sequence()
                    out.append(contentsOf: bytes[i..<(i + length)])
                    i += length
                default:
                    out.append(c)
                    i += 1
                }
            }
        }

        mutating func hex4() throws(Refused) -> UInt16 {
            guard i + 4 <= bytes.count else { throw refused("short \\u escape") }
            var v: UInt16 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x41...0x46: d = c - 0x41 + 10
                case 0x61...0x66: d = c - 0x61 + 10
                default: throw refused("invalid \\u escape")
                }
                v = v << 4 | UInt16(d)
                i += 1
            }
            return v
        }

        /// The length of the well-formed UTF-8 sequence at `i` (Unicode 15 Table 3-7), or a refusal.
        func utf8Sequence() throws(Refused) -> Int {
            let c = bytes[i]
            let length: Int, low: UInt8, high: UInt8
            switch c {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: throw refused("not UTF-8")
            }
            guard i + length <= bytes.count else { throw refused("not UTF-8") }
            guard bytes[i + 1] >= low, bytes[i + 1] <= high else { throw refused("not UTF-8") }
            for k in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[i + k]) { throw refused("not UTF-8") }
            return length
        }

        /// Checks and skips any JSON value; `depth` is the nesting of the value's container.
        mutating func skipValue(depth: Int) throws(Refused) {
            skipWhitespace()
            guard let c = peek() else { throw refused("expected a value") }
            switch c {
            case UInt8(ascii: "\""): _ = try stringBytes()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < JOSEReader.maximumDepth else { throw refused("nested deeper than \(JOSEReader.maximumDepth)") }
                let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                i += 1
                skipWhitespace()
                if peek() == close { i += 1; return }
                var names: [[UInt8]] = []
                while true {
                    skipWhitespace()
                    if c == UInt8(ascii: "{") {
                        let name = try stringBytes()
                        guard !names.contains(name) else { throw refused("duplicate member") }
                        names.append(name)
                        try expect(UInt8(ascii: ":"))
                    }
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    guard let next = peek() else { throw refused("unterminated container") }
                    i += 1
                    if next == close { return }
                    guard next == UInt8(ascii: ",") else { throw refused("expected ',' or a closing bracket") }
                }
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try number()
            }
        }

        mutating func literal(_ word: StaticString) throws(Refused) {
            let count = word.utf8CodeUnitCount
            guard i + count <= bytes.count else { throw refused("invalid literal") }
            for k in 0..<count where bytes[i + k] != word.utf8Start[k] { throw refused("invalid literal") }
            i += count
        }

        /// RFC 8259 §6 number syntax (any magnitude: a member TokenBench does not read).
        mutating func number() throws(Refused) {
            if peek() == UInt8(ascii: "-") { i += 1 }
            guard let first = peek(), first >= 0x30, first <= 0x39 else { throw refused("invalid number") }
            i += 1
            if first != 0x30 { while let c = peek(), c >= 0x30, c <= 0x39 { i += 1 } }
            if peek() == UInt8(ascii: ".") {
                i += 1
                guard let d = peek(), d >= 0x30, d <= 0x39 else { throw refused("invalid number") }
                while let c = peek(), c >= 0x30, c <= 0x39 { i += 1 }
            }
            if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                i += 1
                if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { i += 1 }
                guard let d = peek(), d >= 0x30, d <= 0x39 else { throw refused("invalid number") }
                while let c = peek(), c >= 0x30, c <= 0x39 { i += 1 }
            }
            if let c = peek(), c >= 0x30, c <= 0x39 { throw refused("invalid number") }
        }
    }
}
