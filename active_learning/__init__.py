"""Active learning: log ingestion, uncertainty scoring, Label Studio round trips, retrain cycles.

Built in a later issue.
"""
