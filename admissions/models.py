"""Models of the admissions app."""
