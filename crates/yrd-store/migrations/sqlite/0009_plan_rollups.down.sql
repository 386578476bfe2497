DROP TRIGGER plan_rollups_matter_changed;
DROP TRIGGER plan_rollups_task_changed;
DROP TRIGGER plan_rollups_task_removed;
DROP TRIGGER plan_rollups_task_added;
DROP TRIGGER plan_rollup_changes_applied;
DROP VIEW plan_rollup_changes;
DROP TABLE plan_rollups;
DROP INDEX tasks_matter_parent;
CREATE INDEX tasks_rollup ON tasks (matter, parent, jurisdiction, reported_percent, verified_percent);
