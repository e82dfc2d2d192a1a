"""Documents and exports (invoices, statements, briefs) come with later capabilities."""
