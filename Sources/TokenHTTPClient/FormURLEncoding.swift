/// `application/x-www-form-urlencoded` as RFC 6749 Appendix B uses it (the WHATWG URL
/// standard's form serialisation): every byte of the UTF-8 encoding percent-encoded except
/// ALPHA, DIGIT, `-`, `.`, `_`, `*`; a space as `+`. TokenBench's one form encoder: token
/// requests, client credentials in HTTP Basic (RFC 6749 §2.3.1), and the probe's own requests.
public enum FormURLEncoding {
    /// One name or value, escaped.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "):
                out.append("+")
            default:
                out.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 0x0f)]))
            }
        }
        return out
    }

    /// A whole body: `name=value` pairs joined with `&`, in order.
    public static func body(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }
}
