import ArgumentParser
import FarmwatchCore

struct InterfacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interfaces",
        abstract: "List the interfaces a live capture can use (like tcpdump -D)."
    )

    func run() throws {
        do {
            let list = try PcapSource.interfaces()
            for (i, d) in list.enumerated() {
                let up = d.flags & 0x2 != 0 ? "Up" : "Down"   // PCAP_IF_UP
                print("\(i + 1).\(d.name)\(d.description.isEmpty ? "" : " (\(d.description))") [\(up)]")
            }
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
    }
}
