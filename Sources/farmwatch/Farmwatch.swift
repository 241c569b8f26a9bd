import ArgumentParser

@main
struct Farmwatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "farmwatch",
        abstract: "Find laptops driven from far away: remote-control, KVM-over-IP and relay traffic, with evidence.",
        discussion: """
            Offline:  farmwatch analyze capture.pcap [more.pcapng | directory | -]
            Live:     farmwatch live -i eth0 [tcpdump filter words]
            """,
        subcommands: [AnalyzeCommand.self, LiveCommand.self, InterfacesCommand.self, SignaturesCommand.self,
                      IntelCommand.self],
        defaultSubcommand: nil
    )
}
