import TokenResults
/// The checks Foundation's JSON decoders skip, for files a person writes (scenarios, profiles):
/// a key given twice in one object (Foundation keeps one of them, silently) and a trailing
/// comma (Foundation accepts it). Syntax errors are left to the decoder, which names them.
package enum StrictJSON {
    /// The first such problem, as the end of a sentence (`names "grace" twice`), or `nil`.
    package static func problem(in data: some Collection<UInt8>) -> String? {
        var keys: [Set<String>?] = [] // one entry per open object (a Set) or array (nil)
        var expectKey = false
        var afterComma = false
        var iterator = data.makeIterator()
        var pending: UInt8? = nil
        func next() -> UInt8? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                continue
            case UInt8(ascii: "{"):
                keys.append(Set<String>())
                expectKey = true
                afterComma = false
            case UInt8(ascii: "["):
                keys.append(nil)
                expectKey = false
                afterComma = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if afterComma { return "has a trailing comma before '\(Character(Unicode.Scalar(c)))'" }
                if !keys.isEmpty { keys.removeLast() }
                expectKey = false
            case UInt8(ascii: ","):
                afterComma = true
                expectKey = keys.last.map { $0 != nil } ?? false
                continue
            case UInt8(ascii: "\""):
                var bytes: [UInt8] = []
                var escaped = false
                while let s = next() {
                    if escaped { bytes.append(s); escaped = false; continue }
                    if s == UInt8(ascii: "\\") { escaped = true; bytes.append(s); continue }
                    if s == UInt8(ascii: "\"") { break }
                    bytes.append(s)
                }
                if expectKey, let last = keys.indices.last, keys[last] != nil {
                    let key = String(decoding: bytes, as: UTF8.self)
                    if keys[last]!.contains(key) { return "names \"\(key)\" twice" }
                    keys[last]!.insert(key)
                    expectKey = false
                }
            case UInt8(ascii: ":"):
                expectKey = false
            default:
                break
            }
            afterComma = false
        }
        return nil
    }
}
