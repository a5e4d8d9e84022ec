"""Churn and retention analytics warehouse: sample data, build-and-publish job, model helpers."""

__version__ = "0.1.0"
