-- Merging a researcher or a company into another (issue 16): the merged record is deleted
-- (softly, as every delete) and says which record it went into, so that its old slug and id
-- lead there (a GET answers 308); its history gets a `merge` entry, as does the target's.

ALTER TABLE researchers ADD COLUMN merged_into uuid REFERENCES researchers (id);
ALTER TABLE companies ADD COLUMN merged_into uuid REFERENCES companies (id);
ALTER TABLE researchers ADD CONSTRAINT researchers_merged_when_deleted
    CHECK (merged_into IS NULL OR deleted_at IS NOT NULL);
ALTER TABLE companies ADD CONSTRAINT companies_merged_when_deleted
    CHECK (merged_into IS NULL OR deleted_at IS NOT NULL);
-- The old slug of a merged record is looked up when a GET finds no live record by it.
CREATE INDEX researchers_merged_slug_idx ON researchers (slug) WHERE merged_into IS NOT NULL;
CREATE INDEX companies_merged_slug_idx ON companies (slug) WHERE merged_into IS NOT NULL;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('create', 'update', 'delete', 'merge'));
