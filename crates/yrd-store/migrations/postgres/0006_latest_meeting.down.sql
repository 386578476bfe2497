DROP INDEX meetings_closed_by_date;
