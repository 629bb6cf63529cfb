/// MailQueue: delayed sending. (placeholder)
public enum MailQueuePlaceholder {}
