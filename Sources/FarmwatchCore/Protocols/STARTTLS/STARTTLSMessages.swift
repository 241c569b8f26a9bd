/// The plaintext messages of the STARTTLS dialogues, read in place: the opening that tells which
/// dialect a flow speaks, the client's request for TLS and the server's answer. Everything
/// here is a pure function of bytes and allocates nothing.
///
/// Sources: SMTP RFC 5321 §4.2 and RFC 3207 §4 (STARTTLS, 220 / 454); FTP RFC 959 §4.2 and
/// RFC 4217 §4 (AUTH TLS, 234); POP3 RFC 1939 §3 and RFC 2595 §4 (STLS, +OK); IMAP RFC 9051
/// §6.2.1 (tagged STARTTLS, OK / NO / BAD); NNTP RFC 3977 §5.1 and RFC 4642 §2.2 (STARTTLS,
/// 382); ManageSieve RFC 5804 §1.7, §2.2 (capability greeting, STARTTLS, OK); XMPP RFC 6120
/// §5.4 (<starttls/>, <proceed/> / <failure/>); LDAP RFC 4511 §4.12, §4.14 (ExtendedRequest
/// 1.3.6.1.4.1.1466.20037, resultCode); PostgreSQL's "Frontend/Backend Protocol" manual,
/// "SSL Session Encryption" and "GSSAPI Session Encryption" (SSLRequest 80877103,
/// GSSENCRequest 80877104: NEGOTIATE_SSL_CODE and NEGOTIATE_GSS_CODE in postgres/postgres
/// src/include/libpq/pqcomm.h; one-byte answers S / G / N).
enum STARTTLSMessages {
    /// What a flow's first bytes say it speaks.
    enum Dialect: UInt8 {
        /// Server-first text protocols, told apart by their greeting.
        case smtpOrFTP, nntp, pop3, imap, manageSieve
        /// Client-first: the XMPP stream header, or the request for TLS itself.
        case xmpp, ldap, postgresql
    }

    // MARK: Openings

    /// The dialect of a flow whose first bytes (either side's, at stream offset 0) are `b`, and
    /// whether those bytes are the client's.
    static func opening(_ b: UnsafeRawBufferPointer) -> (dialect: Dialect, fromClient: Bool)? {
        if let dialect = greeting(b) { return (dialect, false) }
        if postgresRequest(b) != nil { return (.postgresql, true) }
        if ldapStartTLSRequest(b) != nil { return (.ldap, true) }
        if xmppStreamHeader(b) { return (.xmpp, true) }
        return nil
    }

    /// A server's greeting line: a reply code (220 SMTP or FTP, 200/201 NNTP), `+OK` (POP3),
    /// `* OK` / `* PREAUTH` (IMAP), or a quoted capability name (ManageSieve).
    static func greeting(_ b: UnsafeRawBufferPointer) -> Dialect? {
        if let (code, _) = replyCode(b) {
            switch code {
            case 220: return .smtpOrFTP
            case 200, 201: return .nntp
            default: return nil
            }
        }
        if b.hasPrefix("+OK") { return .pop3 }
        if b.hasPrefix("* ") {
            let status = word(b, from: 2)
            return status.equalsIgnoringCase("ok") || status.equalsIgnoringCase("preauth") ? .imap : nil
        }
        if b.count >= 2 && b[0] == UInt8(ascii: "\"") && isLetter(b[1]) { return .manageSieve }
        return nil
    }

    /// The XMPP client's opening: an XML declaration or the stream header, white space allowed
    /// before it.
    static func xmppStreamHeader(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < b.count && isSpace(b[i]) { i += 1 }
        let rest = UnsafeRawBufferPointer(rebasing: b[i...])
        return rest.hasPrefix("<?xml") || rest.hasPrefix("<stream:stream")
    }

    // MARK: Text lines

