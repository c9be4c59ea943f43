import Foundation
import JWTKit

/// Writes the JSON of access-token headers and claims directly (Foundation's `JSONEncoder`
/// was the largest cost of a refresh). Strings are escaped per RFC 8259 §7; the output is
/// checked against `JSONDecoder` in the tests.
enum AccessTokenJSON {
    static func header(alg: String, kid: String) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(64)
        out.append(contentsOf: #"{"alg":"#.utf8)
        appendString(alg, to: &out)
        out.append(contentsOf: #","kid":"#.utf8)
        appendString(kid, to: &out)
        out.append(contentsOf: #","typ":"at+jwt"}"#.utf8)
        return out
    }

    static func claims(_ c: AccessTokenClaims) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        out.append(contentsOf: #"{"iss":"#.utf8)
        appendString(c.iss, to: &out)
        out.append(contentsOf: #","sub":"#.utf8)
        appendString(c.sub, to: &out)
        out.append(contentsOf: #","aud":"#.utf8)
        if c.aud.count == 1 {
            appendString(c.aud[0], to: &out)
        } else {
            out.append(UInt8(ascii: "["))
            for (i, a) in c.aud.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(a, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: #","exp":"#.utf8)
        appendInteger(c.exp, to: &out)
        out.append(contentsOf: #","iat":"#.utf8)
        appendInteger(c.iat, to: &out)
        if let nbf = c.nbf {
            out.append(contentsOf: #","nbf":"#.utf8)
            appendInteger(nbf, to: &out)
        }
        out.append(contentsOf: #","jti":"#.utf8)
        appendString(c.jti, to: &out)
        out.append(contentsOf: #","sid":"#.utf8)
        appendString(c.sid, to: &out)
        if let client = c.clientID {
            out.append(contentsOf: #","client_id":"#.utf8)
            appendString(client, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func appendInteger(_ value: Int64, to out: inout [UInt8]) { JSONText.appendInteger(value, to: &out) }
    static func appendString(_ s: String, to out: inout [UInt8]) { JSONText.appendString(s, to: &out) }
}

/// JSON text written directly (RFC 8259): the access-token header and claims, and the
/// server's token and resource answers. Checked against Foundation's `JSONDecoder` in the tests.
public enum JSONText {
    /// Appends a decimal integer (no intermediate `String`).
    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: buffer[i...])
        }
    }

    /// Appends `s` as a JSON string: quotes, backslashes and control characters escaped;
    /// other UTF-8 bytes as they are (Swift strings are valid UTF-8).
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: nothing to escape (the usual case for ids, issuers, audiences).
        let plain = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
