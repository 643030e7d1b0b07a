"""The LMS side: each LMS one registered class (systems), its roster (roster), and an LMS download
collected into the course folder (collect)."""
