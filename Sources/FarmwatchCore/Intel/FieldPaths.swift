import Foundation

/// The record fields farmwatch reads, as the NULL-terminated C string arrays that
/// MMDB_aget_value takes (libmaxminddb's path lookup without C varargs, which Swift cannot
/// call). Built once per database, so a lookup converts no strings.
final class FieldPaths {
    final class Path {
        let pointers: UnsafeMutablePointer<UnsafePointer<CChar>?>
        private let count: Int

        init(_ keys: String...) {
            count = keys.count
            pointers = .allocate(capacity: keys.count + 1)
            for (i, key) in keys.enumerated() { pointers[i] = UnsafePointer(strdup(key)) }
            pointers[keys.count] = nil
        }

        deinit {
            for i in 0..<count { free(UnsafeMutablePointer(mutating: pointers[i])) }
            pointers.deallocate()
        }
    }

    // MaxMind GeoIP2/GeoLite2 and DB-IP
    let countryISOCode = Path("country", "iso_code")
    let cityEnglishName = Path("city", "names", "en")
    let locationLatitude = Path("location", "latitude")
    let locationLongitude = Path("location", "longitude")
    let accuracyRadius = Path("location", "accuracy_radius")
    let autonomousSystemNumber = Path("autonomous_system_number")
    let autonomousSystemOrganization = Path("autonomous_system_organization")
    // IPinfo (Lite, country_asn and city files): flat top-level fields
    let countryCode = Path("country_code")
    let country = Path("country")
    let city = Path("city")
    let latitude = Path("latitude")
    let longitude = Path("longitude")
    let asn = Path("asn")
    let asName = Path("as_name")
}
