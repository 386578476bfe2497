DROP INDEX tasks_owed;
