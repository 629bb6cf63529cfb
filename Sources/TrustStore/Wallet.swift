import SMTPConversation

/// Wallet is a directory of trusted certificates (PKCS#12) and a manifest; see DESIGN.md.
public enum WalletPlaceholder {}
