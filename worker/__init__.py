"""The worker: fetches items, extracts statements, and delivers alerts."""
