// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "smtp-conversation",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SMTPConversation", targets: ["SMTPConversation"]),
        .library(name: "SMTPTranscript", targets: ["SMTPTranscript"]),
        .library(name: "SMTPListener", targets: ["SMTPListener"]),
        .library(name: "TrustStore", targets: ["TrustStore"]),
        .executable(name: "smtp-repl", targets: ["smtp-repl"]),
        .executable(name: "smtp-wallet", targets: ["smtp-wallet"]),
        .library(name: "MailMessage", targets: ["MailMessage"]),
        .library(name: "OAuth2", targets: ["OAuth2"]),
        .library(name: "MailQueue", targets: ["MailQueue"]),
        .executable(name: "mail-queue", targets: ["mail-queue"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        // glibc calls the Glibc module does not import (accept4, mkostemp).
        .target(name: "CSystem"),
        .target(
            name: "SMTPConversation",
            dependencies: ["COpenSSL", "CSystem"]
        ),
        // The listening side: a socket listener and the SMTP server the relay runs on
        // (ServerConversation, its sans-I/O core, stays in SMTPConversation). An application that
        // links SMTPConversation to send mail gets no listening socket.
        .target(name: "SMTPListener", dependencies: ["SMTPConversation", "COpenSSL", "CSystem"]),
        // Transcripts: format, parser, importers, recorder, client-side player and the server
        // that plays a transcript to any client (the REPL's serve/replay/convert, the tests).
        .target(name: "SMTPTranscript", dependencies: ["SMTPConversation", "SMTPListener", "COpenSSL", "CSystem"]),
        .target(
            name: "TrustStore",
            dependencies: ["SMTPConversation", "COpenSSL", "CSystem"]
        ),
        // The PL/SQL subset: scanner, parser and interpreter, no I/O (smtp-repl does the talking).
        .target(name: "PLSQL", dependencies: ["SMTPConversation"]),
        // GNU readline behind a small Swift API: its C globals are set through CReadline's shims,
        // so smtp-repl touches no shared C state and compiles in Swift 6 language mode.
        .target(name: "LineEditing", dependencies: ["CReadline"]),
        .executableTarget(
            name: "smtp-repl",
            dependencies: [
                "SMTPConversation",
                "SMTPTranscript",
                "PLSQL",
                "TrustStore",
                "OAuth2",
                "LineEditing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "smtp-wallet",
            dependencies: [
                "TrustStore",
                "OAuth2",
                "SMTPConversation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "smtp-bench", dependencies: ["SMTPConversation"]),
        .target(
            name: "MailMessage",
            dependencies: ["SMTPConversation"]
        ),
        .executableTarget(name: "mime-bench", dependencies: ["MailMessage"]),
        .target(
            name: "OAuth2",
            dependencies: ["SMTPConversation", "TrustStore", "COpenSSL"]
        ),
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "MailQueue",
            dependencies: [
                "SMTPConversation", "SMTPListener", "SMTPTranscript", "TrustStore", "MailMessage", "OAuth2", "CPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "mail-queue",
            dependencies: [
                "MailQueue",
                "SMTPConversation",
                "SMTPListener",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "wallet-bench", dependencies: ["TrustStore", "COpenSSL"]),
        .executableTarget(name: "queue-bench", dependencies: ["MailQueue"]),
        .target(
            name: "TestSupport",
            dependencies: ["SMTPConversation"],
            path: "Tests/TestSupport",
            exclude: ["hostile_smtp.py"]
        ),
        .testTarget(
            name: "SMTPConversationTests",
            dependencies: ["TestSupport", "SMTPTranscript", "SMTPListener", "SMTPConversation"]
        ),
        .testTarget(
            name: "PLSQLTests",
            dependencies: ["TestSupport", "SMTPTranscript", "PLSQL", "SMTPConversation"]
        ),
        .testTarget(
            name: "SMTPReplTests",
            dependencies: ["TestSupport", "SMTPTranscript", "SMTPConversation"],
            exclude: ["javamail", "field/SendPHPMailer.php", "field/typist.py"]
        ),
        .testTarget(
            name: "MailMessageTests",
            dependencies: ["TestSupport", "SMTPTranscript", "MailMessage", "SMTPConversation"],
            exclude: ["parse_message.py"]
        ),
        .testTarget(
            name: "OAuth2Tests",
            dependencies: ["TestSupport", "SMTPTranscript", "OAuth2", "TrustStore", "SMTPConversation"],
            exclude: ["token_server.py"]
        ),
        .testTarget(
            name: "MailQueueTests",
            dependencies: ["TestSupport", "SMTPTranscript", "MailQueue", "MailMessage", "SMTPConversation", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["relay_client.py", "parse_dsn.py"]
        ),
        .testTarget(
            name: "TrustStoreTests",
            dependencies: ["TestSupport", "SMTPTranscript", "TrustStore", "SMTPConversation"]
        ),
    ]
)
