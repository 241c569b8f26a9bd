/// What the dissectors extracted from one flow. Allocated only for flows a dissector claims;
/// each dissector keeps its own small state and results here and writes its own JSON fields.
public final class FlowMetadata {
    public init() {}

    func writeJSON(to w: JSONWriter) {}
}
