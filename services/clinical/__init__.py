"""The dental clinical record: the tooth chart and its procedure catalogue (and, beside them,
the other parts of the clinical record)."""
