-- API tokens can be limited to reading, and to chosen sites, so a system that only asks clearances (an EHR) holds no write access.

-- read_only: the token may only read (GET and HEAD); any other method is
-- refused with 403 before a handler runs.
ALTER TABLE api_tokens ADD COLUMN read_only BOOLEAN NOT NULL DEFAULT FALSE;
-- site_ids: comma-separated site ids the token is limited to; empty means
-- the owner's own reach (every site they may see).
ALTER TABLE api_tokens ADD COLUMN site_ids TEXT NOT NULL DEFAULT '';
