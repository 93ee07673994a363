"""Thin resolvers: read through storage, decide with the domain rules, commit through storage.

They know nothing of GraphQL types (the schema layer wraps what they return) and build no
MongoDB queries (storage does).
"""
