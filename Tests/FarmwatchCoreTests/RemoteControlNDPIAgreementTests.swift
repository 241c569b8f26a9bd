import XCTest
@testable import FarmwatchCore

/// Flow by flow against nDPI's own results (expected/*.out) on the captures where nDPI finds
/// a remote-control protocol: every flow nDPI classifies by DPI as one of these families is
/// that family here too, and no other flow of those captures is called remote control.
final class RemoteControlNDPIAgreementTests: XCTestCase {
    /// nDPI protocol names → farmwatch families (the app part of "Master.App").
    static let families: [String: Family] = [
        "RDP": .rdp, "VNC": .vnc, "TeamViewer": .teamviewer, "NoMachine": .nomachine, "Radmin": .radmin,
    ]

    func testEveryNDPIRemoteControlFlowAgrees() throws {
        let captures = ["ndpi__rdp2.pcap", "ndpi__rdp_over_tls.pcap", "ndpi__teamviewer.pcap",
                        "ndpi__nomachine.pcapng", "ndpi__radmin3.pcapng"]
        var agreed = 0, total = 0
        for capture in captures {
            let flows = try RemoteControlSupport.corpusFlows(capture)
            for n in try RemoteControlSupport.ndpiFlows(capture) where n.byDPI {
                let app = String(n.proto.split(separator: ".").last ?? "")
                let ours = flows.filter(n.matches).flatMap { $0.metadata?.protocols.map(\.family) ?? [] }
                if let family = Self.families[app] {
                    total += 1
                    if ours.contains(family) { agreed += 1 } else { XCTFail("\(capture): \(n) is \(ours) here") }
                } else {
                    XCTAssertFalse(ours.contains { $0.isRemoteControl }, "\(capture): \(n) is \(ours) here")
                }
            }
        }
        XCTAssertEqual(agreed, total)
        XCTAssertEqual(total, 10)
    }
}
