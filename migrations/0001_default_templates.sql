-- The five default templates: public, read-only, owned by the system (created_by NULL).
INSERT INTO `session_templates` (`id`, `name`, `description`, `category`, `max_participants`, `auto_recording`, `auto_save_interval`, `default_role`, `permissions`, `settings`, `is_public`, `is_default`, `created_by`) VALUES
(1, 'Band Practice', 'Band practice sessions with structured roles', 'rehearsal', 8, 1, 30, 'viewer',
 '{"editor":["read","edit","comment","invite","record"],"commenter":["read","comment"],"viewer":["read","comment"]}', '{}', 1, 1, NULL),
(2, 'Music Lesson', 'Music lessons with a teacher-student hierarchy', 'lesson', 5, 1, 60, 'commenter',
 '{"editor":["read","comment"],"commenter":["read","comment"],"viewer":["read"]}', '{}', 1, 1, NULL),
(3, 'Jam Session', 'Informal jamming with open collaboration', 'jamming', 12, 0, 15, 'editor',
 '{"editor":["read","edit","comment","invite"],"commenter":["read","comment"],"viewer":["read","comment"]}', '{}', 1, 1, NULL),
(4, 'Song Arrangement', 'Collaborative song arrangement work', 'arrangement', 6, 1, 20, 'viewer',
 '{"editor":["read","edit","comment","record"],"commenter":["read","comment"],"viewer":["read","comment"]}', '{}', 1, 1, NULL),
(5, 'Quick Review', 'Quick song reviews and feedback', 'review', 4, 0, 45, 'commenter',
 '{"editor":["read","comment"],"commenter":["read","comment"],"viewer":["read","comment"]}', '{}', 1, 1, NULL);
