/// Everything the engine keeps about one driven (or relaying) host while flows end: a bounded
/// list of its sessions and relay uses, and how its driven time falls over the day.
final class EndpointRecord {
    let address: IPAddress
    var mac: UInt64 = 0
    private(set) var sessions: [RemoteSession] = []
    private(set) var relays: [RelayUse] = []
    /// Sessions and relay uses past the caps: counted, not kept.
    private(set) var droppedSessions = 0
    private(set) var droppedRelays = 0
    /// Sessions an allow-list matched (no finding from them).
    var allowedSessions = 0
    /// Seconds driven in each UTC hour of the day.
    private(set) var drivenSecondsByUTCHour = [Double](repeating: 0, count: 24)
    private(set) var drivenSeconds = 0.0

    init(address: IPAddress) { self.address = address }

    func add(_ s: RemoteSession, limit: Int) {
        if s.drivenMAC != 0 && mac == 0 { mac = s.drivenMAC }
        noteDriven(from: s.startNs, to: s.endNs)
        if sessions.count < limit {
            sessions.append(s)
            return
        }
        // Past the cap keep the sessions that say most: the longest replace the shortest.
        droppedSessions += 1
        if let i = sessions.indices.min(by: { sessions[$0].durationSeconds < sessions[$1].durationSeconds }),
           sessions[i].durationSeconds < s.durationSeconds {
            sessions[i] = s
        }
    }

    func add(_ r: RelayUse, limit: Int) {
        if relays.count < limit { relays.append(r) } else { droppedRelays += 1 }
    }

    /// Spreads a session's time over the UTC hours it covers (at most one day's worth: a
    /// longer session covers every hour anyway).
    private func noteDriven(from startNs: Int64, to endNs: Int64) {
        let start = Double(startNs) / 1e9, end = Double(max(startNs, endNs)) / 1e9
        drivenSeconds += end - start
        var t = start
        let stop = min(end, start + 86_400)
        while t < stop {
            let hourEnd = (t / 3600).rounded(.down) * 3600 + 3600
            let slice = min(stop, hourEnd) - t
            let hour = Int((t / 3600).rounded(.down).truncatingRemainder(dividingBy: 24))
            drivenSecondsByUTCHour[(hour + 24) % 24] += slice
            t += slice
        }
    }

    var tools: [Family] {
        var seen: [Family] = []
        for s in sessions { for f in s.tools where !seen.contains(f) { seen.append(f) } }
        return seen
    }
}
