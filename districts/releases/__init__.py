"""Roster releases: a new division list (the NBS codes a statistics bureau republishes) applied to the roster from
an effective date, for the districts it covers.

`reading` turns a file into rows (CSV in UTF-8 with or without BOM, GBK/GB18030, or xlsx), `checks` refuses a file
with any problem before anything is written (a Chinese message naming line and column), `diff` compares the release
with the roster as of its effective date, `applying` writes it all or nothing (COPY and set-based statements on
PostgreSQL, batches on SQLite), `history` reads names as of an earlier date, and `services` ties them together for
`manage.py load_divisions` and the commission's page.
"""
