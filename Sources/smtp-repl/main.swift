import SMTPConversation
print("smtp-repl: not yet")
