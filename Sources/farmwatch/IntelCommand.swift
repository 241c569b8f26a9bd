import ArgumentParser
import FarmwatchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `farmwatch intel lookup`: what the configured databases and lists say about addresses, so a
/// user can check their GeoIP files and lists before an analysis relies on them.
struct IntelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intel",
        abstract: "Check GeoIP/ASN databases and address lists.",
        subcommands: [IntelLookupCommand.self]
    )
}

struct IntelLookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Print what the databases and lists say about addresses, one JSON object per line.",
        discussion: """
            farmwatch intel lookup 198.51.100.7 --geoip-city GeoLite2-City.mmdb --geoip-asn GeoLite2-ASN.mmdb \\
                --list corp-vpn:vpn-exit:vpn-exits.txt
            An argument that is not an address is looked up as a name in the lists.
            """
    )

    @Argument(help: "IPv4/IPv6 addresses (or domain names, checked against the lists).")
    var queries: [String]

    @Option(name: .long, help: "City database (.mmdb: GeoLite2/GeoIP2 City, DB-IP, IPinfo).")
    var geoipCity: String?

    @Option(name: .long, help: "ASN database (.mmdb: GeoLite2 ASN, IPinfo Lite/ASN).")
    var geoipAsn: String?

    @Option(name: .long, help: "Address list NAME:KIND:FILE (one CIDR, address or domain name per line); repeatable.")
    var list: [String] = []

    func validate() throws {
        if queries.isEmpty { throw ValidationError("give at least one address or name") }
        for spec in list where spec.split(separator: ":", maxSplits: 2).count != 3 {
            throw ValidationError("--list takes NAME:KIND:FILE, got '\(spec)'")
        }
    }

    func run() throws {
        let intel: PeerIntel
        do {
            let lists = try list.map { spec -> AddressList in
                let parts = spec.split(separator: ":", maxSplits: 2).map(String.init)
                return try AddressList.load(path: parts[2], name: parts[0], kind: parts[1])
            }
            intel = PeerIntel(city: try geoipCity.map { try MaxMindDatabase(path: $0) },
                              asn: try geoipAsn.map { try MaxMindDatabase(path: $0) }, lists: lists)
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
        let w = JSONWriter(stream: stdout)
        for query in queries {
            w.beginObject()
            if let address = IPAddress(query) {
                w.key("address"); w.ip(address)
                w.key("peer"); intel.info(for: address).writeJSON(to: w)
            } else {
                w.field("name", query)
                w.key("lists"); w.beginArray()
                for tag in intel.tags(forName: Array(query.utf8)) { w.string(tag) }
                w.endArray()
            }
            w.endObject()
        }
        w.flush()
    }
}
