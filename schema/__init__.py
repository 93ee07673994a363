"""GraphQL types: the public contract frontend teams code against (see schema.graphql)."""
