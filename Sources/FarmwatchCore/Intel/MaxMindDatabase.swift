import CMaxMindDB
import Foundation

/// One MaxMind DB (.mmdb) file, opened through libmaxminddb and memory-mapped: GeoLite2 /
/// GeoIP2 City and ASN, DB-IP and IPinfo files all share this format. Lookups read the mapped
/// file only, so after `init` the database is immutable and libmaxminddb documents lookups on
/// one opened database as safe from several threads.
public final class MaxMindDatabase: @unchecked Sendable {
    public let path: String
    /// The file's own database_type metadata ("GeoLite2-City", "ipinfo lite.mmdb" ...).
    public let databaseType: String
    /// 4 or 6: an IPv4-only database answers nothing for IPv6 addresses.
    public let ipVersion: Int

    private let handle: UnsafeMutablePointer<MMDB_s>
    private let fields = FieldPaths()

    /// Opens `path`. Throws `IntelError` saying whether the file is missing, unreadable or not
    /// a MaxMind DB (a truncated or corrupt file fails here, not on the first lookup, whenever
    /// libmaxminddb can tell: its metadata sits at the end of the file).
    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IntelError.fileMissing(path: path)
        }
        guard !isDirectory.boolValue else { throw IntelError.fileUnreadable(path: path, reason: "it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw IntelError.fileUnreadable(path: path, reason: "permission denied")
        }
        handle = .allocate(capacity: 1)
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), handle)
        guard status == MMDB_SUCCESS else {
            handle.deallocate()
            let reason = String(cString: MMDB_strerror(status))
            if status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR {
                throw IntelError.fileUnreadable(path: path, reason: reason)
            }
            throw IntelError.notMaxMindDatabase(path: path, reason: reason)
        }
        let metadata = handle.pointee.metadata
        databaseType = metadata.database_type.map { String(cString: $0) } ?? ""
        ipVersion = Int(metadata.ip_version)
    }

    deinit {
        MMDB_close(handle)
        handle.deallocate()
    }

    /// The record for `address`, or nil when the database holds nothing for it (private and
    /// reserved ranges are absent from real databases) or the file's data is corrupt there.
    public func lookup(_ address: IPAddress) -> MaxMindRecord? {
        var mmdbError: Int32 = MMDB_SUCCESS
        let result: MMDB_lookup_result_s = withSocketAddress(address) { MMDB_lookup_sockaddr(handle, $0, &mmdbError) }
        guard mmdbError == MMDB_SUCCESS, result.found_entry else { return nil }
        var entry = result.entry
        var record = MaxMindRecord(prefixLength: Int(result.netmask))
        if address.isV4 && ipVersion == 6 { record.prefixLength = max(0, record.prefixLength - 96) }

        // MaxMind and DB-IP nest the fields in maps; IPinfo puts flat fields at the top level.
        record.countryCode = string(&entry, fields.countryISOCode) ?? string(&entry, fields.countryCode)
            ?? string(&entry, fields.country).flatMap { $0.utf8.count == 2 ? $0 : nil }
        record.city = string(&entry, fields.cityEnglishName) ?? string(&entry, fields.city)
        let latitude = number(&entry, fields.locationLatitude) ?? number(&entry, fields.latitude)
        let longitude = number(&entry, fields.locationLongitude) ?? number(&entry, fields.longitude)
        if let latitude, let longitude, (-90...90).contains(latitude), (-180...180).contains(longitude) {
            record.latitude = latitude
            record.longitude = longitude
            record.accuracyRadiusKm = number(&entry, fields.accuracyRadius).flatMap { $0 >= 0 && $0 < 100_000 ? Int($0) : nil }
        }
        if let asn = number(&entry, fields.autonomousSystemNumber) {
            record.asn = UInt32(exactly: asn)
            record.asOrganization = string(&entry, fields.autonomousSystemOrganization)
        } else if let asn = asNumber(&entry) {
            record.asn = asn
            record.asOrganization = string(&entry, fields.asName)
        }
        return record
    }

    /// IPinfo writes the AS number as text, "AS15169"; some files write it as an integer.
    private func asNumber(_ entry: inout MMDB_entry_s) -> UInt32? {
        if let n = number(&entry, fields.asn) { return UInt32(exactly: n) }
        guard let text = string(&entry, fields.asn) else { return nil }
        let digits = text.hasPrefix("AS") || text.hasPrefix("as") ? text.dropFirst(2) : Substring(text)
        return UInt32(digits)
    }

    private func value(_ entry: inout MMDB_entry_s, _ path: FieldPaths.Path) -> MMDB_entry_data_s? {
        var data = MMDB_entry_data_s()
        guard MMDB_aget_value(&entry, &data, path.pointers) == MMDB_SUCCESS, data.has_data else { return nil }
        return data
    }

    private func string(_ entry: inout MMDB_entry_s, _ path: FieldPaths.Path) -> String? {
        guard let data = value(&entry, path), data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING),
              let bytes = data.utf8_string, data.data_size > 0 else { return nil }
        // Not NUL-terminated: the string is data_size bytes of the mapped file.
        return bytes.withMemoryRebound(to: UInt8.self, capacity: Int(data.data_size)) {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(data.data_size)), as: UTF8.self)
        }
    }

    /// A numeric field of any MaxMind DB number type; IPinfo's text coordinates ("37.4056") too.
    private func number(_ entry: inout MMDB_entry_s, _ path: FieldPaths.Path) -> Double? {
        guard let data = value(&entry, path) else { return nil }
        let n: Double?
        switch Int32(data.type) {
        case MMDB_DATA_TYPE_DOUBLE: n = data.double_value
        case MMDB_DATA_TYPE_FLOAT: n = Double(data.float_value)
        case MMDB_DATA_TYPE_UINT16: n = Double(data.uint16)
        case MMDB_DATA_TYPE_UINT32: n = Double(data.uint32)
        case MMDB_DATA_TYPE_UINT64: n = Double(data.uint64)
        case MMDB_DATA_TYPE_INT32: n = Double(data.int32)
        case MMDB_DATA_TYPE_UTF8_STRING: n = string(&entry, path).flatMap { Double($0) }
        default: n = nil
        }
        return n.flatMap { $0.isFinite ? $0 : nil }
    }
}

/// Hands libmaxminddb a sockaddr for `address`: IPv4 (held IPv4-mapped) as AF_INET, so that
/// libmaxminddb searches the IPv4 subtree of an IPv6 database as it does for real IPv4 peers.
private func withSocketAddress<R>(_ address: IPAddress, _ body: (UnsafePointer<sockaddr>) -> R) -> R {
    if address.isV4 {
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_addr.s_addr = address.v4Value.bigEndian
        return withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }
    var v6 = sockaddr_in6()
    v6.sin6_family = sa_family_t(AF_INET6)
    withUnsafeMutableBytes(of: &v6.sin6_addr) { raw in
        raw.storeBytes(of: address.hi.bigEndian, toByteOffset: 0, as: UInt64.self)
        raw.storeBytes(of: address.lo.bigEndian, toByteOffset: 8, as: UInt64.self)
    }
    return withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
}
