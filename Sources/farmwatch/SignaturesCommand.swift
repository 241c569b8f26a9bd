import ArgumentParser
import FarmwatchCore

/// Lists or checks the signature catalogue: the built-in file plus the user's own.
struct SignaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signatures",
        abstract: "List or check the signature catalogue (built-in, plus files given here).",
        discussion: """
            Each line of a catalogue file is `family kind pattern [confidence=…] [product=…]`;
            the built-in file documents the format at its top. `check` exits with status 2 and
            names the file and line of the first malformed signature.
            """
    )

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case list, check
    }

    @Argument(help: "list: print every signature; check: validate and count.")
    var action: Action = .list

    @Argument(help: "Signature files to load after the built-in catalogue.")
    var files: [String] = []

    @Flag(name: .long, help: "Leave out the built-in catalogue (check only your own files).")
    var noBuiltIn = false

    func run() throws {
        let catalogue = try loadCatalogue(extraFiles: files, builtIn: !noBuiltIn)
        switch action {
        case .check:
            var byFamily: [String: Int] = [:]
            for s in catalogue.signatures { byFamily[s.family.rawValue, default: 0] += 1 }
            print("\(catalogue.signatures.count) signatures, \(byFamily.count) families: ok")
        case .list:
            print(["family", "kind", "pattern", "confidence", "product", "origin"].joined(separator: "\t"))
            for s in catalogue.signatures {
                print([s.family.rawValue, s.kind.rawValue, s.pattern, "\(s.confidence.name)", s.product ?? "-",
                       s.origin].joined(separator: "\t"))
            }
        }
    }
}
