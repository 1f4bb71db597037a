"""PDF exports built with reportlab platypus: the support plan and the shared care form.

Each renderer takes a frozen document from ``desktop_app.services.plans.document`` and
returns the PDF as bytes; nothing is written to disk here (the vault rule: no plaintext
copy on disk), so printing and "Export" decide where, if anywhere, the bytes go.
"""
