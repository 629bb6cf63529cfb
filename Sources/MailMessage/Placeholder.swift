/// MailMessage builds RFC 5322/MIME messages. (placeholder)
public enum MailMessagePlaceholder {}
