"""heat_resume: resumable, parallel stack operations for OpenStack Heat."""
