/// Writes the device table when a run ends: one `{"type":"device", …}` JSON record per
/// device, or a short "Devices" section for the summary report.
public enum DeviceRecordWriter {
    public static func write(_ d: Device, to w: JSONWriter) {
        w.beginObject()
        w.field("type", "device")
        if d.mac != 0 {
            w.field("mac", FlowRecordWriter.macString(d.mac))
            if d.macIsLocal {
                w.field("mac_local", true)
            } else if let v = OUIVendors.vendor(for: d.mac) {
                w.field("vendor", v)
            }
        }
        w.key("ips"); w.beginArray()
        for a in d.addresses.items { w.string(a.description) }
        w.endArray()
        w.key("host_names"); w.beginArray()
        for n in d.hostNames.items { w.string(bytes: n) }
        w.endArray()
        if !d.netbiosNames.isEmpty { strings("netbios_names", d.netbiosNames.items, w) }
        if let p = d.dhcp { dhcp(p, w) }
        if let p = d.dhcpv6 { dhcpv6(p, w) }
        w.key("mdns_services"); w.beginArray()
        for s in d.services.items { service(s, w) }
        w.endArray()
        if d.ssdpServer != nil || !d.ssdpLocations.isEmpty {
            w.key("ssdp"); w.beginObject()
            if let v = d.ssdpServer { w.key("server"); w.string(bytes: v) }
            if !d.ssdpLocations.isEmpty { strings("locations", d.ssdpLocations.items, w) }
            w.endObject()
        }
        if let k = d.kvm { kvm(d, k, w) }
        w.key("first_seen"); w.fixed(d.firstSeenNs, scale: 1_000_000_000, decimals: 6)
        w.key("last_seen"); w.fixed(d.lastSeenNs, scale: 1_000_000_000, decimals: 6)
        w.key("evidence"); w.beginArray()
        for e in DeviceEvidence.allCases where d.has(e) { w.string(e.name) }
        w.endArray()
        w.endObject()
    }

    /// Every device in the order first seen; then, only when the table was full, one
    /// `device_table_full` record saying how many sightings of further devices were not kept.
    public static func write(_ table: DeviceTable, to w: JSONWriter) {
        for d in table.devices { write(d, to: w) }
        guard table.untracked > 0 else { return }
        w.beginObject()
        w.field("type", "device_table_full")
        w.field("capacity", table.capacity)
        w.field("untracked_sightings", table.untracked)
        w.endObject()
    }

    private static func strings(_ key: StaticString, _ values: [[UInt8]], _ w: JSONWriter) {
        w.key(key); w.beginArray()
        for v in values { w.string(bytes: v) }
        w.endArray()
    }

    private static func dhcp(_ p: DHCPClientProfile, _ w: JSONWriter) {
        w.key("dhcp"); w.beginObject()
        if let v = p.hostName { w.key("host_name"); w.string(bytes: v) }
        if let v = p.fqdn { w.key("client_fqdn"); w.string(bytes: v) }
        if let v = p.vendorClass { w.key("vendor_class"); w.string(bytes: v) }
        if let v = p.parameterList {
            w.key("param_list"); w.beginArray()
            for c in v { w.int(c) }
            w.endArray()
        }
        if let v = p.clientID { w.field("client_id", DHCPFacts.hex(v)) }
        if let v = p.requestedAddress { w.field("requested_addr", v.description) }
        if let v = p.assignedAddress { w.field("assigned_addr", v.description) }
        w.endObject()
    }

    private static func dhcpv6(_ p: DHCPv6ClientProfile, _ w: JSONWriter) {
        w.key("dhcpv6"); w.beginObject()
        if let v = p.duid { w.field("duid", DHCPFacts.hex(v)) }
        if let v = p.fqdn { w.key("client_fqdn"); w.string(bytes: v) }
        if let v = p.vendorEnterprise { w.field("vendor_enterprise", v) }
        if let v = p.vendorClass { w.key("vendor_class"); w.string(bytes: v) }
        if let v = p.optionRequests {
            w.key("option_requests"); w.beginArray()
            for c in v { w.int(c) }
            w.endArray()
        }
        w.endObject()
    }

