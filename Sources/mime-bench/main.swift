print("mime-bench: not yet")
