/// `--format json`: one JSON object per line on stdout, each with a `type` field: a `flow`
/// record as each flow ends, then one `stats` record.
public final class JSONOutput: FlowSink {
    public let writer: JSONWriter

    public init(writer: JSONWriter) { self.writer = writer }

    public func flowEnded(_ flow: FlowState, reason: FlowEndReason) {
        FlowRecordWriter.write(flow, reason: reason, to: writer)
    }

    public func finish(_ stats: RunStatistics) {
        stats.write(to: writer)
        writer.flush()
    }
}
