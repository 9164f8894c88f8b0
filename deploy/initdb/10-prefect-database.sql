-- Prefect's own database, next to samflow's on the same PostgreSQL (run once, when the
-- data volume is first created, by the postgres image's entrypoint).
CREATE DATABASE prefect OWNER samflow;
