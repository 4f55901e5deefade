"""GitHub adapter: the event that started the run, the sticky pull-request comment, the job
summary, step outputs and annotations. PyGithub is imported only by `client.py`, lazily."""
