"""Storage: the one place that talks to MongoDB. Documents become domain objects here."""
