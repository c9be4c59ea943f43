import ExtrasBase64

/// The identifier of a refresh-token family (a session): 128 random bits. It is the `sid`
/// claim of every access token minted in the session.
public struct FamilyID: Hashable, Sendable, CustomStringConvertible {
    /// The 128 bits.
    public let rawValue: UInt128

    public init(rawValue: UInt128) { self.rawValue = rawValue }

    /// A fresh identifier from `random`.
    public static func random(using random: any RandomSource) -> FamilyID {
        FamilyID(rawValue: random.uint128())
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: rawValue.bigEndian) { Array($0) }
    }

    /// Reads 16 big-endian bytes. Returns `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var value: UInt128 = 0
        let copied: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(buffer)) }
            value = UInt128(bigEndian: value)
        }
        if copied == nil {
            for b in bytes { value = (value << 8) | UInt128(b) }
        }
        self.rawValue = value
    }

    /// The base64url form (22 characters, no padding): the `sid` claim.
    public var string: String {
        withUnsafeBytes(of: rawValue.bigEndian) {
            Base64.encodeToString(bytes: $0, options: [.base64UrlAlphabet, .omitPaddingCharacter])
        }
    }

    /// Parses the base64url form. Returns `nil` for anything else.
    public init?(string: String) {
        guard string.utf8.count == 22,
              let decoded = try? Base64.decode(string: string, options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              let id = FamilyID(bytes: decoded),
              id.string == string // canonical form only
        else { return nil }
        self = id
    }

    public var description: String { string }
}
