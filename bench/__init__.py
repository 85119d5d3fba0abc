"""Benchmarks of the pages a province reads most, on a generated province (`make bench`)."""
