extension Conversation {
    /// The mechanism AUTH uses with `schemes` now, chosen as UTL_SMTP does: the first of
    /// `schemes`, in the caller's order, that the server advertised in its latest EHLO (with no
    /// EHLO, the first of `schemes`). A scheme may hold several names separated by spaces.
    /// - Throws: `invalidArgument` when no scheme is given, `unsupportedScheme` for a name this
    ///   library does not implement, `noSupportedScheme` when the server offers none of them.
    public func authMechanism(choosingFrom schemes: [String]) throws(SMTPError) -> String {
        let requested = Self.mechanisms(in: schemes)
        guard !requested.isEmpty else {
            throw SMTPError(.invalidArgument(field: "schemes", reason: "no AUTH scheme given"))
        }
        if let unknown = requested.first(where: { !SASLClient.supportedMechanisms.contains($0) }) {
            throw SMTPError(.unsupportedScheme(unknown))
        }
        guard let capabilities else { return requested[0] }
        let offered = capabilities.authMechanisms
        guard let chosen = requested.first(where: offered.contains) else {
            throw SMTPError(.noSupportedScheme(requested: requested, offered: offered))
        }
        return chosen
    }

    /// The mechanism names in `schemes`, upper-cased, in order: a scheme may hold several names
    /// separated by spaces (`"LOGIN PLAIN"`).
    public static func mechanisms(in schemes: [String]) -> [String] {
        schemes.flatMap { $0.split(separator: " ").map { String($0).uppercased() } }
    }
}
