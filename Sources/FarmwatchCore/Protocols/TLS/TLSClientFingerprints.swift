/// Every fingerprint of one ClientHello: the JA4 forms (the original, wire-order ones only
/// when asked for) and JA3 with its input string. Computed once per hello (the catalogue and
/// the output both read them).
public struct TLSClientFingerprints: Sendable {
    public typealias JA4Forms = (ja4: String, raw: String, original: String?, originalRaw: String?)
    public var ja4: JA4Forms
    public var ja3String: String
    public var ja3: String

    public init(_ hello: TLSClientHello, transport: JA4Transport) {
        self.init(hello, transport: transport, sortedForms: nil, originalForms: true)
    }

    init(_ hello: TLSClientHello, transport: JA4Transport,
         sortedForms: BoundedCache<ByteKey, (ja4: String, raw: String)>?, originalForms: Bool) {
        self.init(ja4: JA4.fingerprint(hello, transport: transport, sortedForms: sortedForms, originalForms: originalForms),
                  ja3Of: hello)
    }

    /// JA4 known already; JA3 computed from the hello.
    init(ja4: JA4Forms, ja3Of hello: TLSClientHello) {
        self.ja4 = ja4
        ja3String = JA3.string(hello)
        ja3 = JA3.hash(ja3String)
    }
}

extension TLSClientFingerprints {
    /// The fingerprints of `hello` through the context's cache (keyed by `shape`), with the
    /// original JA4 forms when the run asked for them: what a flow is concluded with.
    static func cached(_ hello: TLSClientHello, transport: JA4Transport, in context: DissectorContext) -> TLSClientFingerprints {
        let wireKey = ByteKey(shape(of: hello, transport: transport, sortingExtensions: false))
        if let known = context.clientFingerprints.value(for: wireKey) { return known }
        guard !context.ja4AllForms else {
            // The original JA4 forms follow the wire order: kept by it alone.
            let f = TLSClientFingerprints(hello, transport: transport, sortedForms: context.ja4SortedForms,
                                          originalForms: true)
            context.clientFingerprints.insert(wireKey, f)
            return f
        }
        // Chrome and Firefox send their extensions in a new order on every connection, so by
        // wire order their hellos always miss. JA4 sorts the extensions: it is looked up by the
        // sorted shape, and only JA3, which follows the wire order, is computed. Such hellos
        // are not kept by wire order, where they would only push the other clients out.
        let sortedKey = ByteKey(shape(of: hello, transport: transport, sortingExtensions: true))
        if let ja4 = context.clientJA4.value(for: sortedKey) {
            return TLSClientFingerprints(ja4: ja4, ja3Of: hello)
        }
        let f = TLSClientFingerprints(hello, transport: transport, sortedForms: context.ja4SortedForms,
                                      originalForms: false)
        context.clientJA4.insert(sortedKey, f.ja4)
        context.clientFingerprints.insert(wireKey, f)
        return f
    }

    /// What the fingerprints are computed from, GREASE left out as they leave it out, as one
    /// byte string: two hellos with the same shape have the same fingerprints (the key of the
    /// context's cache; the random, session id and key shares are not part of it). With
    /// `sortingExtensions`, what JA4 alone depends on, since it sorts the extensions itself.
    static func shape(of hello: TLSClientHello, transport: JA4Transport, sortingExtensions: Bool) -> [UInt8] {
        let alpn = hello.alpn.first ?? []
        let size = 3 + 2 * (5 + hello.ciphers.count + hello.extensions.count + hello.supportedGroups.count
            + hello.signatureAlgorithms.count + hello.supportedVersions.count)
            + 1 + hello.ecPointFormats.count + 2 + alpn.count
        // Written through a pointer into one allocation: built for every hello, twice for a
        // client that shuffles its extensions.
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, written in
            var p = buffer.baseAddress!
            @inline(__always) func put(_ b: UInt8) {
                p.initialize(to: b)
                p += 1
            }
            put(transport.marker)
            put(UInt8(hello.version >> 8))
            put(UInt8(hello.version & 0xFF))
            // Each list behind its length, so that values cannot slide from one list to the next.
            func append(_ list: [UInt16]) {
                let length = p
                p += 2
                var n = 0
                for v in list where !TLSGrease.isGrease(v) {
                    put(UInt8(v >> 8))
                    put(UInt8(v & 0xFF))
                    n += 1
                }
                length.initialize(to: UInt8(truncatingIfNeeded: n >> 8))
                (length + 1).initialize(to: UInt8(truncatingIfNeeded: n))
            }
            append(hello.ciphers)
            append(sortingExtensions ? hello.extensions.sorted() : hello.extensions)
            append(hello.supportedGroups)
            append(hello.signatureAlgorithms)
            append(hello.supportedVersions)
            put(UInt8(truncatingIfNeeded: hello.ecPointFormats.count))
            for b in hello.ecPointFormats { put(b) }
            if hello.alpn.isEmpty {
                put(0)
            } else {
                put(1)
                put(UInt8(truncatingIfNeeded: alpn.count))
                for b in alpn { put(b) }
            }
            written = p - buffer.baseAddress!
        }
    }
}
