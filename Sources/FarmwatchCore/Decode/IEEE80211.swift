/// IEEE 802.11 data frames as a tunnel carries them (CAPWAP's native frame format, RFC 5416):
/// the MAC header, then an RFC 1042 / 802.1H LLC/SNAP header naming the EtherType. No capture
/// link type is 802.11 here (radiotap captures of the air are not decoded), so this is the
/// only 802.11 parser.
///
/// Only frames that bridge to the distribution system are opened: a CAPWAP data frame from an
/// access point to its controller has ToDS set, one back has FromDS. Management and control
/// frames, null data, protected (still encrypted) bodies and A-MSDU aggregates are not opened.
enum IEEE80211 {
    enum Body {
        /// An LLC/SNAP header carrying `etherType` ends `headerLength` bytes after the frame's start.
        case etherType(UInt16, headerLength: Int)
        /// Not a data frame this decoder opens; the carrier stays what it is.
        case notOpened
        /// The snap length cut the header.
        case truncated
        /// The header runs past the end of the frame on the wire.
        case malformed
    }

    /// Frame control flags (the second byte on the air).
    static let toDS: UInt8 = 0x01
    static let fromDS: UInt8 = 0x02
    static let protected: UInt8 = 0x40
    static let order: UInt8 = 0x80

    /// The frame at `start` bytes past the cursor's offset, up to the layer's end.
    static func dataFrame(_ c: DecodeCursor, at start: Int) -> Body {
        if let outcome = c.lacks(start + 2, truncated: Body.truncated, beyondWire: .malformed) { return outcome }
        let b = c.bytes, o = c.offset + start
        // Version 0, type 2 (data) in the first byte, and a direction bit in the flags. Cisco
        // access points send the two bytes swapped (Wireshark's capwap.swap_fc, on by
        // default); the two orders cannot be confused, because a flags byte with a
        // direction bit set has a non-zero version field.
        let typeByte: UInt8, flags: UInt8
        if isData(b[o]) && b[o + 1] & (toDS | fromDS) != 0 {
            (typeByte, flags) = (b[o], b[o + 1])
        } else if isData(b[o + 1]) && b[o] & (toDS | fromDS) != 0 {
            (typeByte, flags) = (b[o + 1], b[o])
        } else {
            return .notOpened
        }
        let subtype = typeByte >> 4
        // Subtypes with bit 2 set (null, CF-ack/poll without data) carry no body; a protected
        // body is encrypted.
        guard subtype & 0x04 == 0, flags & protected == 0 else { return .notOpened }
        // Frame control, duration, three addresses, sequence control; the fourth address
        // when the frame goes between two distribution systems (a mesh or WDS link).
        var length = flags & (toDS | fromDS) == toDS | fromDS ? 30 : 24
        let isQoS = subtype & 0x08 != 0
        if isQoS { length += 2 }
        if let outcome = c.lacks(start + length, truncated: Body.truncated, beyondWire: .malformed) { return outcome }
        if isQoS {
            // QoS control bit 7: the body is an A-MSDU, subframes each with their own header.
            guard b[o + length - 2] & 0x80 == 0 else { return .notOpened }
            // An HT control field follows QoS control when the Order bit is set (802.11n+).
            if flags & order != 0 { length += 4 }
        }
        if let outcome = c.lacks(start + length + 8, truncated: Body.truncated, beyondWire: .notOpened) {
            return outcome
        }
        let llc = o + length
        // DSAP/SSAP 0xAA, UI, and the RFC 1042 (00-00-00) or 802.1H bridge-tunnel (00-00-F8) OUI.
        guard b[llc] == 0xAA, b[llc + 1] == 0xAA, b[llc + 2] == 0x03, b[llc + 3] == 0, b[llc + 4] == 0,
            b[llc + 5] == 0 || b[llc + 5] == 0xF8
        else { return .notOpened }
        return .etherType(b.loadBigEndianUInt16(at: llc + 6), headerLength: length + 8)
    }

    /// Protocol version 0, type 2 (data), any subtype.
    @inline(__always)
    static func isData(_ typeByte: UInt8) -> Bool { typeByte & 0x0F == 0x08 }
}
