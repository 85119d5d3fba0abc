"""Period reports up the chain (DESIGN §9): periods, schedules, reports in revisions, their documents."""
