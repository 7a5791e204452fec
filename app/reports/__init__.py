"""Reports and the staff dashboard: figures read straight from the database.

The read side of the shop. It reads the tables of orders, payments, catalog, stock and
support (its import-linter contract allows it their models) and writes none of them; its
queries run on a connection of their own (`database.reading`): the read replica when
DATABASE_REPLICA_URL is set, else the primary with a statement timeout, so a heavy report
never holds up checkout.

    database.py   where report queries run (replica or primary, timeout, read-only)
    days.py       Asia/Colombo days: a period's UTC bounds, a timestamp's local day in SQL
    sales.py      sales by day, week or month and by product, category, district, method
    dashboard.py  the /staff cards, each for the roles allowed to see it
    export.py     the nightly analytics export: Parquet files by day for DuckDB and Spark
                  (docs/ANALYTICS.md), under BACKUP_URL/analytics
    cli.py        `flask analytics export`: the same by hand, a day or a range
"""
