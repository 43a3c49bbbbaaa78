-- name: CurrentSchema :one
-- PostgreSQL only.
SELECT current_schema()::text AS schema_name;
