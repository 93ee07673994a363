"""Thin resolvers: read through storage, decide with the domain rules, commit through storage.

Every mutation's command is handled by the one registry of `resolvers.commands`. They know
nothing of GraphQL types (the schema layer makes them from what they return) and build no
MongoDB queries (storage does).
"""
