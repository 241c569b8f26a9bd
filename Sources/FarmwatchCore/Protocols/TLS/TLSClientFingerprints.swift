/// Every fingerprint of one ClientHello: the four JA4 forms and JA3 with its input string.
/// Computed once per hello (the catalogue and the output both read them).
public struct TLSClientFingerprints: Sendable {
    public var ja4: (ja4: String, raw: String, original: String, originalRaw: String)
    public var ja3String: String
    public var ja3: String

    public init(_ hello: TLSClientHello, transport: JA4Transport) {
        ja4 = JA4.fingerprint(hello, transport: transport)
        ja3String = JA3.string(hello)
        ja3 = JA3.hash(ja3String)
    }
}
