"""Calendar feeds: iCalendar subscriptions of a practitioner's diary or a patient's bookings."""
