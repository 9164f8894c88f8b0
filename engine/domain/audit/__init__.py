"""The audit log's pure rules: the canonical form and hash chain of events, the signed
checkpoints that anchor a chain outside the database, and the keys that sign them.
"""
