"""Pure domain rules of the contract service: no I/O, no GraphQL, no MongoDB."""
