import Foundation

/// Runs the flow-end stage (detection, flow records, the output stream) on a thread of its
/// own, the way Zeek runs its log writers in threads: the packet thread hands ended flows over
/// in batches and goes back to packets, so rendering and scoring a flow never stalls capture.
///
/// - Order is kept: one consumer takes the batches first in, first out, so the output is the
///   same, byte for byte, as when the stage runs inline.
/// - Memory is bounded: at most `maxQueuedBatches` batches wait; beyond that the packet
///   thread waits for the stage (back-pressure, never growth).
/// - A flow handed over is no longer touched by the packet thread: the engine has removed it
///   from its table. The stage first concludes it (the dissectors' `flowEnding`: SSH use,
///   Tor, the signature catalogue), which reads only the flow and the read-only catalogue and
///   writes only the flow and the KVM sightings (applied to the devices at the run's end).
/// - Whatever reads the next sink's results (findings, summaries) does so after `finish()`,
///   which waits for the stage to drain.
public final class FlowEndThread: FlowSink {
    public static let defaultBatchSize = 256
    public static let defaultMaxQueuedBatches = 8

    private let next: FlowSink
    private let conclude: (inout FlowState) -> Void
    private let batchSize: Int
    private let maxQueuedBatches: Int
    /// The batch being filled; the packet thread's alone.
    private var filling: [(FlowState, FlowEndReason)] = []
    /// Guarded by `condition`.
    private var queued: [[(FlowState, FlowEndReason)]] = []
    private var closed = false
    private let condition = NSCondition()
    private let drained = DispatchSemaphore(value: 0)
    private var finished = false

    public init(next: FlowSink, conclude: @escaping (inout FlowState) -> Void,
                batchSize: Int = defaultBatchSize, maxQueuedBatches: Int = defaultMaxQueuedBatches) {
        self.next = next
        self.conclude = conclude
        self.batchSize = max(1, batchSize)
        self.maxQueuedBatches = max(1, maxQueuedBatches)
        filling.reserveCapacity(self.batchSize)
        let thread = Thread { [self] in consume() }
        thread.name = "farmwatch flow end"
        thread.start()
    }

    public func flowEnded(_ flow: consuming FlowState, reason: FlowEndReason) {
        filling.append((consume flow, reason))
        if filling.count >= batchSize { handOver() }
    }

    /// The engine calls this after each expiry pass: a live capture's records then leave
    /// within about a second of packet time even when few flows end.
    public func flush() {
        if !filling.isEmpty { handOver() }
    }

    private func handOver() {
        let batch = filling
        filling = []
        filling.reserveCapacity(batchSize)
        condition.lock()
        while queued.count >= maxQueuedBatches { condition.wait() }
        queued.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    private func consume() {
        while true {
            condition.lock()
            while queued.isEmpty && !closed { condition.wait() }
            if queued.isEmpty {
                condition.unlock()
                break
            }
            var batch = queued.removeFirst()
            condition.broadcast()
            condition.unlock()
            // Concluded where they lie in the batch: a flow's state is a kilobyte, not copied.
            for i in batch.indices {
                // Flows the packet thread concluded itself (end of input) are only written.
                if !batch[i].0.concluded { conclude(&batch[i].0) }
                next.flowEnded(batch[i].0, reason: batch[i].1)
            }
        }
        drained.signal()
    }

    /// Hands over the last batch and waits until every flow has passed the stage. After this
    /// the next sink is quiet and may be read from the calling thread.
    public func finish() {
        guard !finished else { return }
        finished = true
        flush()
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        drained.wait()
    }

    deinit { finish() }
}
