"""Scheduling: the diary's resources, working sessions, conflict-free booking, the status
workflow, slot search, holds, recalls, the waitlist and the board's read path."""
