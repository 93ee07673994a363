"""Demo and benchmark data: realistic documents built by the domain rules, loaded in batches."""
