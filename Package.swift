// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "smtp-conversation",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SMTPConversation", targets: ["SMTPConversation"]),
        .executable(name: "smtp-repl", targets: ["smtp-repl"]),
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
        .target(
            name: "SMTPConversation",
            dependencies: ["COpenSSL"]
        ),
        .executableTarget(
            name: "smtp-repl",
            dependencies: [
                "SMTPConversation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SMTPConversationTests",
            dependencies: ["SMTPConversation"]
        ),
    ]
)
