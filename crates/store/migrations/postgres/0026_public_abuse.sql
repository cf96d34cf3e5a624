-- Public endpoints under abuse (issue 8).
-- A receipt carries a random trace code, the second factor a donor traces their gift with
-- (enterprises have no phone to give); receipts issued before get one now.
ALTER TABLE receipts ADD COLUMN trace_code TEXT NOT NULL DEFAULT '';
UPDATE receipts SET trace_code = upper(substr(md5(random()::text || id::text), 1, 10));
-- The public's comments wait for staff of the project's unit before they are shown:
-- 'pending', 'shown' or 'hidden'. Comments already on the portal stay shown.
ALTER TABLE project_feedback ADD COLUMN comment_state TEXT NOT NULL DEFAULT 'shown';
ALTER TABLE project_feedback ADD COLUMN moderated_by TEXT NOT NULL DEFAULT '';
ALTER TABLE project_feedback ADD COLUMN moderated_at_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX project_feedback_pending ON project_feedback (comment_state, fund_id);
