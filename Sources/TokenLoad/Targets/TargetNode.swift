import TokenAuth
import TokenResults
import TokenHTTPClient

/// Which server of a several-server target a request should go to (``HTTPTarget`` with
/// several URLs); unset: the next in turn.
public enum TargetNode {
    /// Set around the two requests of a two-tab refresh, so that they land on two servers.
    @TaskLocal public static var preferred: Int?
}
