import SwiftASN1
import X509

/// What farmwatch reports about one X.509 certificate seen in a handshake.
///
/// Decoded with swift-asn1 and swift-certificates' public types (names, extensions, general
/// names) field by field, rather than through `X509.Certificate`: that type refuses any
/// certificate whose key it could not verify with (RSA under 2048 bits, DSA, brainpool,
/// post-quantum keys), and a monitor has to describe exactly those too.
public struct TLSCertificateSummary: Sendable {
    /// RFC 4514 strings (most specific attribute first), as swift-certificates renders them.
    public var subject = ""
    public var issuer = ""
    /// Subject attributes (the first of each kind).
    public var commonName: [UInt8]?
    public var organization: [UInt8]?
    public var organizationalUnit: [UInt8]?
    public var country: [UInt8]?
    public var sanDNS: [[UInt8]] = []
    /// IP addresses in the subject alternative names, in text form.
    public var sanIP: [String] = []
    /// ISO 8601 UTC ("2024-01-31T12:00:00Z").
    public var notBefore: String?
    public var notAfter: String?
    /// The serial number's magnitude in upper-case hex, as Zeek's x509.log writes it.
    public var serial = ""
    /// Issued by its own subject (issuer and subject names equal, and the key identifiers too
    /// when both are given).
    public var selfSigned = false
    /// "rsa", "ecdsa", "dsa", "ed25519", "ed448", "rsa-pss", or the algorithm's OID.
    public var keyType = ""
    public var keyBits: Int?
    /// SHA-256 of the DER encoding, lower-case hex (the usual certificate fingerprint).
    public var sha256 = ""
    /// Some field did not decode (the rest is still reported).
    public var incomplete = false

    /// Summarises a DER certificate; nil when even its outer structure does not parse.
    public static func parse(_ der: [UInt8]) -> TLSCertificateSummary? {
        var s = TLSCertificateSummary()
        do {
            let root = try DER.parse(der)
            try DER.sequence(root, identifier: .sequence) { certificate in
                guard let tbs = certificate.next(), certificate.next() != nil, certificate.next() != nil else {
                    throw ASN1Error.invalidASN1Object(reason: "certificate needs three parts")
                }
                try DER.sequence(tbs, identifier: .sequence) { fields in try s.read(&fields) }
            }
        } catch {
            return nil
        }
        s.sha256 = Hex.sha256(der)
        return s
    }

    /// Reads TBSCertificate (RFC 5280 §4.1): [0] version, serial, signature algorithm, issuer,
    /// validity, subject, subjectPublicKeyInfo, [1] [2] unique ids, [3] extensions. The
    /// mandatory fields' framing must hold; their contents may fail one by one.
    private mutating func read(_ fields: inout ASN1NodeCollection.Iterator) throws {
        _ = try DER.optionalExplicitlyTagged(&fields, tagNumber: 0, tagClass: .contextSpecific) { $0 }
        guard let serialNode = fields.next(), let _ = fields.next(), let issuerNode = fields.next(),
              let validityNode = fields.next(), let subjectNode = fields.next(), let keyNode = fields.next()
        else { throw ASN1Error.invalidASN1Object(reason: "TBSCertificate too short") }

        if serialNode.identifier == .integer, case .primitive(let bytes) = serialNode.content {
            // The magnitude: a positive serial's leading 0x00 sign byte is not part of it.
            serial = Hex.string(bytes.count > 1 && bytes.first == 0 ? bytes.dropFirst() : bytes).uppercased()
        } else {
            incomplete = true
        }

        let issuerName = try? DistinguishedName(derEncoded: issuerNode)
        let subjectName = try? DistinguishedName(derEncoded: subjectNode)
        if let issuerName { issuer = issuerName.description } else { incomplete = true }
        if let subjectName { subject = subjectName.description; readSubject(subjectName) } else { incomplete = true }

        if let validity = try? DER.sequence(validityNode, identifier: .sequence, { v -> (String, String) in
            guard let from = v.next(), let to = v.next() else {
                throw ASN1Error.invalidASN1Object(reason: "validity needs two times")
            }
            return (try Self.isoTime(from), try Self.isoTime(to))
        }) {
            (notBefore, notAfter) = validity
        } else {
            incomplete = true
        }

        if !readKey(keyNode) { incomplete = true }

        var subjectKeyID: ArraySlice<UInt8>?
        var authorityKeyID: ArraySlice<UInt8>?
        while let node = fields.next() {
            // [1] and [2] are the obsolete unique identifiers; [3] holds the extensions.
            guard node.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific) else { continue }
            guard let extensions = try? DER.explicitlyTagged(node, tagNumber: 3, tagClass: .contextSpecific, {
                try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
            }) else {
                incomplete = true
                continue
            }
            for e in extensions {
                switch e.oid {
                case .X509ExtensionID.subjectAlternativeName:
                    guard let names = try? SubjectAlternativeNames(e) else { incomplete = true; continue }
                    for name in names {
                        switch name {
                        case .dnsName(let n): sanDNS.append(Array(n.utf8))
                        case .ipAddress(let a): sanIP.append(Self.ipText(a.bytes))
                        default: break
                        }
                    }
                case .X509ExtensionID.subjectKeyIdentifier:
                    subjectKeyID = (try? SubjectKeyIdentifier(e))?.keyIdentifier
                case .X509ExtensionID.authorityKeyIdentifier:
                    authorityKeyID = (try? AuthorityKeyIdentifier(e))?.keyIdentifier
                default:
                    break
                }
            }
        }

