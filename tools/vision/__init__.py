"""Model-backed tools. Each module imports torch and its model library inside functions,
so importing it (and building the registry) stays cheap."""
