-- Reminders are once per recipient, person, subject, threshold and due date: HR hears about every person whose card expires on the same day, not only the first.

-- The key of 0006 left the person out, so when two people's BLS cards ran
-- out on the same day (cards are valid through the end of a month, so many
-- do), HR got the reminder for the first one only. The person comes first
-- so that the reminders job can also look up what a page of people already
-- has.
DROP INDEX notifications_once_key;
CREATE UNIQUE INDEX notifications_once_key ON notifications (person_id, recipient_id, subject, threshold, due_on);
