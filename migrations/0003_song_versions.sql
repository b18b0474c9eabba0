CREATE TABLE `song_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`song_id` integer NOT NULL,
	`number` integer NOT NULL,
	`content` text NOT NULL,
	`content_bytes` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`author_id` text,
	`session_id` text,
	`kind` text NOT NULL,
	`applied` integer DEFAULT true NOT NULL,
	`summary` text NOT NULL,
	FOREIGN KEY (`song_id`) REFERENCES `songs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `song_versions_number` ON `song_versions` (`song_id`,`number`);--> statement-breakpoint
ALTER TABLE `songs` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- Every song that exists gets version 1 holding its current text.
INSERT INTO `song_versions` (`song_id`, `number`, `content`, `content_bytes`, `created_at`, `author_id`, `session_id`, `kind`, `applied`, `summary`)
SELECT `id`, 1, `content`, length(CAST(`content` AS BLOB)), `updated_at`, NULL, NULL, 'created', 1, 'The text when versions began'
FROM `songs`;
