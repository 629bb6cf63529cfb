// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "smtp-conversation",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SMTPConversation", targets: ["SMTPConversation"]),
        .library(name: "TrustStore", targets: ["TrustStore"]),
        .executable(name: "smtp-repl", targets: ["smtp-repl"]),
        .executable(name: "smtp-wallet", targets: ["smtp-wallet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CReadline",
            providers: [.apt(["libreadline-dev"])]
        ),
        .target(
            name: "SMTPConversation",
            dependencies: ["COpenSSL"]
        ),
        .target(
            name: "TrustStore",
            dependencies: ["SMTPConversation", "COpenSSL"]
        ),
        .executableTarget(
            name: "smtp-repl",
            dependencies: [
                "SMTPConversation",
                "TrustStore",
                "CReadline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // readline is a C library of global variables; Swift 6's checks cannot see its
            // single-threaded use.
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "smtp-wallet",
            dependencies: [
                "TrustStore",
                "SMTPConversation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "smtp-bench", dependencies: ["SMTPConversation"]),
        .executableTarget(name: "wallet-bench", dependencies: ["TrustStore", "COpenSSL"]),
        .testTarget(
            name: "SMTPConversationTests",
            dependencies: ["SMTPConversation"]
        ),
        .testTarget(
            name: "SMTPReplTests",
            dependencies: ["SMTPConversation"]
        ),
        .testTarget(
            name: "TrustStoreTests",
            dependencies: ["TrustStore", "SMTPConversation"]
        ),
    ]
)
