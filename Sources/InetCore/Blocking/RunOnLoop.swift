/// Runs `body` on `loop` and returns its result: directly when already there, else by hopping
/// and waiting (refused with `wouldDeadlock` on another loop's thread). For event-layer calls
/// made off the loop, which must see the connection's loop-confined state.
package func runOnLoop<T: Sendable>(
    _ loop: EventLoop, _ what: String, _ body: @escaping @Sendable () -> Result<T, InetError>
) throws(InetError) -> T {
    if loop.inEventLoop { return try body().get() }
    return try blockForCompletion(what) { (completion: Completion<T>) in
        if !loop.execute({ completion.complete(body()) }) {
            completion.fail(InetError(.eventLoopShutdown, "the event loop was shut down"))
        }
    }
}
