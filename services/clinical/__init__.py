"""The dental clinical record: the tooth chart and its procedure catalogue, clinical notes
(signed, then amended, never edited) and the other parts of the clinical record."""