    /// `kvm`: the product (when a signature names one), how sure, and every piece of evidence.
    private static func kvm(_ d: Device, _ k: (product: String?, confidence: Confidence), _ w: JSONWriter) {
        w.key("kvm"); w.beginObject()
        if let p = k.product { w.field("product", p) }
        w.field("confidence", k.confidence.name)
        w.key("evidence"); w.beginArray()
        for e in d.kvmEvidence {
            w.beginObject()
            w.field("identified_by", e.identifiedBy.rawValue)
            w.field("confidence", e.confidence.name)
            w.field("detail", e.detail)
            if let u = e.uid { w.field("uid", u) }
            if let v = e.videoStream { videoStream(v, w) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// A video stream's measurements (see VideoStreamShape).
    private static func videoStream(_ v: VideoStreamShape, _ w: JSONWriter) {
        w.key("video_stream"); w.beginObject()
        w.key("duration"); w.fixed(v.durationNs, scale: 1_000_000_000, decimals: 3)
        w.field("kbit_per_s", Int((v.bitsPerSecond / 1000).rounded()))
        w.key("frames_per_s"); w.fixed(Int64((v.framesPerSecond * 10).rounded()), scale: 10, decimals: 1)
        w.key("cadence_share"); w.fixed(Int64((v.cadenceShare * 100).rounded()), scale: 100, decimals: 2)
        w.key("sender_share"); w.fixed(Int64((v.senderShare * 100).rounded()), scale: 100, decimals: 2)
        w.endObject()
    }

    private static func service(_ s: AnnouncedService, _ w: JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(bytes: s.instance)
        if let v = s.port { w.field("port", v) }
        if let v = s.target { w.key("target"); w.string(bytes: v) }
        if !s.txt.isEmpty { strings("txt", s.txt, w) }
        w.endObject()
    }

    /// The summary report's section: one line per device (the first `limit`), most named
    /// first. Wire strings are shown with non-printable bytes as "?" (a terminal is no place
    /// for escape sequences from the network).
    public static func summary(_ table: DeviceTable, limit: Int = 20) -> String {
        guard !table.devices.isEmpty else { return "" }
        var out = "\nDevices: \(table.devices.count)"
        if table.untracked > 0 { out += " (table full: \(table.untracked) sightings of further devices not kept)" }
        out += "\n"
        let ranked = table.devices.sorted { weight($0) > weight($1) }
        for d in ranked.prefix(limit) {
            var line = "  " + (d.mac != 0 ? FlowRecordWriter.macString(d.mac) : "-")
            let vendor = d.mac == 0 ? nil : (d.macIsLocal ? "(random MAC)" : OUIVendors.vendor(for: d.mac))
            line += "  " + (vendor ?? "?")
            if let a = d.addresses.items.first { line += "  " + a.description }
            let names = (d.hostNames.items + d.netbiosNames.items).prefix(3).map(printable)
            if !names.isEmpty { line += "  " + names.joined(separator: ", ") }
            if !d.services.isEmpty { line += "  [\(d.services.items.count) mDNS service\(d.services.items.count == 1 ? "" : "s")]" }
            if let s = d.ssdpServer { line += "  UPnP: " + printable(s) }
            if let k = d.kvm { line += "  IP-KVM: \(k.product ?? "unknown product") (\(k.confidence.name))" }
            out += line + "\n"
        }
        if ranked.count > limit { out += "  … and \(ranked.count - limit) more (--format json lists every device)\n" }
        return out
    }

    private static func weight(_ d: Device) -> Int {
        (d.kvm != nil ? 100 : 0) + d.hostNames.items.count + d.netbiosNames.items.count + d.services.items.count + (d.dhcp != nil ? 1 : 0)
    }

    static func printable(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(64).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