    /// A reply line's three-digit code, and whether it is the reply's last line (`220 ...`
    /// rather than the continuation `220-...`).
    static func replyCode(_ line: UnsafeRawBufferPointer) -> (code: Int, final: Bool)? {
        guard line.count >= 4, ASCII.isDigit(line[0]), ASCII.isDigit(line[1]), ASCII.isDigit(line[2]) else { return nil }
        let code = Int(line[0] - 48) * 100 + Int(line[1] - 48) * 10 + Int(line[2] - 48)
        switch line[3] {
        case UInt8(ascii: "-"): return (code, false)
        case UInt8(ascii: " "), 0x0D, 0x0A: return (code, true)
        default: return nil
        }
    }

    /// The word of `line` that starts at `from`: up to a space, tab, CR or LF.
    static func word(_ line: UnsafeRawBufferPointer, from: Int) -> UnsafeRawBufferPointer {
        guard from < line.count else { return UnsafeRawBufferPointer(rebasing: line[line.count...]) }
        var end = from
        while end < line.count && !isSpace(line[end]) { end += 1 }
        return UnsafeRawBufferPointer(rebasing: line[from..<end])
    }

    /// Where the word after the one starting at `from` begins (past one space).
    static func nextWord(_ line: UnsafeRawBufferPointer, after from: Int) -> Int {
        from + word(line, from: from).count + 1
    }

    /// The client's request for TLS in a server-first dialect, as the protocol it names.
    /// IMAP's is tagged: `tag` is where the tag lies in the line.
    static func textRequest(_ line: UnsafeRawBufferPointer, _ dialect: Dialect) -> (STARTTLSProtocol, tag: Range<Int>)? {
        let first = word(line, from: 0)
        switch dialect {
        case .smtpOrFTP:
            if first.equalsIgnoringCase("starttls") { return (.smtp, 0..<0) }
            // RFC 4217's AUTH TLS, and the drafts' AUTH SSL / TLS-C / TLS-P still sent by old clients.
            let mechanism = word(line, from: nextWord(line, after: 0))
            guard first.equalsIgnoringCase("auth"), mechanism.count >= 3 else { return nil }
            let name = UnsafeRawBufferPointer(rebasing: mechanism[..<3])
            return name.equalsIgnoringCase("tls") || name.equalsIgnoringCase("ssl") ? (.ftp, 0..<0) : nil
        case .nntp:
            return first.equalsIgnoringCase("starttls") ? (.nntp, 0..<0) : nil
        case .manageSieve:
            return first.equalsIgnoringCase("starttls") ? (.manageSieve, 0..<0) : nil
        case .pop3:
            return first.equalsIgnoringCase("stls") ? (.pop3, 0..<0) : nil
        case .imap:
            guard !first.isEmpty, first[0] != UInt8(ascii: "*"), first[0] != UInt8(ascii: "+"),
                  word(line, from: first.count + 1).equalsIgnoringCase("starttls") else { return nil }
            return (.imap, 0..<first.count)
        case .xmpp, .ldap, .postgresql:
            return nil
        }
    }

    /// What the server's line says to a pending request: nil while the answer is still to come
    /// (a continuation line, an untagged IMAP response, another command's tagged one).
    static func textAnswer(_ line: UnsafeRawBufferPointer, to request: STARTTLSProtocol,
                           tag: UnsafeRawBufferPointer) -> Bool? {
        switch request {
        case .smtp, .ftp, .nntp:
            guard let (code, final) = replyCode(line) else { return false }
            guard final else { return nil }
            return code == (request == .smtp ? 220 : request == .ftp ? 234 : 382)
        case .pop3:
            return line.hasPrefix("+OK")
        case .imap:
            let first = word(line, from: 0)
            guard first.elementsEqual(tag) else { return nil }
            let status = word(line, from: first.count + 1)
            if status.equalsIgnoringCase("ok") { return true }
            return status.equalsIgnoringCase("no") || status.equalsIgnoringCase("bad") ? false : nil
        case .manageSieve:
            let status = word(line, from: 0)
            if status.equalsIgnoringCase("ok") { return true }
            return status.equalsIgnoringCase("no") || status.equalsIgnoringCase("bye") ? false : nil
        case .xmpp, .ldap, .postgresql:
            return nil
        }
    }

    // MARK: XMPP

