/// RequestStatus is where a stored request stands. The stored value is the raw value.
///
/// ```
/// unsent ──claim──▶ sending ──before final "."──▶ uncertain ──250──▶ sent
///    ▲                 │ (lease expired: claimable again; the final "." was never sent)
///    └── 4xx/network ──┘            uncertain: never resent unless the user asks (`retry`)
///                      └── 5xx / invalid / max attempts ──▶ failed
/// unsent ──cancel──▶ cancelled      unsent ──hold──▶ held ──release──▶ unsent
/// ```
public enum RequestStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting to be sent (possibly not before `nextAttemptAt`).
    case unsent
    /// Claimed by a sender holding a lease; the final `.` has not been sent.
    case sending
    /// The final `.` may have reached the server but its reply was never recorded: the mail
    /// may or may not have been delivered. Never resent automatically.
    case uncertain
    /// The server accepted the message (250 after the final `.`).
    case sent
    /// Given up: a permanent refusal, an invalid request, or too many attempts.
    case failed
    /// Withdrawn by `mail-queue cancel` before any sender claimed it; never sent.
    case cancelled
    /// Held back by `mail-queue hold` (an incident): not claimed until `release`.
    case held
}
