import ExtrasBase64
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TokenResults
import TokenPool
import TokenHTTPClient

/// Whether each endpoint of a target has answered with success: a 404 from an endpoint that
/// has worked is the server's answer, from one that never has it is a wrong path.
package final class EndpointRecord: Sendable {
    private let flags = Atomic<UInt8>(0)

    package func mark(_ endpoint: HTTPTarget.Endpoint) {
        let bit = UInt8(1) << UInt8(endpoint.rawValue)
        if flags.load(ordering: .relaxed) & bit == 0 { flags.bitwiseOr(bit, ordering: .relaxed) }
    }

    package func has(_ endpoint: HTTPTarget.Endpoint) -> Bool {
        flags.load(ordering: .relaxed) & (UInt8(1) << UInt8(endpoint.rawValue)) != 0
    }
}
