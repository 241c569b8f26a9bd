extension PeerInfo {
    /// The peer as one JSON object (the caller writes its key), only the fields known:
    /// {"country_code","city","latitude","longitude","accuracy_radius_km","asn","as_org",
    ///  "lists","list_kinds"}. Database strings go through the writer's escaping like any other.
    public func writeJSON(to w: JSONWriter) {
        w.beginObject()
        if let c = countryCode { w.field("country_code", c) }
        if let l = location {
            if let city = l.city { w.field("city", city) }
            w.key("latitude"); w.double(l.latitude, decimals: 4)
            w.key("longitude"); w.double(l.longitude, decimals: 4)
            if let r = l.accuracyRadiusKm { w.field("accuracy_radius_km", r) }
        }
        if let asn { w.field("asn", asn) }
        if let o = asOrganization { w.field("as_org", o) }
        if !listTags.isEmpty {
            w.key("lists"); w.beginArray()
            for t in listTags { w.string(t) }
            w.endArray()
            w.key("list_kinds"); w.beginArray()
            for k in listKinds { w.string(k) }
            w.endArray()
        }
        w.endObject()
    }
}
