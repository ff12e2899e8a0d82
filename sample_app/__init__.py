"""The sample app: authors and books served by autoapi (see README)."""
