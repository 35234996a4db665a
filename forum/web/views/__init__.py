"""HTML views, one module per area."""
