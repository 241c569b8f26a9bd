/// The dissectors farmwatch runs by default, in the order they see each chunk. Adding a
/// dissector: give it a bit and a metadata slot here, add it to `flowStarted` and `feed`.
/// Everything else about it lives in its own file.
public struct StandardDissectors: DissectorSet {
    // Metadata slots (see FlowMetadata), one per dissector that keeps facts.
    public static let sshSlot = 0

    // Mask bits.
    static let sshBit: UInt64 = 1 << 0

    public let context: DissectorContext

    public init(context: DissectorContext = DissectorContext()) {
        self.context = context
    }

    @inline(__always)
    public func flowStarted(_ flow: inout FlowState, firstPacket p: Packet) {
        flow.dissectorMask = wantsBit(SSHDissector.self, bit: Self.sshBit, flow, p)
    }

    @inline(__always)
    public func feed(_ chunk: StreamChunk, flow: inout FlowState) {
        run(SSHDissector.self, bit: Self.sshBit, chunk, &flow, context)
    }
}
