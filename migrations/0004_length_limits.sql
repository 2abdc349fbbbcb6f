-- Bounds the API already enforces, kept in the schema too: a URL far longer than any real one
-- would otherwise only be caught by the unique index's entry size limit, as a 500.
ALTER TABLE sources ADD CONSTRAINT sources_url_length CHECK (length(url) <= 2048);
ALTER TABLE sources ADD CONSTRAINT sources_language_length CHECK (length(language) <= 35);
