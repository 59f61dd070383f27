"""Feed polling: fetch, parse, politeness, backoff and near-duplicate detection."""
