"""Admin of the admissions app."""