        if let issuerName, let subjectName, issuerName == subjectName {
            if let s = subjectKeyID, let a = authorityKeyID { selfSigned = s == a } else { selfSigned = true }
        }
    }

    private mutating func readSubject(_ name: DistinguishedName) {
        for rdn in name {
            for attribute in rdn {
                let text = Array((String(attribute.value) ?? attribute.value.description).utf8)
                switch attribute.type {
                case .RDNAttributeType.commonName where commonName == nil: commonName = text
                case .RDNAttributeType.organizationName where organization == nil: organization = text
                case .RDNAttributeType.organizationalUnitName where organizationalUnit == nil: organizationalUnit = text
                case .RDNAttributeType.countryName where country == nil: country = text
                default: break
                }
            }
        }
    }

    /// SubjectPublicKeyInfo: the algorithm, and the key size where the key says it.
    private mutating func readKey(_ node: ASN1Node) -> Bool {
        let parsed = try? DER.sequence(node, identifier: .sequence) { spki -> (ASN1ObjectIdentifier, ASN1Node?, ASN1BitString) in
            guard let algorithm = spki.next(), let key = spki.next() else {
                throw ASN1Error.invalidASN1Object(reason: "SubjectPublicKeyInfo needs two parts")
            }
            let (oid, parameters) = try DER.sequence(algorithm, identifier: .sequence) { a -> (ASN1ObjectIdentifier, ASN1Node?) in
                let oid = try ASN1ObjectIdentifier(derEncoded: &a)
                return (oid, a.next())
            }
            return (oid, parameters, try ASN1BitString(derEncoded: key))
        }
        guard let (oid, parameters, key) = parsed else { return false }
        switch oid {
        case .AlgorithmIdentifier.rsaEncryption, .AlgorithmIdentifier.rsaPSS:
            keyType = oid == .AlgorithmIdentifier.rsaPSS ? "rsa-pss" : "rsa"
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            keyBits = try? DER.sequence(DER.parse(key.bytes), identifier: .sequence) { k -> Int in
                guard let modulus = k.next(), k.next() != nil else {
                    throw ASN1Error.invalidASN1Object(reason: "RSAPublicKey needs two integers")
                }
                return try Self.integerBits(modulus)
            }
        case .AlgorithmIdentifier.idEcPublicKey:
            keyType = "ecdsa"
            if let curve = parameters.flatMap({ try? ASN1ObjectIdentifier(derEncoded: $0) }) {
                keyBits = Self.curveBits[curve]
            }
        case Self.dsa:
            keyType = "dsa"
            // Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER }: the size of p.
            keyBits = parameters.flatMap { p in
                try? DER.sequence(p, identifier: .sequence) { d -> Int in
                    guard let prime = d.next(), d.next() != nil, d.next() != nil else {
                        throw ASN1Error.invalidASN1Object(reason: "Dss-Parms needs three integers")
                    }
                    return try Self.integerBits(prime)
                }
            }
        case Self.ed25519:
            keyType = "ed25519"; keyBits = 256
        case Self.ed448:
            keyType = "ed448"; keyBits = 456
        default:
            keyType = oid.description
        }
        return true
    }

    static let dsa: ASN1ObjectIdentifier = [1, 2, 840, 10040, 4, 1]
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
    static let ed448: ASN1ObjectIdentifier = [1, 3, 101, 113]

    /// Named curves seen in certificates (RFC 5480, RFC 5639, SEC 2), by field size.
    static let curveBits: [ASN1ObjectIdentifier: Int] = [
        [1, 2, 840, 10045, 3, 1, 7]: 256,        // P-256
        [1, 3, 132, 0, 34]: 384,                 // P-384
        [1, 3, 132, 0, 35]: 521,                 // P-521
        [1, 3, 132, 0, 10]: 256,                 // secp256k1
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 7]: 256,    // brainpoolP256r1
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 11]: 384,   // brainpoolP384r1
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 13]: 512,   // brainpoolP512r1
    ]

    /// Bit length of a non-negative INTEGER node.
    static func integerBits(_ node: ASN1Node) throws -> Int {
        guard node.identifier == .integer, case .primitive(let bytes) = node.content else {
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
        let magnitude = bytes.drop { $0 == 0 }
        guard let top = magnitude.first else { return 0 }
        return (magnitude.count - 1) * 8 + (8 - top.leadingZeroBitCount)
    }

    /// Time ::= CHOICE { utcTime, generalTime } as ISO 8601 UTC.
    static func isoTime(_ node: ASN1Node) throws -> String {
        let t: (Int, Int, Int, Int, Int, Int)
        if node.identifier == .utcTime {
            let u = try UTCTime(derEncoded: node)
            t = (u.year, u.month, u.day, u.hours, u.minutes, u.seconds)
        } else {
            let g = try GeneralizedTime(derEncoded: node)
            t = (g.year, g.month, g.day, g.hours, g.minutes, g.seconds)
        }
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(t.0, 4))-\(pad(t.1, 2))-\(pad(t.2, 2))T\(pad(t.3, 2)):\(pad(t.4, 2)):\(pad(t.5, 2))Z"
    }

    /// An iPAddress general name (4 or 16 bytes) as text; other lengths (name constraints
    /// carry address/mask pairs) as hex.
    static func ipText(_ bytes: ArraySlice<UInt8>) -> String {
        let raw = Array(bytes)
        return raw.withUnsafeBytes { p in
            switch p.count {
            case 4: return IPAddress(v4At: 0, in: p).description
            case 16: return IPAddress(v6At: 0, in: p).description
            default: return Hex.string(p)
            }
        }
    }
}
