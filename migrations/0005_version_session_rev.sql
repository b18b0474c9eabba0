ALTER TABLE `song_versions` ADD `session_rev` integer;--> statement-breakpoint
CREATE INDEX `song_versions_session` ON `song_versions` (`session_id`,`session_rev`);