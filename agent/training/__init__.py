"""Training the small model for this one job: the teacher corpus (:mod:`.corpus`, from the
patterns in ``training/phrases.yaml`` and random homes, :mod:`.homes`), LoRA training on the
CPU and the GGUF adapter (:mod:`.train`), and the corpus's wording as known words
(:mod:`.words`). ``voice-agent train`` is the way in; the daemon never imports torch."""
