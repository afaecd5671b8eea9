"""Messages to patients and staff: channels (SMTP email, an SMS provider, a development store),
safe per-practice templates, the message record, and the patient messages the diary sends."""
