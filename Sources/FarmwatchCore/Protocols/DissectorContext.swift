/// State the dissectors share across flows.
public final class DissectorContext {
    public init() {}
}
