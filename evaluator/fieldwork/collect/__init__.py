"""Collect (采集): the team's tablet pages, the submissions API, and the operations that store
records, findings and judgement scores."""
