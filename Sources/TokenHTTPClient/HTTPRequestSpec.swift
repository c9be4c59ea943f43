import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

/// One HTTP request as the driver sends it.
public struct HTTPRequestSpec: Sendable {
    public var method: HTTPMethod
    /// Path and query, e.g. `/oauth/token`.
    public var path: String
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(method: HTTPMethod, path: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}
