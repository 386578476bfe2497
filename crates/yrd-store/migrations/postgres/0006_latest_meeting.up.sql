-- The home page shows the newest meeting held: the closed meetings by date, newest first.
CREATE INDEX meetings_closed_by_date ON meetings (state, start_date, key);
