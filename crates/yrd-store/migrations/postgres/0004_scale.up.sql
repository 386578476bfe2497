-- Scale: indexes for the queries a large region makes hot.

-- The home page's headline figures are the region's own indicators, found by their scope.
CREATE INDEX indicators_scope ON indicators (scope_kind, scope_id, key);

-- A member's workspace lists its tasks by due date then key: with the key in the index the
-- walk stops at the page's limit instead of sorting each day's tasks.
DROP INDEX tasks_jurisdiction_due;
CREATE INDEX tasks_jurisdiction_due ON tasks (jurisdiction, due_date, key);
