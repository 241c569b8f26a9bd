/// GameStream's HTTP API (plain HTTP on 47989 by default, HTTPS on 47984; the port plays no
/// part), recognised from the requests the HTTP dissector kept, when the flow ends. Moonlight
/// puts the same two parameters first on every request it makes:
///
/// - moonlight-qt app/backend/nvhttp.cpp NvHTTP::openConnection: the path is the command
///   (`serverinfo`, `pair`, `unpair`, `applist`, `launch`, `resume`, `cancel`, `appasset`)
///   and the query starts `uniqueid=0123456789ABCDEF&uuid=<32 hex digits>`; pairing
///   (nvpairingmanager.cpp) adds `devicename=roth&updateState=1&phrase=getservercert&salt=…
///   &clientcert=…` and the challenge steps over plain HTTP.
/// - moonlight-android nvstream/http/NvHTTP.java buildUniqueIdUuidString: `uniqueid=…&uuid=…`
///   the same way (its oldest releases fetch a bare `/serverinfo` over HTTP: too plain a
///   request to name anything, so not recognised).
/// - LizardByte/Sunshine src/nvhttp.cpp serves those paths and reads `uniqueid` from them.
///
/// A GET of one of those paths whose query carries both `uniqueid` and `uuid` names the flow;
/// either alone, or the path alone, does not.
enum GameStreamHTTP {
    static let paths: [StaticString] = [
        "/serverinfo", "/pair", "/unpair", "/applist", "/launch", "/resume", "/cancel", "/appasset",
    ]

    /// Adds the recognition to an HTTP flow that carried a GameStream request.
    static func conclude(_ flow: inout FlowState) {
        guard let m = flow.metadata, let http = m.facts(StandardDissectors.httpSlot, as: HTTPFacts.self) else { return }
        for t in http.transactions {
            guard t.method?.elementsEqual("GET".utf8) == true, let uri = t.uri,
                  let path = uri.withUnsafeBytes(requestPath) else { continue }
            m.addRecognition(Recognition(family: .moonlight, identifiedBy: .payload, confidence: .high,
                                         layer: Layer.application, evidence: "gamestream request \(path)"))
            return
        }
    }

    /// The GameStream path of a request-target whose query carries `uniqueid` and `uuid`, or nil.
    static func requestPath(_ uri: UnsafeRawBufferPointer) -> String? {
        let question = uri.firstIndex(of: UInt8(ascii: "?")) ?? uri.count
        let path = UnsafeRawBufferPointer(rebasing: uri[..<question])
        guard let known = paths.first(where: { path.equalsIgnoringCase($0) }), question < uri.count else { return nil }
        var uniqueID = false, uuid = false
        for parameter in uri[(question + 1)...].split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let name = UnsafeRawBufferPointer(rebasing: uri[parameter.startIndex..<(parameter.firstIndex(of: UInt8(ascii: "=")) ?? parameter.endIndex)])
            uniqueID = uniqueID || name.equalsIgnoringCase("uniqueid")
            uuid = uuid || name.equalsIgnoringCase("uuid")
        }
        return uniqueID && uuid ? known.description : nil
    }
}
