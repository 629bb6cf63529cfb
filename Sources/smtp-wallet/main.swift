print("smtp-wallet: not yet")
