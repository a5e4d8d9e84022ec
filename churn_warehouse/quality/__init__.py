"""Great Expectations as the data-quality guard around the build: raw inputs before `dbt build`, marts after it.

Suites are code (raw_suites.py, mart_suites.py) over small frames of aggregates (raw_frames.py); runner.py
runs them through a GX file data context and turns the results into a gate; run_log.py keeps the run log
and writes `marts.data_quality_runs`. churn_warehouse.build wires them into the main job.
"""
