import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

/// One HTTP answer, read whole.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer
}
