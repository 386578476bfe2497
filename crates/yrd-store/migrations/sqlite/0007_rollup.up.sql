-- A plan's roll-up reads each matter's members' tasks from this index alone, not from the table.
CREATE INDEX tasks_rollup ON tasks (matter, parent, jurisdiction, reported_percent, verified_percent);
