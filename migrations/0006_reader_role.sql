-- Read-only keys: for dashboards on a server whose reads need a key (read auth `key`), which
-- should be able to read everything and write nothing.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('reader', 'editor', 'admin'));
