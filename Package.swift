// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "farmwatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "farmwatch", targets: ["farmwatch"]),
        .library(name: "FarmwatchCore", targets: ["FarmwatchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // YAML for the detection configuration (--config): weights, thresholds, allow-lists.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libpcap from the system (Debian: libpcap-dev); nothing vendored.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        // libmaxminddb from the system (Debian: libmaxminddb-dev): reads GeoIP/ASN .mmdb files.
        .systemLibrary(
            name: "CMaxMindDB",
            pkgConfig: "libmaxminddb",
            providers: [.apt(["libmaxminddb-dev"]), .brew(["libmaxminddb"])]
        ),
        // One C builtin Swift lacks: a cache-line prefetch (MappedPcapFile reads ahead with it).
        .target(name: "CPrefetch"),
        .target(
            name: "FarmwatchCore",
            dependencies: [
                "CPcap",
                "CPrefetch",
                "CMaxMindDB",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The signature catalogue ships as data beside the binary, read at start.
            resources: [.copy("Catalogue/signatures.catalogue")],
            // Release builds do not check exclusivity at run time: the checks (swift_beginAccess
            // on every class property access) cost ~4 % of a full analysis, measured with
            // callgrind. Debug builds, which the tests run, keep them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "farmwatch",
            dependencies: [
                "FarmwatchCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // jemalloc (Debian: libjemalloc-dev) in place of glibc's malloc. Flows are built on
            // the packet thread and freed on the flow-end thread, a pattern glibc's per-thread
            // caches serve badly (the packet thread's allocations keep missing its cache):
            // jemalloc cuts 10-15 % of the CPU time of a full analysis of bench-full.pcap.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
        .testTarget(
            name: "FarmwatchCoreTests",
            dependencies: ["FarmwatchCore"],
            resources: []
        ),
    ],
    swiftLanguageModes: [.v5]
)

// The libFuzzer target exists only for scripts/fuzz, which builds it with
// -sanitize=fuzzer,address on every Swift module: libFuzzer supplies its main(), so an ordinary
// build could not link it.
if Context.environment["FARMWATCH_FUZZ"] != nil {
    package.targets.append(.executableTarget(
        name: "farmwatch-fuzz",
        dependencies: ["FarmwatchCore"],
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    ))
}
