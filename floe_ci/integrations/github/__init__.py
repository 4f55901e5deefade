"""GitHub adapter: the action's inputs (`inputs`), the event that started the run (`event`),
the secrets to mask (`masking`), the sticky pull-request comment (`client`, `comment`), and
the runner's channels: log, step outputs, job summary (`runner`). The commands' text is
`floe_ci.report.workflow_commands`. PyGithub is imported only by `client.py`, lazily."""
