"""Writers: one per output format, all reading the normalized model only."""
