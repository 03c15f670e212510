-- The first migration, an example: yours to change before the first release, then
-- add 0002_….sql and so on (applied in name order, each once, at start).
CREATE TABLE items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