    /// The name of the XML element a tag opens or (`closing`) closes; `tag` runs from `<` up
    /// to its `>`, exclusive.
    static func element(_ tag: UnsafeRawBufferPointer) -> (name: UnsafeRawBufferPointer, closing: Bool)? {
        guard tag.first == UInt8(ascii: "<") else { return nil }
        let closing = tag.count > 1 && tag[1] == UInt8(ascii: "/")
        let start = closing ? 2 : 1
        var end = start
        while end < tag.count && !isSpace(tag[end]) && tag[end] != UInt8(ascii: "/") { end += 1 }
        return (UnsafeRawBufferPointer(rebasing: tag[start..<end]), closing)
    }

    // MARK: LDAP

    /// StartTLS's OID as its LDAPOID octets carry it (digits and dots: no case to ignore).
    static let startTLSOID: StaticString = "1.3.6.1.4.1.1466.20037"

    /// A BER definite length (short form, or long form of 1 to 4 octets).
    static func berLength(_ r: inout ByteReader) -> Int? {
        guard let first = r.u8() else { return nil }
        guard first & 0x80 != 0 else { return Int(first) }
        let octets = Int(first & 0x7F)
        guard octets >= 1, octets <= 4 else { return nil }
        var length = 0
        for _ in 0..<octets {
            guard let b = r.u8() else { return nil }
            length = length << 8 | Int(b)
        }
        return length
    }

    /// A whole LDAPMessage at the start of `b`: its messageID, the protocolOp's tag, a reader
    /// over the op's contents and where the message ends. StartTLS's request and answer are a
    /// few dozen bytes, sent each in one segment: one that does not fit is not taken for them.
    static func ldapMessage(_ b: UnsafeRawBufferPointer) -> (id: UInt32, op: UInt8, body: ByteReader, end: Int)? {
        var r = ByteReader(b)
        guard r.u8() == 0x30, let length = berLength(&r), length <= r.remaining else { return nil }
        let end = r.offset + length
        guard r.u8() == 0x02, let idLength = berLength(&r), idLength >= 1, idLength <= 4,
              let idBytes = r.take(idLength) else { return nil }
        var id: UInt32 = 0
        for byte in idBytes { id = id << 8 | UInt32(byte) }
        guard let op = r.u8(), let opLength = berLength(&r) else { return nil }
        return (id, op, ByteReader(b, from: r.offset, to: r.offset + opLength), end)
    }

    /// An ExtendedRequest ([APPLICATION 23]) naming StartTLS: its messageID and where it ends.
    static func ldapStartTLSRequest(_ b: UnsafeRawBufferPointer) -> (id: UInt32, end: Int)? {
        guard var m = ldapMessage(b), m.op == 0x77, m.body.u8() == 0x80, let n = berLength(&m.body),
              let name = m.body.take(n), name.equalsIgnoringCase(startTLSOID) else { return nil }
        return (m.id, m.end)
    }

    /// The ExtendedResponse ([APPLICATION 24]) to request `id`: whether its resultCode is
    /// success, and where it ends; nil for any other message.
    static func ldapStartTLSResponse(_ b: UnsafeRawBufferPointer, id: UInt32) -> (success: Bool, end: Int)? {
        guard var m = ldapMessage(b), m.id == id, m.op == 0x78,
              m.body.u8() == 0x0A, m.body.u8() == 1, let code = m.body.u8() else { return nil }
        return (code == 0, m.end)
    }

    // MARK: PostgreSQL

    static let sslRequestCode: UInt32 = 80_877_103
    static let gssEncRequestCode: UInt32 = 80_877_104

    /// An SSLRequest or GSSENCRequest (length 8, then the code), as its code.
    static func postgresRequest(_ b: UnsafeRawBufferPointer) -> UInt32? {
        var r = ByteReader(b)
        guard r.u32() == 8, let code = r.u32(), code == sslRequestCode || code == gssEncRequestCode else { return nil }
        return code
    }

    // MARK: Bytes

    @inline(__always) static func isLetter(_ c: UInt8) -> Bool { ASCII.lower(c) >= 0x61 && ASCII.lower(c) <= 0x7A }
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
}
