"""The dental clinical record: what a clinician writes and signs about a patient's care."""
