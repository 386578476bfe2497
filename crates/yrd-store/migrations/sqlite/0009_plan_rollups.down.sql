DROP TRIGGER plan_rollups_matter_changed;
DROP TRIGGER plan_rollups_task_changed;
DROP TRIGGER plan_rollups_task_removed;
DROP TRIGGER plan_rollups_task_added;
DROP TABLE plan_rollups;
DROP INDEX tasks_matter_parent;
CREATE INDEX tasks_rollup ON tasks (matter, parent, jurisdiction, reported_percent, verified_percent);
