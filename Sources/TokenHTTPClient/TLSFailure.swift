import NIOSSL

/// Why a TLS connection failed, as a type: the driver's messages and error kinds switch on it.
///
/// swift-nio-ssl reports BoringSSL's reason only inside the text of `NIOSSLError`
/// (`BoringSSLInternalError`'s code is not public in swift-nio-ssl 2.37), so reading that text
/// happens here, once, and nowhere else.
public enum TLSFailure: Sendable, Hashable {
    /// The server's certificate chain does not verify against the trust roots
    /// (`CERTIFICATE_VERIFY_FAILED`).
    case untrustedCertificate
    /// The certificate does not name the URL's host (RFC 6125).
    case hostnameMismatch
    /// The peer does not speak TLS on this port (`WRONG_VERSION_NUMBER`, `UNEXPECTED_RECORD`).
    case notTLS
    /// Any other handshake failure, with swift-nio-ssl's text (at most 160 characters).
    case handshake(String)

    /// The failure `error` is, or `nil` when it is not a TLS error.
    public init?(_ error: any Error) {
        if let extra = error as? NIOSSLExtraError {
            if extra == .failedToValidateHostname || extra == .serverHostnameImpossibleToMatch {
                self = .hostnameMismatch
            } else {
                self = .handshake(String(String(describing: extra).prefix(160)))
            }
            return
        }
        guard let ssl = error as? NIOSSLError else { return nil }
        let text = String(describing: ssl)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            self = .untrustedCertificate
        } else if text.contains("WRONG_VERSION_NUMBER") || text.contains("UNEXPECTED_RECORD") {
            self = .notTLS
        } else {
            self = .handshake(String(text.prefix(160)))
        }
    }

    /// One line for a message.
    public var message: String {
        switch self {
        case .untrustedCertificate: "TLS: the server's certificate is not trusted (give --cacert with the CA that signed it, or --insecure)"
        case .hostnameMismatch: "TLS: the server's certificate does not name the host of the URL"
        case .notTLS: "TLS handshake failed: the server does not speak TLS on this port (use http://?)"
        case .handshake(let text): "TLS handshake failed (\(text))"
        }
    }
}
