"""The database schema as numbered steps: collections, validators, indexes, data changes."""
