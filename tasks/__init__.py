"""The pipeline's work, as plain typed functions (DataFrame in, DataFrame out).

Layers, in the order data moves: `sources` (read each system into raw text frames), `staging`
(parse, validate, de-duplicate, cascade: valid rows and the quarantine), `marts` (the tables of
METRICS.md), `publish` (the warehouse). `flows/` wires them together; tests call them directly.
"""
