"""Understanding what templates miss: a small quantized language model, constrained to
the configured intents and devices (see :mod:`agent.slm.router`).

Importing this package does not import llama.cpp; the model loads when first needed.
"""
