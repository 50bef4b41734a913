"""Who may ask and how often, and the record of who asked: API keys and roles, widget
tokens, rate limits, the audit log."""
