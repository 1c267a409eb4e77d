-- Index people by (name, id): reports and exports walk everyone in name order a batch at a time (keyset), which without it sorts the whole table for every batch.
CREATE INDEX users_name_id_idx ON users (name, id);
