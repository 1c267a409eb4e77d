-- A person's hire date (YYYY-MM-DD), for staff as for apprentices: HR sees it in the people directory and the roster export. Optional; an apprentice's enrollment keeps its own hire date.
ALTER TABLE users ADD COLUMN hire_date TEXT;
