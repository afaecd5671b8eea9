"""Aesthetic treatments: stock and batches, injectable records and recalls, consent forms,
prescribing, the booking rules of aesthetic work, and before/after photo series."""
