-- Up Migration
-- Claims rewrite claim_units rows constantly; vacuum them early so index scans
-- for free units do not wade through dead entries, and leave room on each page
-- for the new row versions.
ALTER TABLE claim_units SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE claims SET (autovacuum_vacuum_scale_factor = 0.05);

-- Down Migration
ALTER TABLE claim_units RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
ALTER TABLE claims RESET (autovacuum_vacuum_scale_factor);
