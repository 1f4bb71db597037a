"""Services: the framework's rules, the vault, persistence and export. No widgets here."""
