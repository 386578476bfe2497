-- A plan's roll-up reads each matter's members' tasks from this index alone (when the table's
-- pages are all visible), not from the table.
CREATE INDEX tasks_rollup ON tasks (matter, parent) INCLUDE (jurisdiction, reported_percent, verified_percent);
