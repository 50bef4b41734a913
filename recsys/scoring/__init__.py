"""Batch scoring: every employee's answers, computed once and kept in the recommendation store."""
