/// Every fingerprint of one ClientHello: the JA4 forms (the original, wire-order ones only
/// when asked for) and JA3 with its input string. Computed once per hello (the catalogue and
/// the output both read them).
public struct TLSClientFingerprints: Sendable {
    public var ja4: (ja4: String, raw: String, original: String?, originalRaw: String?)
    public var ja3String: String
    public var ja3: String

    public init(_ hello: TLSClientHello, transport: JA4Transport) {
        self.init(hello, transport: transport, sortedForms: nil, originalForms: true)
    }

    init(_ hello: TLSClientHello, transport: JA4Transport,
         sortedForms: BoundedCache<ByteKey, (ja4: String, raw: String)>?, originalForms: Bool) {
        ja4 = JA4.fingerprint(hello, transport: transport, sortedForms: sortedForms, originalForms: originalForms)
        ja3String = JA3.string(hello)
        ja3 = JA3.hash(ja3String)
    }
}

extension TLSClientFingerprints {
    /// The fingerprints of `hello` through the context's cache (keyed by `shape`), with the
    /// original JA4 forms when the run asked for them: what a flow is concluded with.
    static func cached(_ hello: TLSClientHello, transport: JA4Transport, in context: DissectorContext) -> TLSClientFingerprints {
        context.clientFingerprints.value(for: ByteKey(shape(of: hello, transport: transport))) {
            TLSClientFingerprints(hello, transport: transport, sortedForms: context.ja4SortedForms,
                                  originalForms: context.ja4AllForms)
        }
    }

    /// What the fingerprints are computed from, GREASE left out as they leave it out, as one
    /// byte string: two hellos with the same shape have the same fingerprints (the key of the
    /// context's cache; the random, session id and key shares are not part of it).
    static func shape(of hello: TLSClientHello, transport: JA4Transport) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 * (hello.ciphers.count + hello.extensions.count + hello.supportedGroups.count
            + hello.signatureAlgorithms.count + hello.supportedVersions.count) + hello.ecPointFormats.count + 32)
        out.append(transport.marker)
        out.append(UInt8(hello.version >> 8))
        out.append(UInt8(hello.version & 0xFF))
        // Each list behind its length, so that values cannot slide from one list to the next.
        func append(_ list: [UInt16]) {
            let lengthAt = out.count
            out.append(0)
            out.append(0)
            var n = 0
            for v in list where !TLSGrease.isGrease(v) {
                out.append(UInt8(v >> 8))
                out.append(UInt8(v & 0xFF))
                n += 1
            }
            out[lengthAt] = UInt8(truncatingIfNeeded: n >> 8)
            out[lengthAt + 1] = UInt8(truncatingIfNeeded: n)
        }
        append(hello.ciphers)
        append(hello.extensions)
        append(hello.supportedGroups)
        append(hello.signatureAlgorithms)
        append(hello.supportedVersions)
        out.append(UInt8(truncatingIfNeeded: hello.ecPointFormats.count))
        out += hello.ecPointFormats
        if let alpn = hello.alpn.first {
            out.append(1)
            out.append(UInt8(truncatingIfNeeded: alpn.count))
            out += alpn
        } else {
            out.append(0)
        }
        return out
    }
}
