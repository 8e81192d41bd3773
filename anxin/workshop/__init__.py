"""Workshop after-sales: appointments, work orders, three checks and one record (WS-1..9)."""
