"""ViperGPT-style programs (issue 11): scenes, fake model tools, the corpus and its oracle."""
