CREATE TABLE `session_invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`user_id` text,
	`email` text,
	`role` text NOT NULL,
	`invited_by` text NOT NULL,
	`message` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `session_invitations_session` ON `session_invitations` (`session_id`);--> statement-breakpoint
CREATE INDEX `session_invitations_user` ON `session_invitations` (`user_id`);--> statement-breakpoint
CREATE INDEX `session_invitations_email` ON `session_invitations` (`email`);--> statement-breakpoint
CREATE TABLE `session_participants` (
	`session_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`status` text NOT NULL,
	`joined_at` text NOT NULL,
	PRIMARY KEY(`session_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `session_participants_mine` ON `session_participants` (`user_id`,`status`);--> statement-breakpoint
CREATE TABLE `session_templates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`category` text NOT NULL,
	`max_participants` integer NOT NULL,
	`auto_recording` integer NOT NULL,
	`auto_save_interval` integer NOT NULL,
	`default_role` text NOT NULL,
	`permissions` text NOT NULL,
	`settings` text NOT NULL,
	`is_public` integer NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`created_by` text,
	`usage_count` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `session_templates_listing` ON `session_templates` (`is_public`,`usage_count`);--> statement-breakpoint
CREATE INDEX `session_templates_creator` ON `session_templates` (`created_by`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`song_id` integer NOT NULL,
	`template_id` integer,
	`owner_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`access_mode` text NOT NULL,
	`status` text NOT NULL,
	`max_participants` integer NOT NULL,
	`participant_count` integer NOT NULL,
	`online_count` integer DEFAULT 0 NOT NULL,
	`is_recording` integer DEFAULT false NOT NULL,
	`default_role` text NOT NULL,
	`permissions` text NOT NULL,
	`settings` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`started_at` text NOT NULL,
	`ended_at` text,
	`last_activity_at` text NOT NULL,
	`idle_deadline_at` text,
	`archive_due_at` text,
	`archive_key` text,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_public` ON `sessions` (`access_mode`,`status`,`song_id`);--> statement-breakpoint
CREATE INDEX `sessions_idle` ON `sessions` (`status`,`idle_deadline_at`);--> statement-breakpoint
CREATE INDEX `sessions_archive` ON `sessions` (`status`,`archive_due_at`);--> statement-breakpoint
CREATE TABLE `song_shares` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`song_id` integer NOT NULL,
	`user_id` text,
	`email` text,
	`permission` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`song_id`) REFERENCES `songs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `song_shares_user` ON `song_shares` (`song_id`,`user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `song_shares_email` ON `song_shares` (`song_id`,`email`);--> statement-breakpoint
CREATE INDEX `song_shares_by_user` ON `song_shares` (`user_id`);--> statement-breakpoint
CREATE INDEX `song_shares_by_email` ON `song_shares` (`email`);--> statement-breakpoint
CREATE TABLE `songs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`content` text NOT NULL,
	`owner_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `songs_owner` ON `songs` (`owner_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text,
	`name` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `users_email` ON `users` (`email`);