import Foundation

/// A directory of signing keys that several servers share, so that they act as one service
/// (`serve --keys DIR`): each accepts the others' access tokens and publishes the same JWKS.
///
/// Files: `NAME.pem` (a PEM private key: ES256, EdDSA or RS256, see
/// ``SigningKey/fromPEM(_:kid:)``) and `NAME.hs256` (an HS256 secret of at least 32 bytes,
/// RFC 7518 §3.2). `NAME` is the key's `kid`. The key that signs is the last `NAME` in
/// byte order among the keys of the configured algorithm (name keys by date to rotate: add
/// `2026-12-02.pem`, restart the servers one by one); every other key verifies. Other files
/// (dot files, the `..data` links of a Kubernetes Secret volume) are ignored.
public enum KeyDirectory {
    /// Reads the keys in `path`.
    /// - Parameters:
    ///   - algorithm: the algorithm that signs (`--alg`).
    ///   - retirementPeriod: for the ring's later rotations, seconds.
    ///   - crypto: the library that signs and verifies (`--crypto`); it loads every key too.
    /// - Throws: ``ConfigurationError`` for a directory that cannot be read, a key file that is
    ///   not a key, a `kid` that is not `[A-Za-z0-9._-]`, or no key of `algorithm`.
    public static func load(_ path: String, signing algorithm: AccessTokenAlgorithm,
                            retirementPeriod: TimeInterval,
                            crypto: any CryptoBackend = SwiftCryptoBackend()) async throws(ConfigurationError) -> SigningKeyRing {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw ConfigurationError(setting: "--keys", accepted: "a readable directory of key files (cannot read '\(path)')")
        }
        var keys: [SigningKey] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let isPEM = name.hasSuffix(".pem"), isHS256 = name.hasSuffix(".hs256")
            guard isPEM || isHS256 else { continue }
            let kid = String(name.dropLast(isPEM ? 4 : 6))
            guard !kid.isEmpty, kid.utf8.allSatisfy({ $0 < 128 && ($0 == 0x2d || $0 == 0x2e || $0 == 0x5f || Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber) }) else {
                throw ConfigurationError(setting: "--keys", accepted: "key files named KID.pem or KID.hs256 with KID of letters, digits, '.', '_' or '-' (got '\(name)')")
            }
            let file = (path as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigurationError(setting: "--keys", accepted: "readable key files (cannot read '\(name)')")
            }
            if isHS256 {
                do { keys.append(try await SigningKey.hs256(secret: Array(data), kid: kid, crypto: crypto)) } catch {
                    throw ConfigurationError(setting: "--keys", accepted: "an HS256 secret of at least 32 bytes in '\(name)' (got \(data.count))")
                }
            } else {
                guard let text = String(data: data, encoding: .utf8) else {
                    throw ConfigurationError(setting: "--keys", accepted: "PEM text in '\(name)'")
                }
                do { keys.append(try await SigningKey.fromPEM(text, kid: kid, crypto: crypto)) } catch {
                    throw ConfigurationError(setting: "--keys", accepted: "\(error.accepted) in '\(name)'")
                }
            }
        }
        guard let current = keys.last(where: { $0.algorithm == algorithm }) else {
            throw ConfigurationError(setting: "--keys", accepted: "a key of the signing algorithm \(algorithm.rawValue) in '\(path)' (found \(keys.count) other keys)")
        }
        return SigningKeyRing(current: current, verifying: keys.filter { $0.kid != current.kid }, retirementPeriod: retirementPeriod)
    }

    /// The refresh-token MAC secret from a file (`--refresh-secret-file`): its bytes as they
    /// are, at least 32.
    /// - Throws: ``ConfigurationError`` for a file that cannot be read or is too short.
    public static func refreshSecret(file: String) throws(ConfigurationError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError(setting: "--refresh-secret-file", accepted: "a readable file (cannot read '\(file)')")
        }
        guard data.count >= 32 else {
            throw ConfigurationError(setting: "--refresh-secret-file", accepted: "a secret of at least 32 bytes (the file has \(data.count))")
        }
        return Array(data)
    }
}
