import NIOSSL

/// How the driver trusts an HTTPS server (curl's flags): the system's roots by default,
/// `--cacert FILE` to trust only the certificates of a PEM file, `--insecure` to verify nothing.
public struct TLSSettings: Sendable, Hashable {
    /// A PEM file of CA certificates; when set, only these are trusted (as curl's `--cacert`).
    public var caCertificateFile: String?
    /// Verify neither the certificate chain nor the host name (curl's `--insecure`).
    public var insecure: Bool

    public init(caCertificateFile: String? = nil, insecure: Bool = false) {
        self.caCertificateFile = caCertificateFile
        self.insecure = insecure
    }

    /// The TLS client context: TLS 1.2 or later, the trust roots and verification chosen.
    /// - Throws: ``HTTPTargetError`` (`--cacert`) when the file is missing or holds no PEM certificate.
    package func makeContext() throws(HTTPTargetError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if insecure {
            configuration.certificateVerification = .none
        } else if let file = caCertificateFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw HTTPTargetError("--cacert", "a readable PEM file of CA certificates ('\(file)' cannot be read as one)")
            }
            guard !certificates.isEmpty else {
                throw HTTPTargetError("--cacert", "a PEM file with at least one certificate ('\(file)' has none)")
            }
            configuration.trustRoots = .certificates(certificates)
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw HTTPTargetError("--cacert", "certificates a TLS context accepts (\(error))")
        }
    }
}
