print("mail-queue: not yet")
