"""On-call schedules: who is on call at an instant, from rotations, imported iCalendar feeds and overrides.

Pure code, no database and no Slack: `schedule` holds the rules and the `Schedule`, `rotation` the wall-clock
rotations, `feed` the import of PagerDuty / Opsgenie iCalendar exports.
"""
