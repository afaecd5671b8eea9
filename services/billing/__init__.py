"""Billing: money, fee schedules, invoices, payments and the practice's financial ledger."""
